// Float64 building blocks for the references, with plain loops: the independent implementation
// that expected outputs come from. They share no code with tfjs, so a tfjs bug cannot hide in a
// reference. Row-major arrays throughout.

/** y = x · W + b in float64. x: [rows, nIn], W: [nIn, nOut] ([in, out], GPT-2's Conv1D layout), b: [nOut] or null. */
export function linearF64(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, rows: number, nIn: number, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  const acc = new Float64Array(nOut);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nOut; j++) acc[j] = b ? b[j] : 0;
    for (let i = 0; i < nIn; i++) {
      const xi = x[r * nIn + i];
      const wRow = i * nOut;
      for (let j = 0; j < nOut; j++) acc[j] += xi * w[wRow + j];
    }
    y.set(acc, r * nOut);
  }
  return y;
}

/** Cut y [rows, parts·width] along its last axis into `parts` arrays [rows, width]. */
export function splitLast(y: ArrayLike<number>, rows: number, parts: number, width: number): Float64Array[] {
  const out = Array.from({ length: parts }, () => new Float64Array(rows * width));
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < parts; p++) {
      for (let c = 0; c < width; c++) out[p][r * width + c] = y[r * parts * width + p * width + c];
    }
  }
  return out;
}

/** Softmax of each row of `x` [rows, n], in place on a copy; subtracting the row maximum keeps exp finite. */
export function softmaxRows(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < n; c++) max = Math.max(max, x[r * n + c]);
    let sum = 0;
    for (let c = 0; c < n; c++) sum += out[r * n + c] = Math.exp(x[r * n + c] - max);
    for (let c = 0; c < n; c++) out[r * n + c] /= sum;
  }
  return out;
}

/** LayerNorm of each row of x [rows, n] with unit weight and zero bias: (x - mean) / √(var + eps). */
export function normalizeRows(x: ArrayLike<number>, rows: number, n: number, eps: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < n; c++) mean += x[r * n + c];
    mean /= n;
    let variance = 0;
    for (let c = 0; c < n; c++) variance += (x[r * n + c] - mean) ** 2;
    variance /= n;
    const scale = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < n; c++) out[r * n + c] = (x[r * n + c] - mean) * scale;
  }
  return out;
}

// ---- Causal self-attention in float64, with every way of getting it wrong as a parameter ---------
//
// The references of steps 08 and 09 are `attentionF64` with its defaults. Each mistake a check
// names is the same pipeline with one parameter changed, so "the wrong answer built from the
// reference" is literally that: the reference's code with the learner's mistake in it.

export interface AttentionOptions {
  nHead: number;
  /** Multiplies q·kᵀ. Default 1/√head_size. */
  scale?: number;
  /** causal (the right one), none, reversed (the future visible, the past hidden), after-softmax
   *  (future weights zeroed after a softmax over all keys), multiply (scores × 0 in the future,
   *  then softmax). */
  mask?: "causal" | "none" | "reversed" | "after-softmax" | "multiply";
  /** Softmax over the keys (right) or over the queries. */
  softmaxOver?: "keys" | "queries";
  /** k·qᵀ instead of q·kᵀ. */
  swapQK?: boolean;
  /** What the weights mix: v (right), q or k. */
  mix?: "v" | "q" | "k";
  /** How [B, T, C] becomes [B, nh, T, hs]: with the transpose (right), a plain reshape, or heads
   *  that take every nh-th column (a reshape to [B, T, hs, nh]). */
  split?: "transpose" | "reshape" | "interleaved";
  /** How [B, nh, T, hs] becomes [B, T, C] again: with the transpose back (right) or a plain reshape. */
  merge?: "transpose" | "reshape";
}

/** q, k, v [B, T, C] → heads [B, nh, T, hs] (how: see AttentionOptions.split). */
function toHeads(x: ArrayLike<number>, B: number, T: number, nh: number, hs: number, how: "transpose" | "reshape" | "interleaved"): Float64Array {
  const C = nh * hs;
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nh; h++) {
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < hs; d++) {
          const dst = ((b * nh + h) * T + t) * hs + d;
          // The element a reshape to [B, nh, T, hs] would put here is the one at this flat index.
          const src = how === "reshape" ? dst : how === "interleaved" ? (b * T + t) * C + d * nh + h : (b * T + t) * C + h * hs + d;
          out[dst] = x[src];
        }
      }
    }
  }
  return out;
}

/** Heads [B, nh, T, hs] → [B, T, C] (how: see AttentionOptions.merge). */
export function fromHeads(y: ArrayLike<number>, B: number, T: number, nh: number, hs: number, how: "transpose" | "reshape"): Float64Array {
  if (how === "reshape") return Float64Array.from(y);
  const C = nh * hs;
  const out = new Float64Array(B * T * C);
  for (let b = 0; b < B; b++) for (let h = 0; h < nh; h++) for (let t = 0; t < T; t++) for (let d = 0; d < hs; d++) {
    out[(b * T + t) * C + h * hs + d] = y[((b * nh + h) * T + t) * hs + d];
  }
  return out;
}

/**
 * Attention weights [B, nh, T, T] and output [B, T, C] from q, k, v [B, T, C]. With the defaults:
 * per head, softmax(q·kᵀ/√hs with -∞ above the diagonal) over the keys, times v, heads merged back.
 */
export function attentionF64(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, B: number, T: number, C: number, o: AttentionOptions): { weights: Float64Array; y: Float64Array } {
  const nh = o.nHead;
  const hs = C / nh;
  const split = o.split ?? "transpose";
  const qh = toHeads(o.swapQK ? k : q, B, T, nh, hs, split);
  const kh = toHeads(o.swapQK ? q : k, B, T, nh, hs, split);
  const vh = toHeads(o.mix === "q" ? q : o.mix === "k" ? k : v, B, T, nh, hs, split);
  const scale = o.scale ?? 1 / Math.sqrt(hs);
  const mask = o.mask ?? "causal";
  const weights = new Float64Array(B * nh * T * T);
  const yh = new Float64Array(B * nh * T * hs);
  const visible = (t: number, s: number): boolean => (mask === "reversed" ? s >= t : s <= t);
  for (let bh = 0; bh < B * nh; bh++) {
    const w = weights.subarray(bh * T * T, (bh + 1) * T * T);
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < T; s++) {
        let dot = 0;
        for (let d = 0; d < hs; d++) dot += qh[(bh * T + t) * hs + d] * kh[(bh * T + s) * hs + d];
        let score = dot * scale;
        if (mask === "multiply" && !visible(t, s)) score = 0;
        w[t * T + s] = (mask === "causal" || mask === "reversed") && !visible(t, s) ? -Infinity : score;
      }
    }
    // Softmax over the keys (each row) or the queries (each column).
    const over = o.softmaxOver ?? "keys";
    for (let i = 0; i < T; i++) {
      const at = (j: number): number => (over === "keys" ? i * T + j : j * T + i);
      let max = -Infinity;
      for (let j = 0; j < T; j++) max = Math.max(max, w[at(j)]);
      let sum = 0;
      for (let j = 0; j < T; j++) sum += w[at(j)] = Math.exp(w[at(j)] - max);
      for (let j = 0; j < T; j++) w[at(j)] /= sum;
    }
    if (mask === "after-softmax") for (let t = 0; t < T; t++) for (let s = t + 1; s < T; s++) w[t * T + s] = 0;
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < hs; d++) {
        let acc = 0;
        for (let s = 0; s < T; s++) acc += w[t * T + s] * vh[(bh * T + s) * hs + d];
        yh[(bh * T + t) * hs + d] = acc;
      }
    }
  }
  return { weights, y: fromHeads(yh, B, T, nh, hs, o.merge ?? "transpose") };
}
