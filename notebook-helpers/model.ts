// The whole GPT-2 for the notebooks that need every layer (step 09's exploration, the finale):
// the real model when its weights are on disk, otherwise a random stand-in of GPT-2 small's shapes,
// announced as such. Where the real model is looked for, in order:
//   1. a folder or .safetensors file passed to loadModel(path)       (a notebook's WEIGHTS cell);
//   2. GPT2_WEIGHTS_DIR, a folder with config.json and model.safetensors (what `npm run weights` fills);
//   3. GPT2_SAFETENSORS, a model.safetensors file with config.json beside it;
//   4. weights/gpt2/ in the project (where `npm run weights` puts it; git-ignored).
// GPT2_SAFETENSORS=stand-in asks for the stand-in even when real weights are on disk. A path that
// was asked for (1 to 3) but is not there is an error, never a silent stand-in.
import * as fs from "node:fs";
import * as path from "node:path";
import { GPT2Config, GPT2LMHeadModel } from "../lib/index";
import { STAND_IN, WEIGHTS_ENV, showWeightsInUse } from "./weights";

const WEIGHTS_DIR_ENV = "GPT2_WEIGHTS_DIR";
/** Relative to the project root, the notebooks' working directory. */
const DEFAULT_MODEL_DIR = path.join("weights", "gpt2");

export interface LoadedModel {
  model: GPT2LMHeadModel;
  source: "real" | "stand-in";
  /** The folder the real model came from. */
  dir: string | null;
  /** What was loaded, in a sentence or three, for the learner. */
  notice: string;
  dispose(): void;
}

/** Which folder holds the real model, and why; null means "use the stand-in". */
function findModelDir(explicit?: string | null): { dir: string | null; reason: string } {
  const check = (p: string, origin: string): { dir: string; reason: string } => {
    const dir = p.endsWith(".safetensors") ? path.dirname(p) : p;
    if (!fs.existsSync(path.join(dir, "model.safetensors"))) {
      throw new Error(`${origin} points at ${p}, where there is no model.safetensors. Run \`npm run weights\` (it fills ${DEFAULT_MODEL_DIR}/), or unset it to use the stand-in.`);
    }
    return { dir: path.resolve(dir), reason: origin };
  };
  if (explicit) return check(explicit, "the WEIGHTS cell");
  const single = process.env[WEIGHTS_ENV]?.trim();
  if (single === STAND_IN) return { dir: null, reason: `${WEIGHTS_ENV}=${STAND_IN} asks for the stand-in` };
  const dirEnv = process.env[WEIGHTS_DIR_ENV]?.trim();
  if (dirEnv) return check(dirEnv, WEIGHTS_DIR_ENV);
  if (single) return check(single, WEIGHTS_ENV);
  if (fs.existsSync(path.join(DEFAULT_MODEL_DIR, "model.safetensors"))) return { dir: path.resolve(DEFAULT_MODEL_DIR), reason: DEFAULT_MODEL_DIR };
  return { dir: null, reason: `no weights in ${DEFAULT_MODEL_DIR}/ (and neither ${WEIGHTS_DIR_ENV} nor ${WEIGHTS_ENV} is set)` };
}

/** The real GPT-2 if its weights are on disk (see the top of this file), else a random stand-in. */
export function loadModel(explicit?: string | null): LoadedModel {
  const { dir, reason } = findModelDir(explicit);
  if (dir) {
    const model = GPT2LMHeadModel.fromPretrained(dir);
    const c = model.config;
    const size = c.n_embd === 768 && c.n_layer === 12 ? "GPT-2 small" : `${c.n_layer} layers, n_embd ${c.n_embd}, ${c.n_head} heads`;
    return { model, source: "real", dir, notice: `Using the real model from ${dir} (found through ${reason}; ${size}).`, dispose: () => model.dispose() };
  }
  const model = new GPT2LMHeadModel(new GPT2Config());
  return {
    model,
    source: "stand-in",
    dir: null,
    notice:
      `No real GPT-2 weights (${reason}), so this notebook uses a random stand-in with GPT-2 small's shapes ` +
      `(12 layers, 12 heads of 64, N(0, 0.02²) weights, as GPT-2 starts before training). Every computation is the ` +
      `real one; the numbers are noise. Get the real model, once, with \`npm run weights\` (548 MB), then run this notebook again.`,
    dispose: () => model.dispose(),
  };
}

/** The stand-in model's name in the grey line under a figure: its random weights are drawn anew on every run. */
export const MODEL_STAND_IN = "the unseeded stand-in model";

/** The grey line under a figure drawn by loadModel's model: which weights, and which note to read. */
export function showModelInUse(m: Pick<LoadedModel, "source" | "dir">): void {
  showWeightsInUse({ source: m.source, file: m.dir }, MODEL_STAND_IN);
}
