// Comparing a learner's numbers with the reference, llm.c style: max abs difference, and the
// share of values within tolerance.

// The tolerance, and why: the reference is float64 (rounded once to float32), and tfjs computes
// in float32. Measured max abs error at this scale (x ~ N(0,1), W and b ~ N(0, 0.02), 768-long
// dot products): cpu 4e-7, wasm 2.6e-6, OpenBLAS 1.5e-6. Real mistakes (a missing bias, a wrong
// split, swapped Q and K) are 1e-2 or larger. Relative error alone is meaningless near zero, so
// we use |a - b| <= atol + rtol·|b|: a few times the worst backend's error, far below any bug.
export const ATOL = 1e-5;
export const RTOL = 1e-4;

// For *naming* a mistake we ask "is this output (close to) that wrong answer?". Ten times looser
// than the pass tolerance, still a hundred times tighter than the gap between any two candidates.
export const DIAGNOSE_ATOL = 1e-4;
export const DIAGNOSE_RTOL = 1e-3;

export interface Comparison {
  maxDiff: number;
  /** Fraction of values with |a - b| <= atol + rtol·|b|, in [0, 1]. */
  withinTol: number;
  ok: boolean;
  /** Index of the largest difference (-1 when there is none). */
  worst: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = ATOL, rtol = RTOL): Comparison {
  if (actual.length !== expected.length) return { maxDiff: Infinity, withinTol: 0, ok: false, worst: -1 };
  let maxDiff = 0;
  let worst = -1;
  let within = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN compares false everywhere: count it as a mismatch and as an infinite difference.
    if (!(d <= maxDiff) && maxDiff !== Infinity) {
      maxDiff = Number.isNaN(d) ? Infinity : d;
      worst = i;
    }
    if (d <= atol + rtol * Math.abs(expected[i])) within++;
  }
  const n = expected.length;
  return { maxDiff, withinTol: n === 0 ? 1 : within / n, ok: within === n, worst };
}

/** True when `actual` is within the looser diagnosis tolerance of `expected`. */
export function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= DIAGNOSE_ATOL + DIAGNOSE_RTOL * Math.abs(expected[i]))) return false;
  }
  return true;
}

/** "2.6e-6": short figures for a table. */
export function formatDiff(d: number): string {
  if (!Number.isFinite(d)) return String(d);
  if (d === 0) return "0";
  return d.toExponential(1).replace("e-", "e-").replace("e+0", "").replace(/e\+/, "e");
}

/** "TENSOR OK, maxdiff = 2.6e-6, 100% within tolerance" */
export function tensorLine(c: Comparison): string {
  const share = c.withinTol === 1 ? "100%" : `${(Math.floor(c.withinTol * 1000) / 10).toFixed(1)}%`;
  return `TENSOR ${c.ok ? "OK" : "NOT OK"}, maxdiff = ${formatDiff(c.maxDiff)}, ${share} within tolerance`;
}
