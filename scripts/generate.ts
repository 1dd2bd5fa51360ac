// npm run generate -- "prompt" [--tokens N] [--temperature T] [--top-k K] [--seed S] [--weights DIR] [--backend NAME]
//
// Continues the prompt with GPT-2: GPT-2's own BPE tokens (gpt-tokenizer), the weights from
// weights/gpt2/ (or --weights DIR, or GPT2_WEIGHTS_DIR), the text printed as it comes, then the
// speed. The text goes to stdout; the backend, loading and speed lines go to stderr.
// Exit status: 0 done, 1 failed, 2 a usage problem or no weights (`npm run weights` gets them).
import * as fs from "node:fs";
import * as path from "node:path";
import { selectBackend, GPT2LMHeadModel } from "../lib/index";

// GPT-2's byte-pair encoding; only the tokenizer file, not the notebook helpers' index (plots).
import { END_OF_TEXT, detokenize, encode } from "../notebook-helpers/tokens";

const USAGE = `usage: npm run generate -- "prompt" [--tokens N] [--temperature T] [--top-k K] [--seed S] [--weights DIR] [--backend native|wasm|cpu]
  --tokens N        new tokens (default 40; generation also stops at the model's 1024 positions)
  --temperature T   0 = always the most likely token; higher = more varied (default 0.8)
  --top-k K         sample among the K most likely tokens only (default 40; 0 = all)
  --seed S          the same seed and options give the same text (default: a random seed, printed)
  --weights DIR     a Hugging Face GPT-2 folder: config.json + model.safetensors
                    (default: $GPT2_WEIGHTS_DIR, else weights/gpt2/)`;

class UsageError extends Error {}

interface Args { prompt: string; tokens: number; temperature: number; topK: number; seed: number | undefined; weights: string; backend: string | undefined }

function parseArgs(argv: string[]): Args {
  const args: Args = { prompt: "", tokens: 40, temperature: 0.8, topK: 40, seed: undefined, weights: process.env.GPT2_WEIGHTS_DIR || path.join("weights", "gpt2"), backend: undefined };
  const prompts: string[] = [];
  const number = (flag: string, value: string | undefined, check: (n: number) => boolean, what: string): number => {
    const n = Number(value);
    if (value === undefined || value.trim() === "" || !check(n)) throw new UsageError(`${flag} needs ${what}, got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === "--help" || a === "-h") throw new UsageError("");
    else if (a === "--tokens") args.tokens = number(a, next(), (n) => Number.isInteger(n) && n >= 0, "a whole number >= 0");
    else if (a === "--temperature") args.temperature = number(a, next(), (n) => Number.isFinite(n) && n >= 0, "a number >= 0");
    else if (a === "--top-k") args.topK = number(a, next(), (n) => Number.isInteger(n) && n >= 0, "a whole number >= 0");
    else if (a === "--seed") args.seed = number(a, next(), (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32, "a whole number in [0, 2^32)");
    else if (a === "--weights") args.weights = next() ?? "";
    else if (a === "--backend") args.backend = next();
    else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    else prompts.push(a);
  }
  if (prompts.length > 1) throw new UsageError(`one prompt, in quotes; got ${prompts.length} words: ${prompts.map((p) => JSON.stringify(p)).join(" ")}`);
  if (!args.weights) throw new UsageError("--weights needs a folder");
  args.prompt = prompts[0] ?? "";
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message ? `generate: ${err.message}\n${USAGE}` : USAGE);
    return 2;
  }
  const missing = ["config.json", "model.safetensors"].filter((f) => !fs.existsSync(path.join(args.weights, f)));
  if (missing.length) {
    console.error(
      `generate: no GPT-2 weights in ${args.weights}/ (missing ${missing.join(" and ")}). Get GPT-2 small (548 MB, once) with:\n` +
        `  npm run weights\n` +
        `or point at a Hugging Face GPT-2 folder with --weights DIR or GPT2_WEIGHTS_DIR.`,
    );
    return 2;
  }

  await selectBackend(args.backend, { log: (line) => console.error(line), source: args.backend ? `--backend ${args.backend}` : undefined });
  const t0 = performance.now();
  const model = GPT2LMHeadModel.fromPretrained(args.weights);
  console.error(`loaded ${args.weights} (${(model.parameterCount() / 1e6).toFixed(1)} M parameters) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const prompt = args.prompt ? encode(args.prompt) : [END_OF_TEXT];
  const room = model.config.n_positions - prompt.length;
  if (room <= 0) {
    console.error(`generate: the prompt is ${prompt.length} tokens; GPT-2 has ${model.config.n_positions} positions, so nothing can follow it. Shorten it.`);
    return 2;
  }
  const seed = args.seed ?? Math.floor(Math.random() * 2 ** 32);
  process.stdout.write(args.prompt);

  // Print what is new in the decoded text. A character can span two tokens (UTF-8 bytes), so hold
  // back while the text ends in a half character (U+FFFD).
  const generated: number[] = [];
  let printed = 0;
  const times: number[] = [performance.now()];
  for await (const [token] of model.stream([prompt], { maxNewTokens: args.tokens, temperature: args.temperature, topK: args.topK, seed })) {
    times.push(performance.now());
    generated.push(token);
    const text = detokenize(generated);
    if (!text.endsWith("\uFFFD")) {
      process.stdout.write(text.slice(printed));
      printed = text.length;
    }
  }
  process.stdout.write(detokenize(generated).slice(printed) + "\n");

  const n = generated.length;
  const total = (times[n] - times[0]) / 1000;
  const rest = n > 1 ? (times[n] - times[1]) / 1000 : 0;
  console.error(
    `${n} tokens in ${total.toFixed(1)} s: ${(n / total).toFixed(1)} tokens/s` +
      (n > 1 ? ` (the prompt's ${prompt.length} tokens and the first new one: ${((times[1] - times[0]) / 1000).toFixed(2)} s; then ${((n - 1) / rest).toFixed(1)} tokens/s)` : "") +
      `; seed ${seed}, temperature ${args.temperature}, top-k ${args.topK}` +
      (n < args.tokens ? `; stopped at GPT-2's ${model.config.n_positions} positions` : ""),
  );
  model.dispose();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`generate: ${(err as Error).message}`);
    process.exit(1);
  },
);
