// Step 08 solution: causal self-attention with one head.
//
// q, k, v come from c_attn as in step 07. Every query is compared with every key (q·kᵀ), the
// scores are scaled by 1/√C, the future is masked with -Infinity, each row becomes weights by a
// softmax over the keys, and the output is the weights' mix of the values.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class SingleHeadAttention extends Module {
  c_attn: Linear; // W (C, 3C), b (3C)

  constructor(config: GPT2Config) {
    super();
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
  }

  /** x: (B, T, C) → y: (B, T, C). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [, T, C] = x.shape;
      const [q, k, v] = tf.split(this.c_attn.forward(x), 3, -1); // 3 × (B, T, C)
      const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(C)); // (B, T, T)
      const pos = tf.range(0, T); // (T): positions 0 … T-1
      const future = tf.greater(pos, tf.reshape(pos, [T, 1])); // (T, T): key s later than query t
      const masked = tf.where(future, tf.scalar(-Infinity), scores); // (B, T, T): the future hidden
      const weights = tf.softmax(masked, -1); // (B, T, T), each row sums to 1
      return tf.matMul(weights, v); // (B, T, C)
    });
  }
}

export default SingleHeadAttention;
