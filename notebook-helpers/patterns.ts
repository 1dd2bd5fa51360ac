// Attention patterns of a whole GPT-2, for the exploration notebooks of steps 08 and 09.
//
// GPT2LMHeadModel.forward does not keep its attention weights: each block's GPT2Attention uses
// causalAttention, which never hands them out. So this file runs the blocks itself, with the
// model's own modules (wte, wpe, ln_1, c_attn, c_proj, ln_2, mlp, ln_f) and the lib's
// causalAttentionParts where the weights are wanted, exactly in the order Block.forward uses:
//   x = wte[ids] + wpe[0..T)
//   per block: x = x + c_proj(merge(attention(heads(c_attn(ln_1(x)))))); x = x + mlp(ln_2(x))
//   ln_f(x)
// test/patterns.test.ts checks that this pass gives the model's own logits.
import { tf, causalAttentionParts } from "../lib/index";
import type { Block, GPT2LMHeadModel } from "../lib/index";
import { splitHeads, mergeHeads } from "../lib/attention";

/** patterns[i][h][t][s]: in the i-th layer asked for, head h, how much query token t attends to key token s. */
export type AttentionPatterns = number[][][][];

/** Checked token ids and layer numbers; throws a message that names the problem. */
function checkRequest(model: GPT2LMHeadModel, ids: number[], layers: number[] | undefined, who: string): number[] {
  const { vocab_size, n_positions, n_layer } = model.config;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > n_positions) {
    throw new Error(`${who} takes one sequence of 1 to ${n_positions} token ids (number[]), got ${Array.isArray(ids) ? `${ids.length} ids` : String(ids)}.`);
  }
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocab_size);
  if (bad >= 0) throw new Error(`${who}: ${String(ids[bad])} at position ${bad} is not a token id in [0, ${vocab_size}).`);
  const wanted = layers ?? Array.from({ length: n_layer }, (_, i) => i);
  const wrong = wanted.find((l) => !Number.isInteger(l) || l < 0 || l >= n_layer);
  if (wrong !== undefined) throw new Error(`${who}: layer ${String(wrong)} is not one of the model's layers 0 … ${n_layer - 1}.`);
  return wanted;
}

/** One block, as Block.forward computes it, also returning every head's attention weights (B, nh, T, T). */
export function blockWithWeights(block: Block, x: tf.Tensor3D): { x: tf.Tensor3D; weights: tf.Tensor4D } {
  return tf.tidy(() => {
    const qkv = block.attn.c_attn.forward(block.ln_1.forward(x)); // (B, T, 3C)
    const [q, k, v] = tf.split(qkv, 3, -1).map((t) => splitHeads(t, block.attn.n_head)); // 3 × (B, nh, T, hs)
    const { weights, y } = causalAttentionParts(q, k, v); // (B, nh, T, T), (B, nh, T, hs)
    const afterAttn = tf.add(x, block.attn.c_proj.forward(mergeHeads(y))); // (B, T, C)
    const out = tf.add(afterAttn, block.mlp.forward(block.ln_2.forward(afterAttn))) as tf.Tensor3D; // (B, T, C)
    return { x: out, weights: weights as tf.Tensor4D };
  });
}

/**
 * The whole forward pass for one sequence, keeping the attention weights of `layers` (default:
 * every layer), in the order given. Also returns the hidden state after ln_f, (1, T, C): the
 * caller disposes it (model.lmHead(hidden) gives the logits). Nothing else is left allocated.
 */
export function forwardWithAttention(model: GPT2LMHeadModel, ids: number[], layers?: number[]): { patterns: AttentionPatterns; hidden: tf.Tensor3D } {
  const wanted = checkRequest(model, ids, layers, "forwardWithAttention");
  const { byLayer, x } = runBlocks(model, ids, wanted, model.h.length);
  const hidden = tf.tidy(() => model.ln_f.forward(x) as tf.Tensor3D); // (B, T, C)
  x.dispose();
  return { patterns: wanted.map((l) => byLayer.get(l)!), hidden };
}

/**
 * Every head's attention weights in `layers` (default: every layer) for one sequence of token
 * ids: patterns[i][h][t][s] for the i-th layer in `layers`, head h, query t, key s. Each row sums
 * to 1 and is 0 where s > t. Runs the blocks only up to the last layer asked for; frees everything.
 */
export function attentionPatterns(model: GPT2LMHeadModel, ids: number[], layers?: number[]): AttentionPatterns {
  const wanted = checkRequest(model, ids, layers, "attentionPatterns");
  const { byLayer, x } = runBlocks(model, ids, wanted, Math.max(...wanted) + 1);
  x.dispose();
  return wanted.map((l) => byLayer.get(l)!);
}

/**
 * Blocks 0 … upTo - 1, every one through blockWithWeights (so a layer's pattern is the same
 * numbers whichever layers are asked for); the weights of the layers in `wanted` are read back.
 */
function runBlocks(model: GPT2LMHeadModel, ids: number[], wanted: number[], upTo: number): { byLayer: Map<number, number[][][]>; x: tf.Tensor3D } {
  const keep = new Set(wanted);
  const byLayer = new Map<number, number[][][]>();
  let x = model.embed([ids]); // (B, T, C)
  for (let l = 0; l < upTo; l++) {
    const out = blockWithWeights(model.h[l], x); // x: (B, T, C), weights: (B, nh, T, T)
    if (keep.has(l)) byLayer.set(l, (out.weights.arraySync() as number[][][][])[0]); // (nh, T, T) of the one sequence
    tf.dispose([x, out.weights]);
    x = out.x;
  }
  return { byLayer, x };
}

/** The entropy of one row of attention weights, in bits: 0 when all the weight is on one key, log₂ n when it is spread evenly over n. */
export function entropyBits(row: number[]): number {
  let h = 0;
  for (const w of row) if (w > 0) h -= w * Math.log2(w);
  return Math.max(0, h); // rounding can leave -0 or -1e-9 for a one-hot row
}

/** The average entropy of the rows of one (T, T) pattern, in bits. */
export function meanEntropyBits(pattern: number[][]): number {
  return pattern.reduce((sum, row) => sum + entropyBits(row), 0) / pattern.length;
}

/**
 * The same average for uniform causal attention over T tokens (row t spread evenly over its t + 1
 * keys, entropy log₂(t + 1)): the largest that meanEntropyBits of a causal pattern can be.
 */
export function uniformEntropyBits(T: number): number {
  let sum = 0;
  for (let t = 0; t < T; t++) sum += Math.log2(t + 1);
  return sum / T;
}

/** future[t][s]: key s comes after query t, so causal attention hides it. For a heatmap's mask. */
export function futureMask(T: number): boolean[][] {
  return Array.from({ length: T }, (_, t) => Array.from({ length: T }, (_, s) => s > t));
}
