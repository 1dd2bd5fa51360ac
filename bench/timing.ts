// Timing for the benchmarks: interleaved rounds, the median of many calls and its spread, ratios
// taken round by round, and a Markdown table to print. On tfjs-node, wasm and cpu, ops run eagerly
// and synchronously, so the time of a call is the time of its work.
import { mulberry32 } from "../checks/engine/seeded";

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
}

export const median = (xs: number[]): number => quantile(xs, 0.5);

export interface Timing {
  /** Median milliseconds per call, and the 25th and 75th percentiles. */
  ms: number;
  p25: number;
  p75: number;
  reps: number;
  /** One per round, in round order (so that two formulations' samples pair up). */
  samples: number[];
}

/**
 * "wall": elapsed time. "cpu": CPU time this process used (user + system), which leaves out the
 * time it waited while other processes had the cores: the steadier measure on a shared machine
 * for work on one thread (tfjs wasm and cpu run on one).
 */
export type Clock = "wall" | "cpu";

/** CPU time this process has used so far (user + system), in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Time several formulations of the same work fairly: warm each up, then run them in
 * alternating rounds so that drift in clock speed or background load falls on all of them
 * alike. Each round runs them in a fresh (seeded) random order: what a call leaves behind
 * (garbage to collect, a cold cache) then falls on each of the others alike, whereas a fixed
 * order, or a rotation, makes one formulation always follow a heavy one. Rounds fill
 * `budgetMs` (judged by the slowest), within [minReps, maxReps]. Median ms per formulation.
 */
export function timeRounds(fns: (() => void)[], budgetMs: number, minReps = 3, maxReps = 200, clock: Clock = "wall"): Timing[] {
  const now = clock === "wall" ? () => performance.now() : cpuMs;
  let slowest = 0;
  for (const fn of fns) {
    const t = performance.now();
    fn();
    slowest = Math.max(slowest, performance.now() - t);
  }
  // The budget covers whole rounds (every formulation once), judged by the slowest.
  const reps = Math.max(minReps, Math.min(maxReps, Math.floor(budgetMs / Math.max(slowest * fns.length, 1e-3))));
  const samples = fns.map(() => [] as number[]);
  const random = mulberry32(reps);
  const order = fns.map((_, j) => j);
  for (let i = 0; i < reps; i++) {
    for (let n = order.length - 1; n > 0; n--) {
      const m = Math.floor(random() * (n + 1));
      [order[n], order[m]] = [order[m], order[n]];
    }
    for (const j of order) {
      const t = now();
      fns[j]();
      samples[j].push(now() - t);
    }
  }
  return samples.map((s) => ({ ms: median(s), p25: quantile(s, 0.25), p75: quantile(s, 0.75), reps, samples: s }));
}

/**
 * Median over rounds of a's time / b's time. Both ran in the same round, one right after the
 * other, under the same load: steadier on a busy machine than a ratio of two medians.
 */
export function pairedRatio(a: Timing, b: Timing): number {
  return median(a.samples.map((x, i) => x / b.samples[i]));
}

/** A Markdown table (also readable in a terminal). */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** "0.757" / "11.4" / "1.23 s": milliseconds with three significant digits. */
export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toPrecision(3)} s` : ms.toPrecision(3);
}
