// Timing for the benchmarks: interleaved rounds, median of many calls.
// On tfjs-node, wasm and cpu, ops run eagerly and synchronously, so the time of a call is the time
// of its work.
import { mulberry32 } from "../checks/seeded";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
export function timeRounds(fns: (() => void)[], budgetMs: number, minReps = 3, maxReps = 200, clock: Clock = "wall"): { ms: number; reps: number }[] {
  const now = clock === "wall" ? () => performance.now() : cpuMs;
  let slowest = 0;
  for (const fn of fns) {
    const t = performance.now();
    fn();
    slowest = Math.max(slowest, performance.now() - t);
  }
  const reps = Math.max(minReps, Math.min(maxReps, Math.floor(budgetMs / Math.max(slowest, 1e-3))));
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
  return samples.map((s) => ({ ms: median(s), reps }));
}
