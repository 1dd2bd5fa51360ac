// npm run weights [-- --dir DIR] [--force]: downloads GPT-2 small (config.json and the 548 MB
// model.safetensors) from the Hugging Face hub into weights/gpt2/ ($HF_ENDPOINT picks a mirror).
// Resumes an interrupted download; verifies size, sha256 and every tensor before keeping a file.
// Exit status: 0 done (or already there), 1 failed (the message says what to do), 2 usage.
import { downloadGPT2, DownloadError, DEFAULT_ENDPOINT, GPT2_REPO } from "./download";

const USAGE = `usage: npm run weights [-- --dir DIR] [--force]
  Downloads ${GPT2_REPO}'s config.json and model.safetensors from $HF_ENDPOINT (default ${DEFAULT_ENDPOINT})
  into DIR (default weights/gpt2/). --force downloads again files that are already there.`;

async function main(argv: string[]): Promise<number> {
  let dir: string | undefined;
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--dir" && argv[i + 1]) dir = argv[++i];
    else if (argv[i] === "--force") force = true;
    else {
      console.error(argv[i] === "--help" || argv[i] === "-h" ? USAGE : `weights: unknown argument ${argv[i]}\n${USAGE}`);
      return 2;
    }
  }
  try {
    await downloadGPT2({ dir, force });
    return 0;
  } catch (err) {
    if (!(err instanceof DownloadError)) throw err;
    console.error(`\nweights: ${err.message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
