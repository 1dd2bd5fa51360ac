// Step 07 solution: GPT-2's query/key/value projection for one head.
//
// One combined Linear, `c_attn`, maps each token's n_embd values to 3 × n_embd; splitting that
// along the LAST axis gives Q, K and V. The check (`checkStep07`) judges this class by its
// numbers against a saved float64 reference, so any correct formulation passes.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class SingleHeadQKV extends Module {
  n_embd: number;
  c_attn: Linear;

  constructor(config: GPT2Config) {
    super();
    this.n_embd = config.n_embd;
    // Weight [n_embd, 3·n_embd] and bias [3·n_embd], the layout of Hugging Face's GPT-2 Conv1D.
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd, { bias: true });
  }

  /** x: [B, T, n_embd] → [q, k, v], each [B, T, n_embd]. */
  forward(x: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => {
      const qkv = this.c_attn.forward(x); // (B, T, 3C)
      // Axis -1: tf.split's default axis is 0, the batch axis, which is not what we want.
      return tf.split(qkv, 3, -1); // 3 × (B, T, C)
    });
  }
}

export default SingleHeadQKV;
