// Running one step's check in this process (a notebook, a test): load the reference, run the
// learner's class (probe.ts), judge what happened (judge.ts), show the table. Never throws.
import { randomInt } from "node:crypto";
import { tf } from "../../lib/tf";
import { selectBackend } from "../../lib/backend";
import { GPT2Config } from "../../lib/config";
import { Module } from "../../lib/module";
import type { Clock } from "./guarded";
import { withOriginalBuiltins } from "./intrinsics";
import { finish, judge, referenceRow } from "./judge";
import { fail } from "./rows";
import { probe } from "./probe";
import { loadReference } from "./reference-file";
import { showResult } from "./report";
import type { DisplayMode } from "./report";
import type { CheckResult, CheckRow, ReferenceData, StepSpec } from "./types";

// Captured when the checks are imported, before any learner code can replace it (intrinsics.ts).
const freshSeedSource = randomInt;

export interface CheckOptions {
  /** "auto" (default): HTML in a tslab notebook, text elsewhere. "none": print nothing. */
  display?: DisplayMode;
  /**
   * Bound, in ms, on each call into the learner's code (default 5000). A Promise that has not
   * settled by then is abandoned; a synchronous call that takes longer is reported as too slow.
   */
  timeoutMs?: number;
  /** Another reference file (tests use this to show that a corrupted file is reported). */
  referenceFile?: string;
}

/** Options only tests use: a clock that needs no waiting, and a fixed fresh input. */
export interface TestOptions {
  clock?: Clock;
  freshSeed?: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;

function currentBackend(): string {
  try {
    return tf.engine().backendName || "none";
  } catch {
    return "unknown";
  }
}

/** Load and verify a step's reference; a problem becomes the failing first row. */
export function referenceOrRow(spec: StepSpec, file?: string): ReferenceData | CheckRow {
  try {
    return loadReference(spec.reference, spec.id, file);
  } catch (err) {
    return fail("reference", "reference-file", (err as Error).message, { title: "Reference file" });
  }
}

async function runSteps(spec: StepSpec, Impl: unknown, options: CheckOptions & TestOptions): Promise<CheckResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ref = referenceOrRow(spec, options.referenceFile);
  if (!("dims" in ref)) return finish(spec, [ref]);
  if (typeof Impl !== "function") {
    const got = Impl instanceof Module ? `an instance (${Impl.constructor.name}); pass the class itself: ${spec.checkName}(${Impl.constructor.name})` : Impl === null ? "null" : typeof Impl;
    const row = fail("construct", "not-a-class", `${spec.checkName} takes your class, as in ${spec.checkName}(${spec.exampleClass}); it got ${got}.`, { title: "Not a class" });
    return finish(spec, [referenceRow(spec, ref), row]);
  }
  // A notebook that never chose a backend: choose the best one now. (backendInstance is not in
  // tfjs's typings; asking `tf.engine().backend` would start wasm without its .wasm file paths.)
  if ((tf.engine() as unknown as { backendInstance?: unknown }).backendInstance == null) await selectBackend(undefined, { log: null });
  // The reference has this config's width: loadReference checks the file against the spec, and
  // test/check-reference.test.ts the spec against GPT2Config().
  const config = new GPT2Config();
  const freshSeed = options.freshSeed ?? freshSeedSource(1, 2 ** 31 - 1);
  const obs = await probe(spec, Impl, ref, config, { timeoutMs, freshSeed, clock: options.clock });
  // The learner's code has run: judge with the built-ins as they were before it (intrinsics.ts).
  return withOriginalBuiltins(() => judge({ spec, ref, config, obs, className: (Impl as { name?: string }).name || "YourClass", timeoutMs }));
}

/** Run a step's check on a learner's class, show the table, and return the result. Never throws. */
export async function runCheck(spec: StepSpec, Impl: unknown, options: CheckOptions & TestOptions = {}): Promise<CheckResult> {
  let result: CheckResult;
  try {
    result = await runSteps(spec, Impl, options);
  } catch (err) {
    const message = `The check itself failed (${err instanceof Error ? err.message : String(err)}). This is a bug in the check, not in your code: please report it.`;
    result = { passed: false, results: [fail("check", "internal-error", message)], notRun: [] };
  }
  try {
    const name = typeof Impl === "function" && Impl.name ? Impl.name : "your class";
    withOriginalBuiltins(() => showResult(result, options.display ?? "auto", `Step ${spec.id} check: ${name} (backend: ${currentBackend()})`, spec.outputs.names));
  } catch {
    // Showing the table is a courtesy; the result is still returned.
  }
  return result;
}
