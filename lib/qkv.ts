// The subject of the lesson: GPT-2's query/key/value projection for a single head.
import { tf } from "./tf";
import { GPT2Config } from "./config";
import { Module, Linear } from "./module";
import { expectBTC } from "./shape";
import { attnFromPretrained } from "./state-dict";

/**
 * What steps 07 to 09 share: `c_attn`, one linear layer that maps each token's n_embd-wide vector
 * to 3 × n_embd values, its query, key and value side by side.
 */
export class CAttnModule extends Module {
  readonly config: GPT2Config;
  readonly n_embd: number;
  readonly c_attn: Linear;

  constructor(config: GPT2Config = new GPT2Config(), options: { seed?: number; initStd?: number } = {}) {
    super();
    this.config = config instanceof GPT2Config ? config : new GPT2Config(config as Record<string, unknown>);
    this.n_embd = this.config.n_embd;
    this.c_attn = new Linear(this.n_embd, 3 * this.n_embd, { bias: true, seed: options.seed, initStd: options.initStd }); // W: (C, 3C), b: (3C)
  }

  /** x: [batch, seq, n_embd] (already checked) → [q, k, v], each [batch, seq, n_embd]. */
  protected projectQKV(x: tf.Tensor): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
    return tf.tidy(() => {
      const qkv = this.c_attn.forward(x); // (B, T, 3C)
      const [q, k, v] = tf.split(qkv, [this.n_embd, this.n_embd, this.n_embd], -1); // 3 × (B, T, C)
      return [q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D];
    });
  }
}

/**
 * The subject of step 07: `c_attn`, then a split of its output along the last axis into query,
 * key and value.
 */
export class GPT2SingleHeadQKV extends CAttnModule {
  /** x: [batch, seq, n_embd] → [q, k, v], each [batch, seq, n_embd]. */
  forward(x: tf.Tensor): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
    expectBTC(x, this.n_embd, "GPT2SingleHeadQKV.forward");
    return this.projectQKV(x);
  }

  /**
   * Build one from a Hugging Face GPT-2 state dict (see loadSafetensors), taking
   * `h.{layer}.attn.c_attn.weight` [n_embd, 3·n_embd] and `.bias` [3·n_embd]. Keys may carry
   * the `transformer.` prefix that some exports add. The tensors are copied; the caller still
   * owns (and may dispose) `stateDict`. `config` is checked against the weights when given.
   */
  static fromPretrained(stateDict: Record<string, tf.Tensor>, layer = 0, config?: GPT2Config): GPT2SingleHeadQKV {
    // This layer has no heads; any config of the right width builds it.
    return attnFromPretrained(stateDict, layer, config, false, (c) => new GPT2SingleHeadQKV(c));
  }
}
