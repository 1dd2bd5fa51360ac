// Measuring, rather than asserting, that one combined projection beats three separate ones.
//
// Both versions compute the same numbers: Q, K and V for T tokens of width C.
//   combined: qkv = x · W + b with W (C, 3C), then split into 3 × (T, C)   (GPT-2's c_attn)
//   separate: q = x · Wq + bq, k = x · Wk + bk, v = x · Wv + bv, each W (C, C)
// The work (FLOPs) is identical; what differs is one big matrix product versus three smaller
// ones, three kernel launches versus one plus a split.
import { tf } from "../lib/index";

export interface TimingRow {
  tokens: number;
  /** Median wall time of one forward pass, in milliseconds. */
  combinedMs: number;
  separateMs: number;
  /** separate / combined: above 1 means the combined projection was faster. */
  speedup: number;
  reps: number;
}

export interface TimingResult {
  backend: string;
  n_embd: number;
  rows: TimingRow[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Time both versions at each sequence length (batch 1), on the active tfjs backend.
 * Each pass reads its three outputs back (dataSync), so lazy backends cannot skip work.
 * `budgetMs` bounds the time spent per length (at least `minReps` passes of each).
 */
export function timeCombinedVsSeparate(options: { n_embd?: number; tokens?: number[]; minReps?: number; budgetMs?: number; seed?: number } = {}): TimingResult {
  const C = options.n_embd ?? 768;
  const lengths = options.tokens ?? [6, 128, 1024];
  const minReps = options.minReps ?? 7;
  const budgetMs = options.budgetMs ?? 2000;
  const seed = options.seed ?? 7;
  const W = tf.randomNormal([C, 3 * C], 0, 0.02, "float32", seed) as tf.Tensor2D; // (C, 3C)
  const b = tf.randomNormal([3 * C], 0, 0.02, "float32", seed + 1) as tf.Tensor1D; // (3C)
  // The separate layers hold exactly the three column blocks of W and b.
  const Ws = tf.split(W, 3, 1) as tf.Tensor2D[]; // 3 × (C, C)
  const bs = tf.split(b, 3, 0) as tf.Tensor1D[]; // 3 × (C)
  const rows: TimingRow[] = [];
  try {
    for (const T of lengths) {
      const x = tf.randomNormal([T, C], 0, 1, "float32", seed + 2) as tf.Tensor2D; // (T, C)
      try {
        const combined = () =>
          tf.tidy(() => {
            const qkv = tf.fused.matMul({ a: x, b: W, bias: b }); // (T, 3C)
            const parts = tf.split(qkv, 3, -1); // 3 × (T, C)
            for (const p of parts) p.dataSync();
          });
        const separate = () =>
          tf.tidy(() => {
            for (let i = 0; i < 3; i++) tf.fused.matMul({ a: x, b: Ws[i], bias: bs[i] }).dataSync(); // (T, C)
          });
        // Warm up both (first calls compile kernels and allocate), then alternate so that any
        // drift in machine load hits both equally.
        combined();
        separate();
        const tc: number[] = [];
        const ts: number[] = [];
        const start = performance.now();
        while (tc.length < minReps || performance.now() - start < budgetMs) {
          let t0 = performance.now();
          combined();
          tc.push(performance.now() - t0);
          t0 = performance.now();
          separate();
          ts.push(performance.now() - t0);
          if (tc.length >= 2000) break;
        }
        const combinedMs = median(tc);
        const separateMs = median(ts);
        rows.push({ tokens: T, combinedMs, separateMs, speedup: separateMs / combinedMs, reps: tc.length });
      } finally {
        x.dispose();
      }
    }
  } finally {
    for (const t of [W, b, ...Ws, ...bs]) t.dispose();
  }
  return { backend: tf.getBackend(), n_embd: C, rows };
}
