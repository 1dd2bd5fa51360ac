// Where ticks go and what they say: round numbers ("nice numbers", 1, 2 or 5 times a power of
// ten), so an axis reads 0, 0.5, 1, 1.5 rather than 0, 0.3671, 0.7342.

/** A step of 1, 2 or 5 × 10^k that cuts `span` into about `target` intervals (Heckbert's nice numbers). */
function niceStep(span: number, target = 5): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * pow;
}

/** k × step, without the float dust of the multiplication (0.30000000000000004 → 0.3). */
function multiple(k: number, step: number): number {
  const v = Number((k * step).toPrecision(12));
  return v === 0 ? 0 : v; // no -0
}

/** The round values between lo and hi (inclusive), about `target` intervals apart. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const step = niceStep(hi - lo, target);
  const eps = step * 1e-9;
  const out: number[] = [];
  for (let k = Math.ceil((lo - eps) / step); k * step <= hi + eps; k++) out.push(multiple(k, step));
  return out;
}

/** An axis that starts and ends on round values and covers [lo, hi], with its ticks. */
export function niceAxis(lo: number, hi: number, target = 5): { min: number; max: number; step: number; ticks: number[] } {
  if (!(hi > lo)) hi = lo + 1;
  const step = niceStep(hi - lo, target);
  const min = multiple(Math.floor(lo / step + 1e-9), step);
  const max = multiple(Math.ceil(hi / step - 1e-9), step);
  const ticks: number[] = [];
  for (let k = Math.round(min / step); k <= Math.round(max / step); k++) ticks.push(multiple(k, step));
  return { min, max, step, ticks };
}

/** Tick labels with as many decimals as the step between ticks needs, trailing zeros dropped: 0, 0.5, 1, 1.5. */
export function formatTicks(ticks: number[]): string[] {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(ticks[0] ?? 1) || 1;
  const decimals = Math.min(10, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return ticks.map((v) => String(Number(v.toFixed(decimals)) || 0));
}

/** Evenly spaced integer ticks for row or column indices 0 … n-1, at most about `count` of them. */
export function indexTicks(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const raw = n / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v < n; v += step) out.push(v);
  return out;
}

/** The q-quantile of some values (nearest rank); 1 when there are none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 1;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}
