// Step 08's check: `await checkStep08(MyAttention)` in a notebook; `npm run check -- 08 FILE` from a shell.
import { runCheck } from "../engine/run";
import type { CheckOptions } from "../engine/run";
import type { CheckResult } from "../engine/types";
import { step08 } from "./spec";

/** Judge a learner's single-head causal attention against float64 reference numbers, show the table, return the result. Never throws. */
export function checkStep08(Impl: unknown, options: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(step08, Impl, options);
}
