// What the tests of the checks share: failing rows as text, and putting back the built-ins that the
// "patched globals" fixtures replace.
import type { CheckResult } from "../checks/index";

/** The failing rows, one a line: "[name] message". */
export const failures = (r: CheckResult): string => r.results.filter((x) => !x.passed).map((x) => `[${x.name}] ${x.message}`).join("\n");

/** Run `fn`, then put back every built-in the "patched globals" fixtures replace (Math.abs, Array's and Float32Array's every). */
export function withBuiltinsRestored<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { abs: Math.abs, every: Array.prototype.every, every32: Float32Array.prototype.every };
  return fn().finally(() => {
    Math.abs = saved.abs;
    Array.prototype.every = saved.every;
    Float32Array.prototype.every = saved.every32;
  });
}
