// Step 07 solution: GPT-2's query/key/value projection for one head.
//
// One combined Linear, `c_attn`, maps each token's n_embd values to 3 × n_embd; splitting that
// along the LAST axis gives Q, K and V. The check (`checkStep07`) judges this class by its
// numbers against a saved float64 reference, so any correct formulation passes.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class SingleHeadQKV extends Module {
  c_attn: Linear; // W (C, 3C), b (3C)

  constructor(config: GPT2Config) {
    super();
    // Weight [n_embd, 3·n_embd] and bias [3·n_embd], the layout of GPT-2's Conv1D.
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
  }

  /** x: (B, T, C) → [q, k, v], each (B, T, C). */
  forward(x: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const qkv = this.c_attn.forward(x); // (B, T, 3C)
      // 3 pieces (a count), along the last axis (-1): tf.split's default axis is 0, the batch.
      return tf.split(qkv, 3, -1); // 3 × (B, T, C)
    });
  }
}

export default SingleHeadQKV;
