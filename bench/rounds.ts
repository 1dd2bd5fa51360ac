// Timing several formulations of the same work fairly, for the benchmarks.
//
// Each is warmed up, then they run in alternating rounds (A B C A B C …), so that drift in clock
// speed or background load falls on all of them alike. Reported per formulation: the median, the
// 25th–75th percentile spread, and, against a baseline, the median of the per-round ratios (each
// round's two calls ran back to back, under the same load), which is steadier than a ratio of
// medians on a busy machine.

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  p25: number;
  p75: number;
  reps: number;
  samples: number[];
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
}

/** At least `minReps` rounds, more while the budget lasts (at most `maxReps`). */
export function timeRounds(fns: (() => void)[], options: { budgetMs: number; minReps?: number; maxReps?: number }): Timing[] {
  const minReps = options.minReps ?? 11;
  const maxReps = options.maxReps ?? 300;
  let slowest = 0;
  for (const fn of fns) {
    const t = performance.now();
    fn();
    slowest = Math.max(slowest, performance.now() - t);
  }
  const perRound = Math.max(slowest * fns.length, 1e-3);
  const reps = Math.max(minReps, Math.min(maxReps, Math.floor(options.budgetMs / perRound)));
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < reps; i++) {
    fns.forEach((fn, j) => {
      const t = performance.now();
      fn();
      samples[j].push(performance.now() - t);
    });
  }
  return samples.map((s) => ({ ms: quantile(s, 0.5), p25: quantile(s, 0.25), p75: quantile(s, 0.75), reps, samples: s }));
}

/** Median over rounds of a[i] / b[i]. */
export function pairedRatio(a: Timing, b: Timing): number {
  return quantile(a.samples.map((x, i) => x / b.samples[i]), 0.5);
}

/** A Markdown table (also readable in a terminal). */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** "0.757" / "11.4" / "1.2 s": milliseconds with three significant digits. */
export function fmtMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  return ms.toPrecision(3);
}
