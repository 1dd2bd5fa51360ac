// Step 09 exercise: multi-head causal self-attention, GPT-2's `attn` block.
//
// Fill in the two bodies, then run `await checkStep09(MultiHeadAttention)` (or, from a terminal,
// `npm run check -- 09 <this file>`). The check loads reference weights into your `c_attn` and
// `c_proj`, runs your `forward` and compares y with numbers computed independently in float64.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class MultiHeadAttention extends Module {
  c_attn!: Linear;
  c_proj!: Linear;

  constructor(config: GPT2Config) {
    super();
    // YOUR CODE HERE: c_attn and c_proj, and keep config.n_head.
    throw new Error("not implemented yet");
  }

  /** x: (B, T, C) → y: (B, T, C). */
  forward(x: tf.Tensor): tf.Tensor {
    // YOUR CODE HERE: heads, attention per head, merge, c_proj.
    throw new Error("not implemented yet");
  }
}

export default MultiHeadAttention;
