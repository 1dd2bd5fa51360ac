// From token ids to the vectors that a block sees: the two embeddings (step 06).
//
// In GPT-2 a block never sees the raw embeddings: each block starts with a LayerNorm (ln_1, in
// lib/layer-norm.ts) and feeds its output to c_attn. So the input of the first c_attn is
// ln_1(wte[ids] + wpe[0..T)).
import { tf } from "../lib/index";
import type { Layer0Weights } from "./weights";

/** Token plus position embedding: x = wte[ids] + wpe[0..T), as (1, T, C). */
export function embed(ids: number[], w: Layer0Weights): tf.Tensor3D {
  if (ids.length > w.wpe.shape[0]) {
    throw new Error(`${ids.length} tokens, but GPT-2 has position embeddings for only ${w.wpe.shape[0]}.`);
  }
  return tf.tidy(() => {
    const tok = w.tokenEmbedding(ids); // (T, C)
    const pos = tf.slice(w.wpe, [0, 0], [ids.length, w.config.n_embd]); // (T, C)
    return tf.expandDims(tf.add(tok, pos), 0) as tf.Tensor3D; // (1, T, C)
  });
}

/** A tensor as nested arrays of rows, for plots: (T, N) → number[T][N]. Drops a leading batch of 1. */
export function rowsOf(t: tf.Tensor): number[][] {
  const x = t.rank === 3 && t.shape[0] === 1 ? tf.squeeze(t, [0]) : t;
  if (x.rank !== 2) throw new Error(`rowsOf expects (T, N) or (1, T, N), got [${t.shape.join(", ")}].`);
  const out = x.arraySync() as number[][];
  if (x !== t) x.dispose();
  return out;
}
