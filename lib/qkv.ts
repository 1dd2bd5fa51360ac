// The subject of the lesson: GPT-2's query/key/value projection for a single head.
import { tf } from "./tf";
import { GPT2Config } from "./config";
import { Module, Linear } from "./module";
import { shapeText } from "./shape";

/**
 * One combined linear layer, `c_attn`, maps each token's n_embd-wide vector to 3 × n_embd
 * values; the result is split along the last axis into query, key and value.
 */
export class GPT2SingleHeadQKV extends Module {
  readonly n_embd: number;
  readonly c_attn: Linear;

  constructor(config: GPT2Config = new GPT2Config(), options: { seed?: number } = {}) {
    super();
    if (!(config instanceof GPT2Config)) config = new GPT2Config(config as Record<string, unknown>);
    this.n_embd = config.n_embd;
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd, { bias: true, seed: options.seed }); // W: (C, 3C), b: (3C)
  }

  /** x: [batch, seq, n_embd] → [q, k, v], each [batch, seq, n_embd]. */
  forward(x: tf.Tensor): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] {
    if (!(x instanceof tf.Tensor) || x.rank !== 3 || x.shape[2] !== this.n_embd) {
      const got = x instanceof tf.Tensor ? `shape ${shapeText(x.shape)}` : String(x);
      throw new Error(`GPT2SingleHeadQKV.forward expects x of shape [batch, seq, ${this.n_embd}], got ${got}.`);
    }
    return tf.tidy(() => {
      const qkv = this.c_attn.forward(x); // (B, T, 3C)
      const [q, k, v] = tf.split(qkv, [this.n_embd, this.n_embd, this.n_embd], -1); // 3 × (B, T, C)
      return [q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D];
    });
  }

  /**
   * Build one from a Hugging Face GPT-2 state dict (see loadSafetensors), taking
   * `h.{layer}.attn.c_attn.weight` [n_embd, 3·n_embd] and `.bias` [3·n_embd]. Keys may carry
   * the `transformer.` prefix that some exports add. The tensors are copied; the caller still
   * owns (and may dispose) `stateDict`. `config` is checked against the weights when given.
   */
  static fromPretrained(stateDict: Record<string, tf.Tensor>, layer = 0, config?: GPT2Config): GPT2SingleHeadQKV {
    const layers = new Set<number>();
    for (const key of Object.keys(stateDict)) {
      const m = /^(?:transformer\.)?h\.(\d+)\./.exec(key);
      if (m) layers.add(Number(m[1]));
    }
    const base = `h.${layer}.attn.c_attn`;
    const prefix = [``, `transformer.`].find((p) => `${p}${base}.weight` in stateDict);
    if (prefix === undefined) {
      const have = [...layers].sort((a, b) => a - b);
      throw new Error(
        `No "${base}.weight" in this state dict. ` +
          (have.length
            ? `It has layers ${have.join(", ")}; pass one of those as \`layer\`.`
            : `It has no GPT-2 block weights at all (keys such as "h.0.attn.c_attn.weight"); is it a GPT-2 checkpoint? First keys: ${Object.keys(stateDict).slice(0, 5).join(", ") || "(none)"}.`),
      );
    }
    const weight = stateDict[`${prefix}${base}.weight`];
    const bias = stateDict[`${prefix}${base}.bias`];
    if (weight.rank !== 2 || weight.shape[1] !== 3 * weight.shape[0]) {
      throw new Error(
        `"${prefix}${base}.weight" has shape ${shapeText(weight.shape)}; a GPT-2 c_attn weight is [n_embd, 3·n_embd] such as [768, 2304].`,
      );
    }
    if (bias === undefined) {
      throw new Error(`"${prefix}${base}.bias" is missing; GPT-2's c_attn has a bias of shape [${weight.shape[1]}].`);
    }
    const n_embd = weight.shape[0];
    if (config && config.n_embd !== n_embd) {
      throw new Error(`"${prefix}${base}.weight" is for n_embd ${n_embd}, but the config has n_embd ${config.n_embd}: is this config.json from another model?`);
    }
    // This layer has no heads; any config of the right width builds it.
    const model = new GPT2SingleHeadQKV(config ?? GPT2Config.forWidth(n_embd));
    model.loadStateDict({ "c_attn.weight": weight, "c_attn.bias": bias });
    return model;
  }
}
