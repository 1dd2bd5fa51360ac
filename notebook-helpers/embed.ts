// From text to the vectors that c_attn projects: GPT-2's BPE, the two embeddings, and ln_1.
//
// In GPT-2 a block never sees the raw embeddings: each block starts with a LayerNorm (ln_1)
// and feeds its output to c_attn. So the input of the first c_attn is ln_1(wte[ids] + wpe[0..T)).
import { tf } from "./tf";
import type { Layer0Weights } from "./weights";

// GPT-2's byte-pair encoding (OpenAI's "r50k_base"), vocabulary shipped inside the npm package.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const bpe: { encode(text: string): number[]; decode(ids: number[]): string } = require("gpt-tokenizer/cjs/encoding/r50k_base");

export interface Tokens {
  ids: number[];
  /** Each token's text, exactly as GPT-2 sees it (" cat" has a leading space). */
  texts: string[];
  /** The same, with spaces made visible ("␣cat"), for plot axes. */
  labels: string[];
}

/** Split text into GPT-2's tokens. "The cat sat on the mat" → [464, 3797, 3332, 319, 262, 2603]. */
export function tokenize(text: string): Tokens {
  const ids = bpe.encode(text);
  const texts = ids.map((id) => bpe.decode([id]));
  return { ids, texts, labels: texts.map(visibleToken) };
}

/** " cat" → "␣cat", "\n" → "↵": a token's whitespace matters, so show it. */
export function visibleToken(text: string): string {
  return text.replace(/ /g, "␣").replace(/\n/g, "↵").replace(/\t/g, "⇥");
}

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

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) · weight + bias. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // (..., 1) each
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), weight), bias); // (..., C)
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
