// Small helpers shared by the lib tests: seeded data, a float64 reference and model folders, none of
// which uses tfjs.
import * as fs from "node:fs";
import * as path from "node:path";
import { gaussianFloat32 } from "../checks/engine/seeded";
import { encodeSafetensors } from "../lib/safetensors-file";
import type { GPT2ConfigFields } from "../lib/config";

/** n samples of N(0, std²), rounded to float32 (what a tensor will hold). Same seeded generator as the checks' reference. */
export function normals(n: number, std: number, seed: number): Float32Array {
  return gaussianFloat32(seed, n, std);
}

/** y = x·W + b in float64 with plain loops (the same code the checks' references use). */
import { linearF64, splitLast, attentionF64, normalizeRows } from "../checks/engine/float64";
export { linearF64 };

/** Largest |a-b| (NaN if any is) and the first index breaking |a-b| <= atol + rtol*|b| (or -1). */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): { maxDiff: number; firstBad: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff) && !Number.isNaN(maxDiff)) maxDiff = d; // once a difference is NaN, maxDiff stays NaN
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
 * GPT-2's attention block in float64 with plain loops (the checks' reference code): x [B, T, C] →
 * c_attn → split into q, k, v → nh heads of C/nh → causal attention → heads side by side → c_proj
 * (skipped when w.cProjW is null).
 */
export function attentionBlockF64(x: ArrayLike<number>, B: number, T: number, C: number, nh: number, w: AttnWeights): Float64Array {
  const [q, k, v] = splitLast(linearF64(x, w.cAttnW, w.cAttnB, B * T, C, 3 * C), B * T, 3, C);
  const { y } = attentionF64(q, k, v, B, T, C, { nHead: nh });
  if (!w.cProjW) return y;
  return linearF64(y, w.cProjW, w.cProjB, B * T, C, C);
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

type Entries = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * Seeded GPT-2 weights in Hugging Face's layout and names (wte.weight, h.0.attn.c_attn.weight, ...,
 * ln_f.bias), with LayerNorm weights near 1 and non-zero biases so that no term vanishes.
 * `prefix` is prepended to every name; `maskBuffers` adds the h.{i}.attn.bias buffers older exports carry.
 */
export function gpt2Entries(c: GPT2ConfigFields, seed: number, options: { prefix?: string; maskBuffers?: boolean } = {}): Entries {
  const C = c.n_embd;
  const p = options.prefix ?? "";
  let s = seed;
  const norm = (shape: number[], std: number, mean = 0) => ({ shape, data: normals(shape.reduce((a, b) => a * b, 1), std, s++).map((x) => x + mean) });
  const out: Entries = { [`${p}wte.weight`]: norm([c.vocab_size, C], 0.5), [`${p}wpe.weight`]: norm([c.n_positions, C], 0.2) };
  for (let i = 0; i < c.n_layer; i++) {
    const h = `${p}h.${i}.`;
    Object.assign(out, attnEntries(attnWeights(C, s), C, `${h}attn.`));
    s += 4;
    out[`${h}ln_1.weight`] = norm([C], 0.1, 1);
    out[`${h}ln_1.bias`] = norm([C], 0.1);
    out[`${h}ln_2.weight`] = norm([C], 0.1, 1);
    out[`${h}ln_2.bias`] = norm([C], 0.1);
    out[`${h}mlp.c_fc.weight`] = norm([C, 4 * C], 1 / Math.sqrt(C));
    out[`${h}mlp.c_fc.bias`] = norm([4 * C], 0.1);
    out[`${h}mlp.c_proj.weight`] = norm([4 * C, C], 1 / Math.sqrt(4 * C));
    out[`${h}mlp.c_proj.bias`] = norm([C], 0.1);
    if (options.maskBuffers) out[`${h}attn.bias`] = maskBufferEntry(c.n_positions);
  }
  out[`${p}ln_f.weight`] = norm([C], 0.1, 1);
  out[`${p}ln_f.bias`] = norm([C], 0.1);
  return out;
}

/**
 * A Hugging Face model folder in `dir` (made if missing): config.json (none when `config` is null)
 * and model.safetensors with `entries` in name order, as saveSafetensors writes them, and
 * `metadata` in its header. Returns `dir`.
 */
export function writeModelFolder(dir: string, config: object | null, entries: Entries, metadata: Record<string, string> = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  if (config) fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const list = Object.keys(entries).sort().map((name) => ({ name, ...entries[name] }));
  fs.writeFileSync(path.join(dir, "model.safetensors"), encodeSafetensors(list, metadata));
  return dir;
}

/** LayerNorm over rows of width C in float64. */
function layerNormF64(x: ArrayLike<number>, w: Float32Array, b: Float32Array, rows: number, C: number, eps: number): Float64Array {
  return normalizeRows(x, rows, C, eps).map((v, i) => v * w[i % C] + b[i % C]);
}

/** GPT-2's GELU (gelu_new, the tanh form) of one value, in float64. */
export const geluF64 = (v: number): number => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

/**
 * GPT-2's forward pass in float64 with plain loops: ids [B][T] → logits [B, T, vocab_size],
 * from weights named as in the checkpoint (no prefix).
 */
export function gpt2F64(ids: number[][], c: GPT2ConfigFields, e: Entries): Float64Array {
  const [B, T, C, V] = [ids.length, ids[0].length, c.n_embd, c.vocab_size];
  const rows = B * T;
  let x: Float64Array = new Float64Array(rows * C);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let i = 0; i < C; i++) x[(b * T + t) * C + i] = e["wte.weight"].data[ids[b][t] * C + i] + e["wpe.weight"].data[t * C + i];
  const add = (a: Float64Array, d: Float64Array) => a.map((v, i) => v + d[i]);
  for (let l = 0; l < c.n_layer; l++) {
    const w = (name: string) => e[`h.${l}.${name}`].data;
    const a = attentionBlockF64(layerNormF64(x, w("ln_1.weight"), w("ln_1.bias"), rows, C, c.layer_norm_epsilon), B, T, C, c.n_head, {
      cAttnW: w("attn.c_attn.weight"), cAttnB: w("attn.c_attn.bias"), cProjW: w("attn.c_proj.weight"), cProjB: w("attn.c_proj.bias"),
    });
    x = add(x, a);
    const hidden = linearF64(layerNormF64(x, w("ln_2.weight"), w("ln_2.bias"), rows, C, c.layer_norm_epsilon), w("mlp.c_fc.weight"), w("mlp.c_fc.bias"), rows, C, 4 * C);
    x = add(x, linearF64(hidden.map(geluF64), w("mlp.c_proj.weight"), w("mlp.c_proj.bias"), rows, 4 * C, C));
  }
  const h = layerNormF64(x, e["ln_f.weight"].data, e["ln_f.bias"].data, rows, C, c.layer_norm_epsilon);
  const logits = new Float64Array(rows * V);
  const wte = e["wte.weight"].data;
  for (let r = 0; r < rows; r++)
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let i = 0; i < C; i++) s += h[r * C + i] * wte[v * C + i];
      logits[r * V + v] = s;
    }
  return logits;
}
