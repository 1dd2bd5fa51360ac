// Taking a layer's tensors out of a Hugging Face GPT-2 state dict, by checkpoint name, with every
// shape checked before anything is copied (as nanoGPT's from_pretrained asserts each shape).
import { tf } from "./tf";
import { GPT2Config, releasedSizeOfWidth } from "./config";
import { Module } from "./module";
import { shapeText } from "./shape";

/** Block numbers present in a state dict: keys "h.{i}." with or without a "transformer." prefix. */
export function layersIn(stateDict: Record<string, unknown>): number[] {
  const layers = new Set<number>();
  for (const key of Object.keys(stateDict)) {
    const m = /^(?:transformer\.)?h\.(\d+)\./.exec(key);
    if (m) layers.add(Number(m[1]));
  }
  return [...layers].sort((a, b) => a - b);
}

/**
 * The prefix, "" or "transformer." (which some exports add), under which `name`, a key of one
 * block, is in the state dict. Throws when it is in neither, listing the blocks the state dict has.
 */
function prefixFor(stateDict: Record<string, unknown>, name: string): string {
  const prefix = ["", "transformer."].find((p) => `${p}${name}` in stateDict);
  if (prefix !== undefined) return prefix;
  const have = layersIn(stateDict);
  throw new Error(
    `No "${name}" in this state dict. ` +
      (have.length
        ? `It has layers ${have.join(", ")}; pass one of those as \`layer\`.`
        : `It has no GPT-2 block weights at all (keys such as "h.0.attn.c_attn.weight"); is it a GPT-2 checkpoint? First keys: ${Object.keys(stateDict).slice(0, 5).join(", ") || "(none)"}.`),
  );
}

/**
 * `wanted` maps each module parameter name to the checkpoint key it comes from and the shape it
 * must have. Every key is looked up and every shape compared first; all problems are reported
 * together, naming `source`, the key and both shapes. Returns the entries under the module's
 * names, ready for `loadStateDict` (the caller still owns them). Entries are tensors, or anything
 * with a shape, such as the entries of a safetensors header (checked before any data is read).
 */
export function takeChecked<T extends { shape: readonly number[] }>(
  stateDict: Record<string, T>,
  wanted: Record<string, { key: string; shape: number[] }>,
  source = "this state dict",
): Record<string, T> {
  const out: Record<string, T> = {};
  const problems: string[] = [];
  for (const [name, { key, shape }] of Object.entries(wanted)) {
    const t = stateDict[key];
    if (t === undefined || t === null || !Array.isArray(t.shape)) {
      problems.push(`"${key}" is ${t === undefined ? "missing" : "not a tensor"} (expected shape ${shapeText(shape)})`);
    } else if (!tf.util.arraysEqual(t.shape as number[], shape)) {
      problems.push(`"${key}" has shape ${shapeText(t.shape)}, expected ${shapeText(shape)}`);
    } else {
      out[name] = t;
    }
  }
  if (problems.length > 0) throw new Error(`${source}: ${problems.join("; ")}.`);
  return out;
}

/** n_embd, read off a c_attn weight, which must be [n_embd, 3·n_embd]. */
function cAttnWidth(weight: tf.Tensor, key: string): number {
  if (!(weight instanceof tf.Tensor) || weight.rank !== 2 || weight.shape[1] !== 3 * weight.shape[0]) {
    const got = weight instanceof tf.Tensor ? `has shape ${shapeText(weight.shape)}` : "is not a tensor";
    throw new Error(`"${key}" ${got}; a GPT-2 c_attn weight is [n_embd, 3·n_embd] such as [768, 2304].`);
  }
  return weight.shape[0];
}

/**
 * The config for weights of width `n_embd`: `config` when given (it must agree), else a released
 * GPT-2 size of that width. A layer with heads needs the head count, which the weights do not
 * store: for an unknown width without a config that is an error, not a guess.
 */
export function configForWidth(n_embd: number, config: GPT2Config | undefined, key: string, needsHeads: boolean): GPT2Config {
  if (config) {
    if (config.n_embd !== n_embd) {
      throw new Error(`"${key}" is for n_embd ${n_embd}, but the config has n_embd ${config.n_embd}: is this config.json from another model?`);
    }
    return config;
  }
  if (needsHeads && !releasedSizeOfWidth(n_embd)) {
    throw new Error(
      `"${key}" is for n_embd ${n_embd}, which is not a released GPT-2 size, and the weights do not store the head count: ` +
        `pass the config, e.g. new GPT2Config({ n_embd: ${n_embd}, n_head: 4 }) or new GPT2Config(JSON.parse(text of config.json)).`,
    );
  }
  return GPT2Config.forWidth(n_embd);
}

/**
 * Copy checkpoint tensors into `module`, whose parameter names follow the checkpoint, so that
 * parameter `c_attn.weight` comes from key `${keyPrefix}c_attn.weight`. Every shape is checked
 * first; on any problem the module is disposed and nothing is copied.
 */
export function loadFromCheckpoint<M extends Module>(module: M, stateDict: Record<string, tf.Tensor>, keyPrefix: string, source?: string): M {
  const wanted: Record<string, { key: string; shape: number[] }> = {};
  for (const [name, param] of module.namedParameters()) wanted[name] = { key: keyPrefix + name, shape: param.shape };
  try {
    module.loadStateDict(takeChecked(stateDict, wanted, source));
  } catch (err) {
    module.dispose();
    throw err;
  }
  return module;
}

/**
 * Build an attention-block module for block `layer` of a Hugging Face GPT-2 state dict: find the
 * block (with or without "transformer."), read n_embd off its c_attn, settle the config, then
 * copy the module's parameters from `h.{layer}.attn.*`. Only the module's own parameter names
 * are looked up, so anything else under `h.{layer}.attn.` (such as the mask buffers older
 * exports saved, `attn.bias` and `attn.masked_bias`) is ignored.
 */
export function attnFromPretrained<M extends Module>(
  stateDict: Record<string, tf.Tensor>,
  layer: number,
  config: GPT2Config | undefined,
  needsHeads: boolean,
  build: (config: GPT2Config) => M,
): M {
  if (!Number.isInteger(layer) || layer < 0) throw new Error(`layer must be a block number such as 0, got ${String(layer)}.`);
  const attn = `h.${layer}.attn.`;
  const prefix = prefixFor(stateDict, `${attn}c_attn.weight`);
  const key = `${prefix}${attn}c_attn.weight`;
  const n_embd = cAttnWidth(stateDict[key], key);
  return loadFromCheckpoint(build(configForWidth(n_embd, config, key, needsHeads)), stateDict, prefix + attn);
}
