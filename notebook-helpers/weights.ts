// The weights the exploration notebook needs: GPT-2's embeddings and the first block's ln_1 and
// c_attn. Real ones when the learner has Hugging Face's `gpt2` model.safetensors, and otherwise a
// seeded random stand-in of the same shapes, announced as such.
//
// Where the real file is looked for, in order:
//   1. a path passed to loadLayer0Weights(path)           (the notebook's WEIGHTS_FILE cell);
//   2. the GPT2_SAFETENSORS environment variable         (set before starting Jupyter);
//   3. weights/gpt2/model.safetensors in the project root (git-ignored).
// A path that was asked for (1 or 2) but does not exist is an error, never a silent stand-in.
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, GPT2Config, loadSafetensors, shapeText, takeChecked } from "../lib/index";
import { readConfigJson } from "../lib/gpt2";
import { showNotice } from "./plot";

export const WEIGHTS_ENV = "GPT2_SAFETENSORS";
/** The value of GPT2_SAFETENSORS that forces the seeded stand-in. */
export const STAND_IN = "stand-in";
/** Relative to the project root, which is the notebooks' working directory. */
export const DEFAULT_WEIGHTS_PATH = path.join("weights", "gpt2", "model.safetensors");
/** Why the stand-in is used when nothing asks for one and there is no file. */
const NO_WEIGHTS = `${WEIGHTS_ENV} is not set and ${DEFAULT_WEIGHTS_PATH} does not exist`;

/** Only these tensors are read from the 548 MB checkpoint (about 160 MB of it, mostly wte). */
export const LAYER0_TENSORS = /^(?:transformer\.)?(?:wte\.weight|wpe\.weight|h\.0\.ln_1\.(?:weight|bias)|h\.0\.attn\.c_attn\.(?:weight|bias))$/;

export interface Layer0Weights {
  source: "real" | "stand-in";
  /** The safetensors file, for real weights. */
  file: string | null;
  /** config.json beside the file when there is one (it must agree with the tensors), else the sizes read off the tensors (GPT2Config.forWidth); for the stand-in, its config (GPT-2 small by default). */
  config: GPT2Config;
  /** Rows of the token embedding wte for these token ids: (T, C). */
  tokenEmbedding(ids: number[]): tf.Tensor2D;
  /** Position embedding: (n_positions, C). */
  wpe: tf.Tensor2D;
  /** First block's LayerNorm before attention: weight and bias, (C) each. */
  ln_1: { weight: tf.Tensor1D; bias: tf.Tensor1D };
  /** First block's combined projection: weight (C, 3C), bias (3C). */
  c_attn: { weight: tf.Tensor2D; bias: tf.Tensor1D };
  /** c_attn under Hugging Face's names ("h.0.attn.c_attn.weight"), for GPT2SingleHeadQKV.fromPretrained. */
  stateDict: Record<string, tf.Tensor>;
  /** What was loaded, in a sentence or three, for the learner. */
  notice: string;
  dispose(): void;
}

/** Which file to use, and why; null means "no real weights: use the stand-in". */
export function findWeightsFile(explicit?: string | null): { file: string | null; reason: string } {
  const check = (file: string, origin: string): { file: string; reason: string } => {
    if (!fs.existsSync(file)) {
      throw new Error(
        `${origin} points at ${file}, which does not exist. Download model.safetensors from Hugging Face's ` +
          `"gpt2" repository (Files and versions) and give its full path, or unset ${WEIGHTS_ENV} to use the stand-in.`,
      );
    }
    return { file: path.resolve(file), reason: origin };
  };
  if (explicit) return check(explicit, "WEIGHTS_FILE");
  const env = process.env[WEIGHTS_ENV]?.trim();
  // GPT2_SAFETENSORS=stand-in asks for the stand-in even when real weights are on disk
  // (to compare the two, and for the notebook tests).
  if (env === STAND_IN) return { file: null, reason: `${WEIGHTS_ENV}=${STAND_IN} asks for the stand-in` };
  if (env) return check(env, `${WEIGHTS_ENV}`);
  if (fs.existsSync(DEFAULT_WEIGHTS_PATH)) return { file: path.resolve(DEFAULT_WEIGHTS_PATH), reason: DEFAULT_WEIGHTS_PATH };
  return { file: null, reason: NO_WEIGHTS };
}

/**
 * The model's sizes: Hugging Face's config.json beside the weights when it is there (it is in
 * every Hugging Face model folder), else GPT-2's released sizes for this width. The sizes the
 * tensors show win over neither: they must agree.
 */
function configFor(file: string, seen: { n_embd: number; vocab_size: number; n_positions: number }): GPT2Config {
  const config = readConfigJson(path.dirname(file));
  if (!config) return GPT2Config.forWidth(seen.n_embd, { vocab_size: seen.vocab_size, n_positions: seen.n_positions });
  for (const key of ["n_embd", "vocab_size", "n_positions"] as const) {
    if (config[key] !== seen[key]) throw new Error(`${path.join(path.dirname(file), "config.json")} says ${key} ${config[key]}, but the weights have ${seen[key]}`);
  }
  return config;
}

/** Load real weights if there are any (see the top of this file), else the seeded stand-in. */
export function loadLayer0Weights(explicit?: string | null, options: { seed?: number } = {}): Layer0Weights {
  const { file, reason } = findWeightsFile(explicit);
  return file ? loadRealLayer0(file, reason) : standInLayer0(new GPT2Config(), options.seed ?? 1234, reason);
}

/** Read wte, wpe, h.0.ln_1 and h.0.attn.c_attn from a Hugging Face GPT-2 safetensors file. */
export function loadRealLayer0(file: string, origin = "path"): Layer0Weights {
  const sd = loadSafetensors(file, { filter: (name) => LAYER0_TENSORS.test(name) });
  const prefix = "wte.weight" in sd ? "" : "transformer.wte.weight" in sd ? "transformer." : null;
  const giveUp = (message: string): never => {
    for (const t of Object.values(sd)) t.dispose();
    throw new Error(`${message} Is this Hugging Face's gpt2 model.safetensors?`);
  };
  const fail = (problem: string): never => giveUp(`${file}: ${problem}.`);
  if (prefix === null) fail(`no "wte.weight" (nor "transformer.wte.weight"); found ${Object.keys(sd).join(", ") || "none of the tensors this notebook needs"}`);
  const get = (name: string, rank: number): tf.Tensor => {
    const t = sd[`${prefix}${name}`];
    if (!t) fail(`"${prefix}${name}" is missing`);
    if (t.rank !== rank) fail(`"${prefix}${name}" has shape ${shapeText(t.shape)}, expected rank ${rank}`);
    return t;
  };
  const wte = get("wte.weight", 2) as tf.Tensor2D;
  const [vocab, C] = wte.shape;
  const wpe = get("wpe.weight", 2) as tf.Tensor2D;
  // Like nanoGPT's from_pretrained: every shape must match before anything is used.
  const shapes: Record<string, number[]> = {
    "wpe.weight": [wpe.shape[0], C],
    "h.0.ln_1.weight": [C],
    "h.0.ln_1.bias": [C],
    "h.0.attn.c_attn.weight": [C, 3 * C],
    "h.0.attn.c_attn.bias": [3 * C],
  };
  let layer0: Record<string, tf.Tensor>;
  try {
    layer0 = takeChecked(sd, Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, { key: `${prefix}${name}`, shape }])), file);
  } catch (err) {
    return giveUp((err as Error).message);
  }
  let config: GPT2Config;
  try {
    config = configFor(file, { n_embd: C, vocab_size: vocab, n_positions: wpe.shape[0] });
  } catch (err) {
    return fail((err as Error).message);
  }
  const cAttnW = layer0["h.0.attn.c_attn.weight"] as tf.Tensor2D;
  const cAttnB = layer0["h.0.attn.c_attn.bias"] as tf.Tensor1D;
  const sizeNote = C === 768 && vocab === 50257 ? "GPT-2 small" : `n_embd ${C}, ${vocab} vocabulary rows, ${wpe.shape[0]} positions`;
  return {
    source: "real",
    file,
    config,
    tokenEmbedding: (ids) => gatherRows(wte, ids, file),
    wpe,
    ln_1: { weight: layer0["h.0.ln_1.weight"] as tf.Tensor1D, bias: layer0["h.0.ln_1.bias"] as tf.Tensor1D },
    c_attn: { weight: cAttnW, bias: cAttnB },
    stateDict: { "h.0.attn.c_attn.weight": cAttnW, "h.0.attn.c_attn.bias": cAttnB },
    notice:
      `Using real GPT-2 weights from ${file} (found through ${origin}; ${sizeNote}). ` +
      `Read only wte, wpe, h.0.ln_1 and h.0.attn.c_attn from the file.`,
    dispose: () => {
      for (const t of Object.values(sd)) t.dispose();
    },
  };
}

function gatherRows(table: tf.Tensor2D, ids: number[], what: string): tf.Tensor2D {
  const rows = table.shape[0];
  const bad = ids.filter((id) => !Number.isInteger(id) || id < 0 || id >= rows);
  if (bad.length) {
    throw new Error(`token id ${bad[0]} is outside the ${rows} rows of the token embedding in ${what}.`);
  }
  return tf.tidy(() => tf.gather(table, tf.tensor1d(ids, "int32")) as tf.Tensor2D); // (T, C); the id tensor is freed
}

/**
 * Seeded random weights with GPT-2's shapes. They have no structure: that is the point of
 * announcing them. The token embedding makes each token's row from a seed derived from its id,
 * so the same token always gets the same vector without holding a 50257-row table.
 */
export function standInLayer0(
  config: GPT2Config = new GPT2Config(),
  seed = 1234,
  why = NO_WEIGHTS,
): Layer0Weights {
  const C = config.n_embd;
  const wpe = tf.randomNormal([config.n_positions, C], 0, 0.01, "float32", seed + 1) as tf.Tensor2D;
  const ln1w = tf.ones([C]) as tf.Tensor1D;
  const ln1b = tf.zeros([C]) as tf.Tensor1D;
  const cAttnW = tf.randomNormal([C, 3 * C], 0, 0.02, "float32", seed + 2) as tf.Tensor2D;
  const cAttnB = tf.randomNormal([3 * C], 0, 0.02, "float32", seed + 3) as tf.Tensor1D;
  const tokenEmbedding = (ids: number[]): tf.Tensor2D => {
    const bad = ids.filter((id) => !Number.isInteger(id) || id < 0 || id >= config.vocab_size);
    if (bad.length) throw new Error(`token id ${bad[0]} is outside GPT-2's vocabulary of ${config.vocab_size}.`);
    return tf.tidy(() => tf.stack(ids.map((id) => tf.randomNormal([C], 0, 0.1, "float32", seed * 100003 + id))) as tf.Tensor2D);
  };
  return {
    source: "stand-in",
    file: null,
    config,
    tokenEmbedding,
    wpe,
    ln_1: { weight: ln1w, bias: ln1b },
    c_attn: { weight: cAttnW, bias: cAttnB },
    stateDict: { "h.0.attn.c_attn.weight": cAttnW, "h.0.attn.c_attn.bias": cAttnB },
    notice:
      `No real GPT-2 weights (${why}), so this ` +
      `notebook uses a seeded random stand-in (seed ${seed}) with GPT-2 small's shapes. Every shape, and every step ` +
      `of the computation, is the same as with real weights; the numbers are noise, so the plots show shapes and ` +
      `layout, not what GPT-2 learned. With real weights expect structure instead of static: the "What to look for" ` +
      `note under each plot says what the stand-in still teaches and what to expect from the real model.`,
    dispose: () => {
      for (const t of [wpe, ln1w, ln1b, cAttnW, cAttnB]) t.dispose();
    },
  };
}

/**
 * One line for under a figure: which weights drew it, so that the learner reads the right half of
 * the "What to look for" note below it. `standIn` names the stand-in (loadModel's is not seeded).
 */
export function weightsInUseText(w: Pick<Layer0Weights, "source" | "file">, standIn = "the seeded stand-in"): string {
  return w.source === "real"
    ? `Drawn from real weights (${w.file}): under "What to look for" below, read "With real GPT-2 weights".`
    : `Drawn from ${standIn} (random weights): under "What to look for" below, read "With the stand-in".`;
}

/** Show weightsInUseText(w, standIn) as a small grey note. */
export function showWeightsInUse(w: Pick<Layer0Weights, "source" | "file">, standIn?: string): void {
  showNotice(weightsInUseText(w, standIn), "note");
}
