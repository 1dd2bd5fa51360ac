// LayerNorm, the first thing in every GPT-2 block (ln_1 before attention, ln_2 before the MLP).
import { tf } from "./tf";
import { ensureBackend } from "./backend";
import { Module, variableFrom } from "./module";
import { shapeText } from "./shape";

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) · weight + bias. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps = 1e-5): tf.Tensor {
  // Checked first, so that a mistake reads as this message rather than as a shape error from inside tfjs.
  const C = x instanceof tf.Tensor && x.rank > 0 ? x.shape[x.rank - 1] : NaN;
  for (const [name, t] of [["weight", weight], ["bias", bias]] as const) {
    if (!(t instanceof tf.Tensor) || t.rank !== 1 || t.shape[0] !== C) {
      const got = x instanceof tf.Tensor ? `x of shape ${shapeText(x.shape)}` : `x = ${String(x)}`;
      throw new Error(`layerNorm needs a tensor x [..., C] and a ${name} of shape [C]; got ${got} and a ${name} ${t instanceof tf.Tensor ? `of shape ${shapeText(t.shape)}` : String(t)}.`);
    }
  }
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true); // (..., 1) each
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), weight), bias); // (..., C)
  });
}

/** LayerNorm as a module: `weight` (starts at ones) and `bias` (zeros), both [n], as in the checkpoint (ln_1, ln_2, ln_f). */
export class LayerNorm extends Module {
  readonly weight: tf.Variable; // (n)
  readonly bias: tf.Variable; // (n)
  readonly eps: number;

  constructor(n: number, eps = 1e-5) {
    super();
    if (!Number.isInteger(n) || n <= 0) throw new Error(`LayerNorm(${String(n)}): the width must be a positive integer.`);
    ensureBackend();
    this.weight = variableFrom(tf.ones([n]));
    this.bias = variableFrom(tf.zeros([n]));
    this.eps = eps;
  }

  /** x: [..., n] → [..., n]. */
  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
