// Step 09's check: `await checkStep09(MyAttention)` in a notebook; `npm run check -- 09 FILE` from a shell.
import { runCheck } from "../engine/run";
import type { CheckOptions } from "../engine/run";
import type { CheckResult } from "../engine/types";
import { step09 } from "./spec";

/** Judge a learner's multi-head attention (GPT-2's attn block) against float64 reference numbers, show the table, return the result. Never throws. */
export function checkStep09(Impl: unknown, options: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(step09, Impl, options);
}
