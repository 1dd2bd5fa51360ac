// Step 09 solution: multi-head causal self-attention, GPT-2's `attn` block.
//
// q, k, v from c_attn as before, cut into n_head heads of hs = C / n_head; each head attends on
// its own (scale 1/√hs, causal mask, softmax); the heads' outputs are put side by side again and
// c_proj mixes them.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class MultiHeadAttention extends Module {
  n_head: number;
  c_attn: Linear; // W (C, 3C), b (3C)
  c_proj: Linear; // W (C, C), b (C)

  constructor(config: GPT2Config) {
    super();
    this.n_head = config.n_head;
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
    this.c_proj = new Linear(config.n_embd, config.n_embd);
  }

  /** x: (B, T, C) → y: (B, T, C). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [B, T, C] = x.shape;
      const nh = this.n_head, hs = C / nh;
      // (B, T, C) → (B, T, nh, hs) → (B, nh, T, hs): each head's hs columns, for every token.
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, nh, hs]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(this.c_attn.forward(x), 3, -1).map(heads); // 3 × (B, nh, T, hs)
      const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)); // (B, nh, T, T)
      const pos = tf.range(0, T);
      const future = tf.greater(pos, tf.reshape(pos, [T, 1])); // (T, T): key s later than query t
      const weights = tf.softmax(tf.where(future, tf.scalar(-Infinity), scores), -1); // (B, nh, T, T)
      const y = tf.matMul(weights, v); // (B, nh, T, hs)
      const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // (B, T, nh, hs) → (B, T, C)
      return this.c_proj.forward(merged); // (B, T, C)
    });
  }
}

export default MultiHeadAttention;
