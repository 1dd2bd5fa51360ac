// npm run s07 -- <file>: grade a learner's step 07 class from the shell.
//
//   npm run s07 -- my-qkv.ts                     a .ts file that exports the class
//   npm run s07 -- notebooks/step07-exercise.ipynb   the notebook's "// EXERCISE: step07" cell
//   options: --class <Name>  --backend <wasm|cpu|native>  --timeout <seconds, default 120>
//
// Exit status: 0 when every check passes, 1 when one fails (or the check never finishes),
// 2 for a usage or loading problem. The check runs in a child process with a hard time limit,
// because a synchronous endless loop in the learner's code cannot be interrupted otherwise.
import { spawn } from "node:child_process";
import { checkStep07, DEFAULT_TIMEOUT_MS } from "./step07";
import { renderText } from "./report";
import { LearnerFileError, loadLearnerFile, removeTempFiles } from "./learner-file";
import { selectBackend } from "../lib/index";

const USAGE = `usage: npm run s07 -- <file.ts | notebook.ipynb> [--class <Name>] [--backend <wasm|cpu|native>] [--timeout <seconds>]`;
const CHILD_ENV = "QKV_S07_CHILD";
const DEFAULT_HARD_LIMIT_S = 120;

interface Args {
  file: string;
  className?: string;
  backend?: string;
  timeoutS: number;
}

function parseArgs(argv: string[]): Args {
  const rest: string[] = [];
  const out: Partial<Args> = { timeoutS: DEFAULT_HARD_LIMIT_S };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new LearnerFileError(`${a} needs a value.\n${USAGE}`);
      return v;
    };
    if (a === "--class") out.className = value();
    else if (a === "--backend") out.backend = value();
    else if (a === "--timeout") {
      const s = Number(value());
      if (!(s > 0)) throw new LearnerFileError(`--timeout takes a number of seconds.\n${USAGE}`);
      out.timeoutS = s;
    } else if (a === "-h" || a === "--help") throw new LearnerFileError(USAGE);
    else if (a.startsWith("--")) throw new LearnerFileError(`Unknown option ${a}.\n${USAGE}`);
    else rest.push(a);
  }
  if (rest.length !== 1) throw new LearnerFileError(rest.length === 0 ? USAGE : `One file at a time, got ${rest.length}.\n${USAGE}`);
  return { ...out, file: rest[0] } as Args;
}

/** Parent: run the check in a child process, and stop it if it runs past the hard limit. */
function supervise(args: Args, argv: string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...argv], {
    stdio: "inherit",
    env: { ...process.env, [CHILD_ENV]: "1" },
  });
  const timer = setTimeout(() => {
    child.kill("SIGKILL");
    if (child.pid) removeTempFiles(child.pid);
    console.log(
      `FAILED: the check did not finish within ${args.timeoutS} s. Your constructor or forward never returns: ` +
        `look for an endless loop (a while whose condition never changes, or a loop over every value). ` +
        `(Raise the limit with --timeout <seconds>.)`,
    );
    process.exit(1);
  }, args.timeoutS * 1000);
  child.on("exit", (code, signal) => {
    clearTimeout(timer);
    if (child.pid) removeTempFiles(child.pid);
    process.exit(code ?? (signal ? 1 : 0));
  });
}

/** Child: load the learner's class, run the check, print the table, exit 0/1. */
async function runChild(args: Args): Promise<number> {
  const learner = loadLearnerFile(args.file, { className: args.className });
  try {
    try {
      await selectBackend(args.backend, { log: null });
    } catch (err) {
      throw new LearnerFileError((err as Error).message);
    }
    const result = await checkStep07(learner.Impl, { display: "none", timeoutMs: DEFAULT_TIMEOUT_MS });
    const mapped = { ...result, results: result.results.map((r) => ({ ...r, message: learner.sourceName(r.message) })) };
    const { tf } = await import("../lib/index");
    console.log(renderText(mapped, `Step 07 check: ${learner.className} from ${args.file} (backend: ${tf.getBackend()})`));
    return result.passed ? 0 : 1;
  } finally {
    learner.cleanup();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (!process.env[CHILD_ENV]) {
    supervise(args, argv);
    return;
  }
  try {
    process.exit(await runChild(args));
  } catch (err) {
    console.error(err instanceof LearnerFileError ? err.message : `s07: ${(err as Error).message}`);
    process.exit(2);
  }
}

void main();
