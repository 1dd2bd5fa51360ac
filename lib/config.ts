// GPT2Config: the sizes of a GPT-2 model. Field names are those of Hugging Face's
// config.json, so a real `config.json` loads as is: `new GPT2Config(JSON.parse(text))`.

export interface GPT2ConfigFields {
  /** Width of every token vector (the residual stream). GPT-2 small: 768. */
  n_embd: number;
  /** Attention heads; each gets n_embd / n_head dimensions. GPT-2 small: 12. */
  n_head: number;
  /** Transformer blocks. GPT-2 small: 12. */
  n_layer: number;
  /** Longest sequence (rows of the position embedding). GPT-2: 1024. */
  n_positions: number;
  /** Tokens in the BPE vocabulary. GPT-2: 50257. */
  vocab_size: number;
  /** Epsilon inside LayerNorm's square root. GPT-2: 1e-5. */
  layer_norm_epsilon: number;
}

const DEFAULTS: GPT2ConfigFields = {
  n_embd: 768,
  n_head: 12,
  n_layer: 12,
  n_positions: 1024,
  vocab_size: 50257,
  layer_norm_epsilon: 1e-5,
};

/**
 * The four released GPT-2 sizes, by width. A checkpoint's tensors give its width but not its head
 * count; Hugging Face keeps that in config.json, and this table fills in when it is absent.
 */
export const GPT2_SIZES: Record<string, Pick<GPT2ConfigFields, "n_embd" | "n_head" | "n_layer">> = {
  gpt2: { n_embd: 768, n_head: 12, n_layer: 12 },
  "gpt2-medium": { n_embd: 1024, n_head: 16, n_layer: 24 },
  "gpt2-large": { n_embd: 1280, n_head: 20, n_layer: 36 },
  "gpt2-xl": { n_embd: 1600, n_head: 25, n_layer: 48 },
};

/** The released GPT-2 size of width `n_embd`, if there is one. */
export function releasedSizeOfWidth(n_embd: number): (typeof GPT2_SIZES)[string] | undefined {
  return Object.values(GPT2_SIZES).find((s) => s.n_embd === n_embd);
}

const INTEGER_FIELDS = ["n_embd", "n_head", "n_layer", "n_positions", "vocab_size"] as const;

// Keys that a real Hugging Face GPT-2 config.json carries and that this lesson does not use.
// They are accepted and ignored so that the file loads unchanged.
const KNOWN_HF_KEYS = new Set([
  "activation_function", "architectures", "attn_pdrop", "bos_token_id", "embd_pdrop", "eos_token_id",
  "initializer_range", "model_type", "n_ctx", "n_inner", "predict_special_tokens", "resid_pdrop",
  "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "scale_attn_weights",
  "summary_activation", "summary_first_dropout", "summary_proj_to_labels", "summary_type",
  "summary_use_proj", "task_specific_params", "torch_dtype", "transformers_version", "use_cache",
  "_name_or_path", "output_past", "tie_word_embeddings", "vocab_file", "pad_token_id", "dtype",
]);

// Names from other GPT-style codebases that people reach for by habit.
const SYNONYMS: Record<string, keyof GPT2ConfigFields> = {
  hidden_size: "n_embd",
  d_model: "n_embd",
  n_embed: "n_embd",
  num_attention_heads: "n_head",
  n_heads: "n_head",
  num_hidden_layers: "n_layer",
  n_layers: "n_layer",
  max_position_embeddings: "n_positions",
  block_size: "n_positions",
  layer_norm_eps: "layer_norm_epsilon",
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

function suggestionFor(key: string): keyof GPT2ConfigFields | undefined {
  if (key in SYNONYMS) return SYNONYMS[key];
  let best: keyof GPT2ConfigFields | undefined;
  let bestDistance = Infinity;
  for (const field of Object.keys(DEFAULTS) as (keyof GPT2ConfigFields)[]) {
    const d = editDistance(key.toLowerCase(), field);
    if (d < bestDistance) {
      best = field;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 ? best : undefined;
}

export class GPT2Config implements GPT2ConfigFields {
  readonly n_embd: number;
  readonly n_head: number;
  readonly n_layer: number;
  readonly n_positions: number;
  readonly vocab_size: number;
  readonly layer_norm_epsilon: number;

  /**
   * GPT-2 small by default; pass fields to override, e.g. `new GPT2Config({ n_embd: 64, n_head: 4 })`.
   * Throws an Error that says what is wrong and how to fix it for a config that cannot work.
   */
  constructor(overrides: Partial<GPT2ConfigFields> & Record<string, unknown> = {}) {
    if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
      throw new Error(`GPT2Config takes an object of fields such as { n_embd: 768 }, not ${JSON.stringify(overrides)}.`);
    }
    const problems: string[] = [];
    for (const key of Object.keys(overrides)) {
      if (key in DEFAULTS || KNOWN_HF_KEYS.has(key)) continue;
      const hint = suggestionFor(key);
      problems.push(
        hint
          ? `unknown key "${key}": did you mean "${hint}"?`
          : `unknown key "${key}": GPT2Config knows ${Object.keys(DEFAULTS).join(", ")}`,
      );
    }
    const merged: Record<string, unknown> = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS)) {
      if (overrides[key] !== undefined) merged[key] = overrides[key];
    }
    for (const key of INTEGER_FIELDS) {
      const v = merged[key];
      if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
        problems.push(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
      }
    }
    const eps = merged.layer_norm_epsilon;
    if (typeof eps !== "number" || !Number.isFinite(eps) || eps <= 0) {
      problems.push(`layer_norm_epsilon must be a small positive number such as 1e-5, got ${JSON.stringify(eps)}`);
    }
    const { n_embd, n_head } = merged as unknown as GPT2ConfigFields;
    if (problems.length === 0 && n_embd % n_head !== 0) {
      problems.push(
        `n_embd (${n_embd}) must be divisible by n_head (${n_head}) so that every head gets the same width; ` +
          `for example n_embd ${n_head * Math.max(1, Math.round(n_embd / n_head))} or n_head ${largestDivisorAtMost(n_embd, n_head)}`,
      );
    }
    if (problems.length > 0) {
      throw new Error(`Invalid GPT2Config: ${problems.join("; ")}.`);
    }
    this.n_embd = n_embd;
    this.n_head = n_head;
    this.n_layer = merged.n_layer as number;
    this.n_positions = merged.n_positions as number;
    this.vocab_size = merged.vocab_size as number;
    this.layer_norm_epsilon = eps as number;
    Object.freeze(this);
  }

  /**
   * A config for weights of width `n_embd`: a released GPT-2 size when the width is one of theirs
   * (768 → 12 heads), else one head. For layers whose computation does not depend on the head
   * count, such as c_attn; anything with heads needs the real config.json.
   */
  static forWidth(n_embd: number, extra: Partial<GPT2ConfigFields> = {}): GPT2Config {
    const known = releasedSizeOfWidth(n_embd);
    return new GPT2Config({ ...(known ?? { n_embd, n_head: 1 }), ...extra });
  }

  /** Width of one attention head: n_embd / n_head (64 for GPT-2 small). */
  get headDim(): number {
    return this.n_embd / this.n_head;
  }
}

/**
 * Every parameter of GPT2LMHeadModel with this config, by checkpoint name (no prefix), and its
 * shape: what a checkpoint must hold, known without building the model (a test keeps it in step
 * with the modules). Buffers such as the causal masks (h.{i}.attn.bias) are not parameters.
 */
export function gpt2ParameterShapes(c: GPT2ConfigFields): Record<string, number[]> {
  const C = c.n_embd;
  const out: Record<string, number[]> = { "wte.weight": [c.vocab_size, C], "wpe.weight": [c.n_positions, C] };
  for (let i = 0; i < c.n_layer; i++) {
    const block: Record<string, number[]> = {
      "ln_1.weight": [C], "ln_1.bias": [C],
      "attn.c_attn.weight": [C, 3 * C], "attn.c_attn.bias": [3 * C], "attn.c_proj.weight": [C, C], "attn.c_proj.bias": [C],
      "ln_2.weight": [C], "ln_2.bias": [C],
      "mlp.c_fc.weight": [C, 4 * C], "mlp.c_fc.bias": [4 * C], "mlp.c_proj.weight": [4 * C, C], "mlp.c_proj.bias": [C],
    };
    for (const [name, shape] of Object.entries(block)) out[`h.${i}.${name}`] = shape;
  }
  out["ln_f.weight"] = [C];
  out["ln_f.bias"] = [C];
  return out;
}

function largestDivisorAtMost(n: number, limit: number): number {
  for (let d = Math.min(n, limit); d > 1; d--) if (n % d === 0) return d;
  return 1;
}
