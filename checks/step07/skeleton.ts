// Step 07 exercise: write GPT-2's query/key/value projection for one head.
//
// Fill in the two bodies, then run `await checkStep07(SingleHeadQKV)` (or, from a terminal,
// `npm run check -- 07 <this file>`). The check loads reference weights into your `c_attn`, runs your
// `forward` and compares Q, K and V with numbers computed independently in float64.
import { tf, GPT2Config, Module, Linear } from "../../lib/index";

export class SingleHeadQKV extends Module {
  c_attn!: Linear;

  constructor(config: GPT2Config) {
    super();
    // YOUR CODE HERE: one Linear named c_attn, from n_embd to 3 × n_embd, with a bias.
    throw new Error("not implemented yet");
  }

  /** x: [B, T, n_embd] → [q, k, v], each [B, T, n_embd]. */
  forward(x: tf.Tensor): tf.Tensor[] {
    // YOUR CODE HERE: apply c_attn, then split the result into q, k and v along the last axis.
    throw new Error("not implemented yet");
  }
}

export default SingleHeadQKV;
