// Causal self-attention: steps 08 (one head) and 09 (GPT-2's multi-head `attn` block).
//
// Every position t mixes the values of positions 0..t, weighted by how well its query matches
// their keys: y = softmax(q·kᵀ/√hs + mask) · v, where the mask is -Infinity above the diagonal.
import { tf } from "./tf";
import { ensureBackend } from "./backend";
import { GPT2Config } from "./config";
import { Linear } from "./module";
import { CAttnModule } from "./qkv";
import { shapeText, describeInput, expectBTC } from "./shape";
import { attnFromPretrained } from "./state-dict";

// On the wasm backend a 2-D matMul runs on XNNPACK while a batched (3-D) one runs a generic loop
// about 10x slower, but each 2-D call also pays a fixed cost to pack its right-hand matrix. So from
// this many query rows on, a loop of per-head 2-D products wins; below it (a short prompt, or one
// new token with a KV cache) one batched product does. Measured with `npm run bench:attention`.
const PER_HEAD_MIN_ROWS = 16;

/**
 * The causal mask as an additive (Tq, Tk) tensor: 0 where a query may look, -Infinity where it may
 * not. The Tq queries are the last Tq of the Tk positions (Tq < Tk when earlier keys come from a
 * KV cache), so query i sees keys 0 .. Tk - Tq + i.
 */
export function causalMask(Tq: number, Tk: number): tf.Tensor2D {
  if (!Number.isInteger(Tq) || !Number.isInteger(Tk) || Tq < 1 || Tk < Tq) {
    throw new Error(`causalMask(Tq, Tk) needs whole numbers 1 <= Tq <= Tk, got Tq ${Tq}, Tk ${Tk}.`);
  }
  ensureBackend();
  const m = new Float32Array(Tq * Tk);
  for (let i = 0; i < Tq; i++) m.fill(-Infinity, i * Tk + (Tk - Tq) + i + 1, (i + 1) * Tk);
  return tf.tensor2d(m, [Tq, Tk]); // (Tq, Tk)
}

/** Checks q [..., Tq, hs], k [..., Tk, hs], v [..., Tk, hv] before any work; returns the sizes. */
function checkQKV(who: string, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): { lead: number[]; Tq: number; Tk: number; hs: number; hv: number } {
  const usage = `${who}(q, k, v) takes q [..., Tq, hs], k [..., Tk, hs] and v [..., Tk, hv] with the same leading axes (such as [B, nh, T, hs]) and Tk >= Tq`;
  for (const [name, t] of [["q", q], ["k", k], ["v", v]] as const) {
    if (!(t instanceof tf.Tensor) || t.rank < 2) throw new Error(`${usage}; ${name} is ${describeInput(t)}.`);
    if (t.dtype !== "float32") throw new Error(`${usage}; ${name} has dtype ${t.dtype}: make it float32 with tf.cast(${name}, "float32").`);
  }
  const shapes = `got q ${shapeText(q.shape)}, k ${shapeText(k.shape)}, v ${shapeText(v.shape)}`;
  const lead = q.shape.slice(0, -2);
  const same = (t: tf.Tensor) => t.rank === q.rank && tf.util.arraysEqual(t.shape.slice(0, -2), lead);
  if (!same(k) || !same(v)) throw new Error(`${usage}; the leading axes differ: ${shapes}.`);
  const [Tq, hs] = q.shape.slice(-2);
  const [Tk, hsk] = k.shape.slice(-2);
  if (hsk !== hs) throw new Error(`${usage}; q and k must have the same last axis (head size): ${shapes}.`);
  if (v.shape[v.rank - 2] !== Tk) throw new Error(`${usage}; k and v must have the same number of positions: ${shapes}.`);
  if (Tq < 1 || Tk < Tq) throw new Error(`${usage}; ${shapes}: ${Tq < 1 ? "no query positions" : "fewer keys than queries"}.`);
  return { lead, Tq, Tk, hs, hv: v.shape[v.rank - 1] };
}

/**
 * Causal scaled dot-product attention over the last two axes: q [..., Tq, hs], k [..., Tk, hs],
 * v [..., Tk, hv] → y [..., Tq, hv]. Any leading axes: [B, T, hs] for one head, [B, nh, T, hs] for
 * heads. Softmax subtracts each row's maximum (tf.softmax does), so large scores cannot overflow.
 * Same numbers as causalAttentionParts(q, k, v).y; this is the fast formulation.
 */
export function causalAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const { lead, Tq, Tk, hs, hv } = checkQKV("causalAttention", q, k, v);
  return tf.tidy(() => {
    const mask = causalMask(Tq, Tk); // (Tq, Tk)
    const qs = tf.mul(q, 1 / Math.sqrt(hs)); // (..., Tq, hs): scaling q costs Tq·hs products, the scores Tq·Tk
    if (tf.getBackend() !== "wasm" || Tq < PER_HEAD_MIN_ROWS) {
      const att = tf.softmax(tf.add(tf.matMul(qs, k, false, true), mask)); // (..., Tq, Tk)
      return tf.matMul(att, v); // (..., Tq, hv)
    }
    // wasm, many rows: one 2-D product per head, with kᵀ made once (2-D transposeB is slow there).
    const N = lead.reduce((a, b) => a * b, 1);
    const qh = tf.unstack(tf.reshape(qs, [N, Tq, hs])) as tf.Tensor2D[]; // N × (Tq, hs)
    const kT = tf.unstack(tf.transpose(tf.reshape(k, [N, Tk, hs]), [0, 2, 1])) as tf.Tensor2D[]; // N × (hs, Tk)
    const vh = tf.unstack(tf.reshape(v, [N, Tk, hv])) as tf.Tensor2D[]; // N × (Tk, hv)
    const ys = qh.map((qi, i) =>
      tf.tidy(() => {
        const att = tf.softmax(tf.add(tf.matMul(qi, kT[i]), mask)) as tf.Tensor2D; // (Tq, Tk)
        return tf.matMul(att, vh[i]); // (Tq, hv)
      }),
    );
    return tf.reshape(tf.stack(ys), [...lead, Tq, hv]); // (..., Tq, hv)
  });
}

/** The steps of causal attention, for looking at (notebooks). Each is a new tensor: dispose them. */
export interface AttentionParts {
  /** q·kᵀ/√hs: how well each query matches each key. (..., Tq, Tk) */
  scores: tf.Tensor;
  /** The scores with -Infinity where a query would see a later position. (..., Tq, Tk) */
  masked: tf.Tensor;
  /** softmax of the masked scores: each row sums to 1, and is 0 above the diagonal. (..., Tq, Tk) */
  weights: tf.Tensor;
  /** weights·v: each position's mix of the values it may see. (..., Tq, hv) */
  y: tf.Tensor;
}

/** causalAttention one step at a time, keeping every intermediate. Same shapes and rules. */
export function causalAttentionParts(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): AttentionParts {
  const { Tq, Tk, hs } = checkQKV("causalAttentionParts", q, k, v);
  return tf.tidy(() => {
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)); // (..., Tq, Tk)
    const masked = tf.add(scores, causalMask(Tq, Tk)); // (..., Tq, Tk)
    const weights = tf.softmax(masked); // (..., Tq, Tk)
    const y = tf.matMul(weights, v); // (..., Tq, hv)
    return { scores, masked, weights, y };
  });
}

/**
 * Step 08: attention with a single head as wide as the model. `c_attn` makes q, k, v (as in
 * step 07) and each position attends to itself and the positions before it, scaled by 1/√n_embd.
 * No output projection: that comes with heads, in GPT2Attention.
 */
export class GPT2SingleHeadAttention extends CAttnModule {
  /** x: [B, T, n_embd] → y: [B, T, n_embd]. */
  forward(x: tf.Tensor): tf.Tensor3D {
    expectBTC(x, this.n_embd, "GPT2SingleHeadAttention.forward");
    return tf.tidy(() => {
      const [q, k, v] = this.projectQKV(x); // 3 × (B, T, C)
      return causalAttention(q, k, v) as tf.Tensor3D; // (B, T, C)
    });
  }

  /** Block `layer`'s c_attn from a Hugging Face GPT-2 state dict, as GPT2SingleHeadQKV.fromPretrained. */
  static fromPretrained(stateDict: Record<string, tf.Tensor>, layer = 0, config?: GPT2Config): GPT2SingleHeadAttention {
    return attnFromPretrained(stateDict, layer, config, false, (c) => new GPT2SingleHeadAttention(c));
  }
}

/** [B, T, C] → [B, nh, T, C / nh]: the nh heads, side by side along C, each on an axis of its own. */
export function splitHeads(t: tf.Tensor, nh: number): tf.Tensor4D {
  const [B, T, C] = t.shape;
  return tf.tidy(() => tf.transpose(tf.reshape(t, [B, T, nh, C / nh]), [0, 2, 1, 3])); // (B, nh, T, hs)
}

/** [B, nh, T, hs] → [B, T, nh · hs]: splitHeads undone, the heads side by side again. */
export function mergeHeads(y: tf.Tensor): tf.Tensor3D {
  const [B, nh, T, hs] = y.shape;
  return tf.tidy(() => tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, nh * hs])); // (B, T, C)
}

/**
 * Step 09: GPT-2's attention block (`h.{i}.attn`), as Hugging Face's GPT2Attention without dropout.
 * q, k, v from `c_attn` are cut into n_head heads of hs = n_embd / n_head, each head attends
 * causally with scale 1/√hs, the heads are put side by side again, and `c_proj` mixes them.
 */
export class GPT2Attention extends CAttnModule {
  readonly n_head: number;
  readonly c_proj: Linear;

  constructor(config: GPT2Config = new GPT2Config(), options: { seed?: number; initStd?: number } = {}) {
    super(config, options); // c_attn: W (C, 3C), b (3C)
    this.n_head = this.config.n_head;
    const seed = options.seed === undefined ? undefined : options.seed + 1;
    this.c_proj = new Linear(this.n_embd, this.n_embd, { seed, initStd: options.initStd }); // W: (C, C), b: (C)
  }

  /**
   * x: [B, T, n_embd] → y: [B, T, n_embd]. With a `cache`, x holds only the new positions: their
   * keys and values are appended to the cache and they attend to everything in it.
   */
  forward(x: tf.Tensor, cache?: KVCacheLayer): tf.Tensor3D {
    expectBTC(x, this.n_embd, "GPT2Attention.forward");
    const B = x.shape[0];
    if (cache && cache.length > 0 && cache.batch !== B) {
      throw new Error(`GPT2Attention.forward: the KV cache holds ${cache.batch} sequences but x has ${B}; use one cache per batch of sequences.`);
    }
    return tf.tidy(() => {
      let [q, k, v]: tf.Tensor[] = this.projectQKV(x).map((t) => splitHeads(t, this.n_head)); // 3 × (B, nh, T, hs)
      if (cache) [k, v] = cache.append(k, v); // (B, nh, T_past + T, hs)
      const y = causalAttention(q, k, v); // (B, nh, T, hs)
      return this.c_proj.forward(mergeHeads(y)) as tf.Tensor3D; // (B, T, C)
    });
  }

  /**
   * Block `layer`'s attention from a Hugging Face GPT-2 state dict (see loadSafetensors):
   * `h.{layer}.attn.c_attn.*` and `h.{layer}.attn.c_proj.*`, with or without a `transformer.`
   * prefix; every shape is checked before anything is copied. The head count is not in the
   * weights: it comes from `config`, else from GPT-2's released sizes for this width.
   *
   * Older PyTorch exports also saved `h.{i}.attn.bias`, the causal mask as a [1, 1, 1024, 1024]
   * buffer, and `h.{i}.attn.masked_bias`, the value put where it is 0. They are not learned, and
   * this layer makes its mask from the sequence length (causalMask), so they are ignored.
   */
  static fromPretrained(stateDict: Record<string, tf.Tensor>, layer = 0, config?: GPT2Config): GPT2Attention {
    return attnFromPretrained(stateDict, layer, config, true, (c) => new GPT2Attention(c));
  }
}

/**
 * One attention block's keys and values so far, each (B, nh, T_past, hs). Generation feeds the
 * prompt once, then one token at a time: each new token's query attends to the cached keys, so it
 * costs one position instead of the whole prefix again. dispose() when done.
 */
export class KVCacheLayer {
  k: tf.Tensor | null = null; // (B, nh, T_past, hs)
  v: tf.Tensor | null = null; // (B, nh, T_past, hs)

  /** Positions held so far. */
  get length(): number {
    return this.k ? (this.k.shape[2] as number) : 0;
  }

  /** Sequences held (B); 0 while empty. */
  get batch(): number {
    return this.k ? this.k.shape[0] : 0;
  }

  /** Append new (B, nh, T, hs) keys and values; returns all of them so far. They outlive the caller's tidy. */
  append(k: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] {
    const [oldK, oldV] = [this.k, this.v];
    this.k = tf.keep(oldK ? tf.concat([oldK, k], 2) : k); // (B, nh, T_past + T, hs)
    this.v = tf.keep(oldV ? tf.concat([oldV, v], 2) : v);
    tf.dispose([oldK, oldV].filter((t): t is tf.Tensor => t !== null));
    return [this.k, this.v];
  }

  dispose(): void {
    tf.dispose([this.k, this.v].filter((t): t is tf.Tensor => t !== null));
    this.k = this.v = null;
  }
}
