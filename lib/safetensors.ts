// Safetensors, the format Hugging Face ships weights in, as tfjs tensors. The bytes are read and
// written by ./safetensors-file.ts, which needs no tfjs; this file only makes tensors of them.
//
// Real GPT-2 weights: the file `model.safetensors` in Hugging Face's `gpt2` repository
// (https://huggingface.co/openai-community/gpt2, about 548 MB). `npm run weights` downloads it,
// with its config.json, into weights/gpt2/ (scripts/download.ts); or download it by hand and
// point the kit at it with the GPT2_SAFETENSORS environment variable (see README).
import { tf } from "./tf";
import { ensureBackend } from "./backend";
import { encodeSafetensors, forEachSafetensorsArray } from "./safetensors-file";
import * as fs from "node:fs";

export { SafetensorsError, MAX_HEADER_BYTES, readSafetensorsHeader, readSafetensorsArrays, forEachSafetensorsArray, encodeSafetensors } from "./safetensors-file";
export type { SafetensorsEntry, SafetensorsHeader, SafetensorsDtype, SafetensorsArray } from "./safetensors-file";

export interface LoadSafetensorsOptions {
  /** Load only the tensors whose name passes; the rest are never read from disk. */
  filter?: (name: string) => boolean;
}

/**
 * Read a .safetensors file into a record of float32 tensors, keyed by the names in the file.
 *
 * Tensors are read one at a time straight from the file into their own buffer, so loading the
 * 548 MB GPT-2 checkpoint needs about its own size in memory, not twice; with `filter`, only the
 * tensors you ask for are read at all. Every structural problem (truncation, a header longer
 * than the file, bad JSON, out-of-range or overlapping offsets, a shape that disagrees with its
 * byte count, an unknown dtype) is a SafetensorsError naming the file and the problem, raised
 * before any large allocation. The caller owns the tensors: dispose them (or use tf.tidy).
 */
export function loadSafetensors(file: string, options: LoadSafetensorsOptions = {}): Record<string, tf.Tensor> {
  ensureBackend();
  const out: Record<string, tf.Tensor> = {};
  try {
    forEachSafetensorsArray(file, (name, a) => (out[name] = tf.tensor(a.data, a.shape, "float32")), options);
  } catch (err) {
    for (const t of Object.values(out)) t.dispose();
    throw err;
  }
  return out;
}

/**
 * Write tensors as a float32 safetensors file (tensors in name order, 8-byte aligned, as
 * Hugging Face's writer does). `metadata` values must be strings.
 */
export function saveSafetensors(
  file: string,
  tensors: Record<string, tf.Tensor | { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): void {
  const list = Object.keys(tensors)
    .sort()
    .map((name) => {
      const t = tensors[name];
      return t instanceof tf.Tensor ? { name, shape: t.shape, data: t.dataSync() as Float32Array } : { name, shape: t.shape, data: t.data };
    });
  fs.writeFileSync(file, encodeSafetensors(list, metadata));
}
