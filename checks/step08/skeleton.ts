// Step 08 exercise: causal self-attention with one head.
//
// Fill in the two bodies, then run `await checkStep08(SingleHeadAttention)` (or, from a terminal,
// `npm run check -- 08 <this file>`). The check loads reference weights into your `c_attn`, runs
// your `forward` and compares y with numbers computed independently in float64.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class SingleHeadAttention extends Module {
  c_attn!: Linear;

  constructor(config: GPT2Config) {
    super();
    // YOUR CODE HERE: c_attn, as in step 07.
    throw new Error("not implemented yet");
  }

  /** x: (B, T, C) → y: (B, T, C). */
  forward(x: tf.Tensor): tf.Tensor {
    // YOUR CODE HERE: q, k, v; scores q·kᵀ/√C; the causal mask; softmax; weights · v.
    throw new Error("not implemented yet");
  }
}

export default SingleHeadAttention;
