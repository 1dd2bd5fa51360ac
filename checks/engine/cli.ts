// npm run check -- <step> <file>: grade a learner's class from the shell.
//
//   npm run check -- 07 my-qkv.ts                      a .ts file that exports the class
//   npm run check -- 07 notebooks/step07-exercise.ipynb   the notebook's "// EXERCISE: step07" cell
//   npm run s07 -- my-qkv.ts                           the same as `check -- 07`
//   options: --class <Name>  --backend <wasm|cpu|native>  --timeout <seconds per call, default 5>
//
// Exit status: 0 when every check passes, 1 when one fails (or the learner's code never
// finishes, or ends the process), 2 for a usage or loading problem.
//
// The learner's code cannot fool this. It runs in a child process that only *observes* (probe.ts)
// and sends what it saw, as plain data, to this process, which never loads the learner's file and
// decides everything itself (judge.ts): with its own reference numbers, on a fresh input whose
// seed it chose, so no stored answer passes; with its own built-ins, so no replaced `Math.abs`
// counts; and only on a complete report, so `process.exit(0)` is a failure, not a pass. Each call
// into the learner's code is bounded: the child says when it enters one, and this process stops
// it when the call outlives the per-call bound.
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { selectBackend } from "../../lib/backend";
import { GPT2Config } from "../../lib/config";
import { finish, judge } from "./judge";
import { LearnerFileError, loadLearnerFile, removeTempFiles } from "./learner-file";
import { probe } from "./probe";
import { loadReference } from "./reference-file";
import { renderText } from "./report";
import { DEFAULT_TIMEOUT_MS, referenceOrRow } from "./run";
import { loadStep, normalizeStep, stepIds } from "./steps";
import type { ErrorInfo, Observations, StepSpec } from "./types";

const USAGE = `usage: npm run check -- <step> <file.ts | notebook.ipynb> [--class <Name>] [--backend <wasm|cpu|native>] [--timeout <seconds per call>]`;
const CHILD_ENV = "QKV_CHECK_CHILD";
const SEED_ENV = "QKV_CHECK_FRESH_SEED";
/** Starting Node, tsx and TensorFlow.js, before any learner code runs. */
const STARTUP_MS = 60_000;
/** Compiling the learner's file (tsx) on top of the per-call bound for running its top level. */
const LOAD_EXTRA_MS = 15_000;
/** The check's own work between two calls into the learner's code. */
const BETWEEN_CALLS_MS = 20_000;
/** Reaction time of this process on top of a call's bound. */
const SLACK_MS = 1_500;

interface Args {
  step: string;
  file: string;
  className?: string;
  backend?: string;
  timeoutMs: number;
}

function parseArgs(argv: string[]): Args {
  const rest: string[] = [];
  const out: Partial<Args> = { timeoutMs: DEFAULT_TIMEOUT_MS };
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
      out.timeoutMs = s * 1000;
    } else if (a === "-h" || a === "--help") throw new LearnerFileError(USAGE);
    else if (a.startsWith("--")) throw new LearnerFileError(`Unknown option ${a}.\n${USAGE}`);
    else rest.push(a);
  }
  if (rest.length === 0) throw new LearnerFileError(`${USAGE}\nSteps with a check: ${stepIds().join(", ")}.`);
  const step = normalizeStep(rest[0]);
  if (!step) throw new LearnerFileError(`"${rest[0]}" is not a step number; steps with a check: ${stepIds().join(", ")}.\n${USAGE}`);
  if (rest.length !== 2) throw new LearnerFileError(rest.length === 1 ? `Which file? ${USAGE}` : `One file at a time, got ${rest.length - 1}.\n${USAGE}`);
  return { ...out, step, file: rest[1] } as Args;
}

// ---- The child: runs the learner's code and reports what it saw --------------------------------

type Message =
  | { type: "enter"; what: string; boundMs: number }
  | { type: "leave" }
  | { type: "observations"; obs: Observations; className: string; backend: string }
  | { type: "usage"; message: string };

async function runChild(args: Args, spec: StepSpec): Promise<void> {
  // Taken before the learner's code loads, which might replace it.
  const send = process.send!.bind(process) as (m: Message, cb?: () => void) => boolean;
  const usage = (message: string): void => void send({ type: "usage", message });
  try {
    await selectBackend(args.backend, { log: null, source: `--backend ${args.backend}` });
  } catch (err) {
    return usage((err as Error).message);
  }
  send({ type: "enter", what: `loading ${args.file} (its top-level code)`, boundMs: args.timeoutMs + LOAD_EXTRA_MS });
  let learner: ReturnType<typeof loadLearnerFile>;
  try {
    learner = loadLearnerFile(args.file, { className: args.className, step: spec.id });
  } catch (err) {
    return usage(err instanceof LearnerFileError ? err.message : `Could not load ${args.file}: ${(err as Error).message}`);
  }
  send({ type: "leave" });
  try {
    const ref = loadReference(spec.reference, spec.id);
    const obs = await probe(spec, learner.Impl, ref, new GPT2Config(), {
      timeoutMs: args.timeoutMs,
      freshSeed: Number(process.env[SEED_ENV]),
      events: { enter: (what, boundMs) => void send({ type: "enter", what, boundMs }), leave: () => void send({ type: "leave" }) },
    });
    // Line numbers in the temporary copy → the learner's own file or notebook cell.
    const map = (e: ErrorInfo): void => {
      if (e.place.line) e.place.line = learner.sourceName(e.place.line);
    };
    if (obs.construct.kind === "threw") map(obs.construct.error);
    for (const r of obs.runs) if (r.call.kind === "threw") map(r.call.error);
    if (obs.repeat?.failed?.kind === "threw") map(obs.repeat.failed.error);
    send({ type: "observations", obs, className: learner.className, backend: obs.backend });
  } finally {
    learner.cleanup();
  }
}

// ---- The parent: bounds the child, then judges -------------------------------------------------

function supervise(args: Args, spec: StepSpec, argv: string[]): void {
  const ref = referenceOrRow(spec);
  if (!("dims" in ref)) {
    console.log(renderText(finish(spec, [ref]), `Step ${spec.id} check: ${args.file}`, spec.outputs.names));
    process.exit(1);
  }
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...argv], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "advanced", // typed arrays travel as they are
    env: { ...process.env, [CHILD_ENV]: "1", [SEED_ENV]: String(randomInt(1, 2 ** 31 - 1)) },
  });
  const printed: string[] = [];
  child.stdout!.on("data", (d) => printed.push(String(d)));
  child.stderr!.on("data", (d) => printed.push(String(d)));

  let report: Extract<Message, { type: "observations" }> | null = null;
  let usageMessage: string | null = null;
  let current = "starting Node and TensorFlow.js";
  /** What was running when the timer stopped the child, and the bound it outlived. */
  let killed: { what: string; ms: number } | null = null;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      killed = { what: current, ms };
      child.kill("SIGKILL");
    }, ms);
  };
  arm(STARTUP_MS);
  child.on("message", (m: Message) => {
    if (report || !m || typeof m !== "object") return;
    if (m.type === "enter") {
      current = String(m.what);
      arm((Number(m.boundMs) || args.timeoutMs) + SLACK_MS);
    } else if (m.type === "leave") {
      current = "the check's own work between calls";
      arm(BETWEEN_CALLS_MS);
    } else if (m.type === "usage") {
      usageMessage = String(m.message);
      clearTimeout(timer);
      child.kill("SIGKILL");
    } else if (m.type === "observations") {
      report = m;
      clearTimeout(timer);
      child.kill("SIGKILL"); // nothing more is needed from it, whatever its code does next
    }
  });
  child.on("exit", (code, signal) => {
    clearTimeout(timer);
    if (child.pid) removeTempFiles(child.pid);
    const output = printed.join("").trim();
    if (output && !usageMessage) console.log(`Output of your code (stdout and stderr):\n${output.split("\n").slice(-20).map((l) => `  | ${l}`).join("\n")}\n`);
    if (usageMessage) {
      console.error(usageMessage);
      process.exit(2);
    }
    if (report) process.exit(verdict(args, spec, ref, report));
    if (killed) {
      console.log(
        `FAILED: ${killed.what} did not finish within ${(killed.ms / 1000).toFixed(1)} s, so the check stopped it. ` +
          `Your code never returns there: look for an endless loop (a while whose condition never changes, or a loop over every value). ` +
          `(Raise the per-call bound with --timeout <seconds>.)`,
      );
    } else {
      console.log(
        `FAILED: your code ended the check's process (${signal ? `signal ${signal}` : `exit code ${code}`}) before the check finished, while ${current}. ` +
          `Remove process.exit(...) (or whatever ends the process) from your code: the check needs the process to run to the end.`,
      );
    }
    process.exit(1);
  });
}

function verdict(args: Args, spec: StepSpec, ref: ReturnType<typeof loadReference>, report: Extract<Message, { type: "observations" }>): number {
  try {
    const result = judge({ spec, ref, config: new GPT2Config(), obs: report.obs, className: String(report.className), timeoutMs: args.timeoutMs });
    console.log(renderText(result, `Step ${spec.id} check: ${report.className} from ${args.file} (backend: ${report.backend})`, spec.outputs.names));
    return result.passed ? 0 : 1;
  } catch (err) {
    console.log(`FAILED: the report from the process that ran your code could not be read (${(err as Error).message}). Did your code replace built-in functions or tfjs's?`);
    return 1;
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let args: Args;
  let spec: StepSpec;
  try {
    args = parseArgs(argv);
    spec = loadStep(args.step);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (!process.env[CHILD_ENV]) return supervise(args, spec, argv);
  try {
    await runChild(args, spec);
  } catch (err) {
    process.send?.({ type: "usage", message: `check: ${(err as Error).message}` });
  }
}

void main();
