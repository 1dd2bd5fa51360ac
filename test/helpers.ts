// Small helpers shared by the lib tests: seeded data and a float64 reference that does not use tfjs.
import { gaussianFloat32 } from "../checks/seeded";

/** n samples of N(0, std²), rounded to float32 (what a tensor will hold). Same seeded generator as the checks' reference. */
export function normals(n: number, std: number, seed: number): Float32Array {
  return gaussianFloat32(seed, n, std);
}

/** y = x·W + b in float64 with plain loops. x: [rows, nIn], W: [nIn, nOut], b: [nOut]. */
export function linearF64(x: ArrayLike<number>, w: Float32Array, b: Float32Array | null, rows: number, nIn: number, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    const yRow = r * nOut;
    if (b) for (let o = 0; o < nOut; o++) y[yRow + o] = b[o];
    for (let i = 0; i < nIn; i++) {
      const xi = x[r * nIn + i];
      const wRow = i * nOut;
      for (let o = 0; o < nOut; o++) y[yRow + o] += xi * w[wRow + o];
    }
  }
  return y;
}

/** Largest |a-b| and the first index breaking |a-b| <= atol + rtol*|b| (or -1). */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): { maxDiff: number; firstBad: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = d; // also catches NaN
    if (firstBad < 0 && !(d <= atol + rtol * Math.abs(expected[i]))) firstBad = i;
  }
  return { maxDiff, firstBad };
}

/**
 * Causal attention in float64 with plain loops. q [N, Tq, hs], k [N, Tk, hs], v [N, Tk, hv],
 * row-major; the Tq queries are the last Tq of the Tk positions. Returns y [N, Tq, hv] and the
 * softmax weights [N, Tq, Tk] (0 where masked).
 */
export function causalAttentionF64(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>,
  N: number, Tq: number, Tk: number, hs: number, hv: number,
): { y: Float64Array; weights: Float64Array; scores: Float64Array } {
  const y = new Float64Array(N * Tq * hv);
  const weights = new Float64Array(N * Tq * Tk);
  const scores = new Float64Array(N * Tq * Tk);
  const scale = 1 / Math.sqrt(hs);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Tq; i++) {
      const row = (n * Tq + i) * Tk;
      for (let j = 0; j < Tk; j++) {
        let s = 0;
        for (let d = 0; d < hs; d++) s += q[(n * Tq + i) * hs + d] * k[(n * Tk + j) * hs + d];
        scores[row + j] = s * scale;
      }
      const last = Tk - Tq + i; // the last key this query may see
      let max = -Infinity;
      for (let j = 0; j <= last; j++) max = Math.max(max, scores[row + j]);
      let sum = 0;
      for (let j = 0; j <= last; j++) sum += (weights[row + j] = Math.exp(scores[row + j] - max));
      for (let j = 0; j <= last; j++) weights[row + j] /= sum;
      for (let j = 0; j <= last; j++) {
        const w = weights[row + j];
        for (let d = 0; d < hv; d++) y[(n * Tq + i) * hv + d] += w * v[(n * Tk + j) * hv + d];
      }
    }
  }
  return { y, weights, scores };
}

/** Weights of one GPT-2 attention block, Hugging Face layout ([in, out]); cProj null for step 08's single head. */
export interface AttnWeights {
  cAttnW: Float32Array; // [C, 3C]
  cAttnB: Float32Array; // [3C]
  cProjW: Float32Array | null; // [C, C]
  cProjB: Float32Array | null; // [C]
}

/**
 * Seeded attention-block weights with std 1/√C, so that q, k and v have entries of about unit size
 * at any width; the biases are non-zero so that a dropped bias shows.
 */
export function attnWeights(C: number, seed: number, withProj = true): AttnWeights {
  const std = 1 / Math.sqrt(C);
  return {
    cAttnW: normals(C * 3 * C, std, seed),
    cAttnB: normals(3 * C, 0.1, seed + 1),
    cProjW: withProj ? normals(C * C, std, seed + 2) : null,
    cProjB: withProj ? normals(C, 0.1, seed + 3) : null,
  };
}

/**
 * GPT-2's attention block in float64 with plain loops: x [B, T, C] → c_attn → split into q, k, v →
 * nh heads of C/nh → causal attention → heads side by side → c_proj (skipped when w.cProjW is null).
 */
export function attentionBlockF64(x: ArrayLike<number>, B: number, T: number, C: number, nh: number, w: AttnWeights): Float64Array {
  const hs = C / nh;
  const qkv = linearF64(x, w.cAttnW, w.cAttnB, B * T, C, 3 * C); // (B*T, 3C)
  const heads = [0, 1, 2].map((part) => {
    const out = new Float64Array(B * nh * T * hs); // (B, nh, T, hs)
    for (let b = 0; b < B; b++)
      for (let h = 0; h < nh; h++)
        for (let t = 0; t < T; t++)
          for (let d = 0; d < hs; d++) out[((b * nh + h) * T + t) * hs + d] = qkv[(b * T + t) * 3 * C + part * C + h * hs + d];
    return out;
  });
  const { y } = causalAttentionF64(heads[0], heads[1], heads[2], B * nh, T, T, hs, hs); // (B, nh, T, hs)
  const merged = new Float64Array(B * T * C); // (B, T, C)
  for (let b = 0; b < B; b++)
    for (let h = 0; h < nh; h++)
      for (let t = 0; t < T; t++)
        for (let d = 0; d < hs; d++) merged[(b * T + t) * C + h * hs + d] = y[((b * nh + h) * T + t) * hs + d];
  if (!w.cProjW) return merged;
  return linearF64(merged, w.cProjW, w.cProjB, B * T, C, C);
}


/** An attention block's weights as checkpoint entries named `${prefix}c_attn.weight` and so on. */
export function attnEntries(w: AttnWeights, C: number, prefix = ""): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {
    [`${prefix}c_attn.weight`]: { shape: [C, 3 * C], data: w.cAttnW },
    [`${prefix}c_attn.bias`]: { shape: [3 * C], data: w.cAttnB },
  };
  if (w.cProjW && w.cProjB) {
    out[`${prefix}c_proj.weight`] = { shape: [C, C], data: w.cProjW };
    out[`${prefix}c_proj.bias`] = { shape: [C], data: w.cProjB };
  }
  return out;
}

/** GPT-2's causal-mask buffer as older exports saved it (h.{i}.attn.bias): lower-triangular ones, [1, 1, n, n]. */
export function maskBufferEntry(n: number): { shape: number[]; data: Float32Array } {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data.fill(1, i * n, i * n + i + 1);
  return { shape: [1, 1, n, n], data };
}
