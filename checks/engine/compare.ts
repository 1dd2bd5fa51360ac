// Comparing a learner's numbers with the reference, llm.c style: the largest difference, where
// it is, and the share of values within tolerance. Only captured built-ins and plain loops here:
// this decides pass or fail (see intrinsics.ts).
import { abs, isFinite } from "./intrinsics";
import type { Item } from "./types";

// The tolerance, and why: the reference is float64 (rounded once to float32), and tfjs computes
// in float32. Measured max abs error at this scale (x ~ N(0,1), W and b ~ N(0, 0.02), 768-long
// dot products): cpu 4e-7, wasm 2.6e-6, numpy on OpenBLAS 1.5e-6. Real mistakes (a missing bias, a wrong
// split, swapped Q and K) are 1e-2 or larger. Relative error alone is meaningless near zero, so
// we use |a - b| <= atol + rtol·|b|: a few times the worst backend's error, far below any bug.
export const ATOL = 1e-5;
export const RTOL = 1e-4;

// For *naming* a mistake we ask "is this output (close to) that wrong answer?". Ten times looser
// than the pass tolerance, still a hundred times tighter than the gap between any two candidates.
export const DIAGNOSE_ATOL = 1e-4;
export const DIAGNOSE_RTOL = 1e-3;

// "Close, but not within tolerance": everything within 1% of the values' scale. Float16 rounding
// (3 significant digits) lands here; every named mistake is far outside it.
export const NEAR_RTOL = 1e-2;

export interface Comparison {
  maxDiff: number;
  /** Fraction of values with |a - b| <= atol + rtol·|b|, in [0, 1]. */
  withinTol: number;
  ok: boolean;
  /** Index of the largest difference (-1 when there is none). */
  worst: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = ATOL, rtol = RTOL): Comparison {
  const n = expected.length;
  if (actual.length !== n) return { maxDiff: Infinity, withinTol: 0, ok: false, worst: -1 };
  let maxDiff = 0;
  let worst = -1;
  let within = 0;
  for (let i = 0; i < n; i++) {
    const d = abs(actual[i] - expected[i]);
    // NaN compares false everywhere: count it as a mismatch and as an infinite difference.
    if (!(d <= maxDiff) && maxDiff !== Infinity) {
      maxDiff = d === d ? d : Infinity;
      worst = i;
    }
    if (d <= atol + rtol * abs(expected[i])) within++;
  }
  return { maxDiff, withinTol: n === 0 ? 1 : within / n, ok: within === n, worst };
}

/** True when `actual` is within the looser diagnosis tolerance of `expected`. */
export function closeTo(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  const n = expected.length;
  if (actual.length !== n) return false;
  for (let i = 0; i < n; i++) {
    if (!(abs(actual[i] - expected[i]) <= DIAGNOSE_ATOL + DIAGNOSE_RTOL * abs(expected[i]))) return false;
  }
  return true;
}

/** Every value within 1% of the typical magnitude of `expected`: right, but imprecise. */
export function nearlyEqual(actual: ArrayLike<number>, expected: ArrayLike<number>): boolean {
  const n = expected.length;
  if (actual.length !== n || n === 0) return false;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += abs(expected[i]);
  const scale = sum / n;
  for (let i = 0; i < n; i++) {
    if (!isFinite(actual[i]) || !(abs(actual[i] - expected[i]) <= NEAR_RTOL * (scale + abs(expected[i])))) return false;
  }
  return true;
}

/** "2.6e-6": short figures for a table. */
export function formatDiff(d: number): string {
  if (!isFinite(d)) return String(d);
  if (d === 0) return "0";
  return d.toExponential(1).replace(/e\+/, "e").replace("e0", "");
}

/** "TENSOR OK, maxdiff = 2.6e-6, 100% within tolerance" */
export function tensorLine(c: Comparison): string {
  const share = c.withinTol === 1 ? "100%" : `${(Math.floor(c.withinTol * 1000) / 10).toFixed(1)}%`;
  return `TENSOR ${c.ok ? "OK" : "NOT OK"}, maxdiff = ${formatDiff(c.maxDiff)}, ${share} within tolerance`;
}

/** The item has numbers, in this shape: they can be compared with an array of that shape. */
export function sameShape(item: Item, shape: number[]): boolean {
  if (item.values === null || item.shape === null || item.shape.length !== shape.length) return false;
  for (let i = 0; i < shape.length; i++) if (item.shape[i] !== shape[i]) return false;
  return true;
}
