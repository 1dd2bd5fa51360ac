// Step 07's check: `await checkStep07(MyQKV)` in a notebook; `npm run check -- 07 FILE` from a shell.
import { runCheck } from "../engine/run";
import type { CheckOptions } from "../engine/run";
import type { CheckResult } from "../engine/types";
import { step07 } from "./spec";

/** Judge a learner's single-head Q/K/V class against float64 reference numbers, show the table, return the result. Never throws. */
export function checkStep07(Impl: unknown, options: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(step07, Impl, options);
}
