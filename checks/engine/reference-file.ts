// A step's reference file: the input x and the expected outputs, computed in float64 with plain
// loops and stored as float32 in safetensors, with a format tag, a version and sha256 checksums
// in its metadata (llm.c's idea). The weights are not stored: they are regenerated from the seed,
// and their checksums prove they are the ones the outputs were computed from.
//
// Written by `npm run make-reference` (scripts/make-reference.ts); read by the checks. No tfjs
// here, so the reference cannot share a bug with what it judges.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { GPT2Config } from "../../lib/config";
import { encodeSafetensors, float32Bytes, readSafetensorsHeader } from "../../lib/safetensors-file";
import { GENERATOR, gaussianFloat32 } from "./seeded";
import type { Dims, ReferenceData, ReferenceSpec } from "./types";

/** How to get a good file back; every "missing or corrupted" message ends with it. */
export const REGENERATE_HINT = "Regenerate it with `npm run make-reference` (or restore it with `git checkout -- checks/`).";

export class ReferenceFileError extends Error {
  constructor(step: string, file: string, problem: string) {
    super(`The step ${step} reference file ${file} ${problem}. ${REGENERATE_HINT}`);
    this.name = "ReferenceFileError";
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** The input for `dims`, from its own seed: the stored x, or a check's fresh and probe inputs. */
export function seededInput(spec: ReferenceSpec, dims: Dims, seed: number, scale = 1): Float32Array {
  const x = gaussianFloat32(seed, dims.B * dims.T * dims.C, spec.inputStd);
  if (scale !== 1) for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i] * scale);
  return x;
}

/** Every parameter, regenerated from the seed. */
export function seededParams(spec: ReferenceSpec, seed = spec.seed): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const p of spec.params) {
    const n = p.shape(spec.n_embd).reduce((a, b) => a * b, 1);
    out[p.name] = gaussianFloat32(seed + p.seedOffset, n, p.std);
  }
  return out;
}

/** The config a step's reference is computed with: GPT-2 small's, at the file's width. */
export function referenceConfig(spec: ReferenceSpec): GPT2Config {
  return GPT2Config.forWidth(spec.n_embd);
}

/** Write the reference file for `spec`. Returns the bytes written. The same spec always gives the same bytes. */
export function writeReference(spec: ReferenceSpec, step: string, file = spec.file): number {
  const dims: Dims = { B: spec.batch, T: spec.seq, C: spec.n_embd };
  const params = seededParams(spec);
  const x = seededInput(spec, dims, spec.seed + spec.inputSeedOffset);
  const outputs = spec.compute(x, params, dims, referenceConfig(spec));
  const shape = [dims.B, dims.T, dims.C];
  const tensors = [{ name: "input", shape, data: x as ArrayLike<number> }, ...spec.outputs.map((name, i) => ({ name, shape, data: outputs[i] as ArrayLike<number> }))];
  const metadata: Record<string, string> = {
    format: spec.format,
    version: spec.version,
    generator: GENERATOR,
    seed: String(spec.seed),
    batch: String(dims.B),
    seq: String(dims.T),
    n_embd: String(dims.C),
  };
  for (const p of spec.params) metadata[`${p.key}_std`] = String(p.std);
  metadata.input_std = String(spec.inputStd);
  metadata.computed_with = "float64 loops in plain TypeScript (scripts/make-reference.ts), no tfjs; stored rounded to float32";
  for (const p of spec.params) metadata[`sha256_${p.key}`] = sha256(float32Bytes(params[p.name]));
  for (const t of tensors) metadata[`sha256_${t.name}`] = sha256(float32Bytes(t.data));
  const bytes = encodeSafetensors(tensors, metadata);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  return bytes.length;
}

// Regenerating the weights and hashing them takes a moment; do it once per process and file.
const paramCache = new Map<string, Record<string, Float32Array>>();

/** Read, verify and return a step's reference. Throws ReferenceFileError on any problem. */
export function loadReference(spec: ReferenceSpec, step: string, file = spec.file): ReferenceData {
  const fail = (problem: string): never => {
    throw new ReferenceFileError(step, file, problem);
  };
  if (!fs.existsSync(file)) fail("is missing");
  let header: ReturnType<typeof readSafetensorsHeader>;
  try {
    header = readSafetensorsHeader(file);
  } catch (err) {
    return fail(`is corrupted (${(err as Error).message})`);
  }
  const meta = header.metadata;
  if (meta.format !== spec.format) fail(`is not a step ${step} reference (its format is ${JSON.stringify(meta.format)}, expected "${spec.format}")`);
  if (meta.version !== spec.version) fail(`has version ${JSON.stringify(meta.version)}; this checker reads version ${spec.version}`);
  if (meta.generator !== GENERATOR) fail(`was made with weight generator ${JSON.stringify(meta.generator)}; this checker regenerates weights with "${GENERATOR}"`);
  const int = (key: string): number => {
    const n = Number(meta[key]);
    if (!Number.isSafeInteger(n) || n <= 0) fail(`has no valid "${key}" in its metadata (got ${JSON.stringify(meta[key])})`);
    return n;
  };
  const seed = Number(meta.seed);
  if (meta.seed === undefined || !Number.isSafeInteger(seed)) fail(`has no valid "seed" in its metadata`);
  const dims: Dims = { B: int("batch"), T: int("seq"), C: int("n_embd") };
  if (dims.C !== spec.n_embd) fail(`is for n_embd ${dims.C}; this checker expects ${spec.n_embd}`);
  const shape = [dims.B, dims.T, dims.C];
  const bytes = fs.readFileSync(file);
  const arrays: Record<string, Float32Array> = {};
  for (const name of ["input", ...spec.outputs]) {
    const entry = header.entries.find((e) => e.name === name);
    if (!entry) return fail(`has no tensor "${name}"`);
    if (entry.dtype !== "F32" || entry.shape.join(",") !== shape.join(",")) {
      fail(`stores "${name}" as ${entry.dtype} [${entry.shape.join(", ")}], expected F32 [${shape.join(", ")}]`);
    }
    const raw = bytes.subarray(entry.begin, entry.end);
    if (sha256(raw) !== meta[`sha256_${name}`]) fail(`is corrupted: the checksum of "${name}" does not match its metadata`);
    const values = new Float32Array(raw.length / 4);
    for (let i = 0; i < values.length; i++) values[i] = raw.readFloatLE(4 * i);
    if (!values.every(Number.isFinite)) fail(`is corrupted: "${name}" holds NaN or infinite values`);
    arrays[name] = values;
  }
  const key = `${path.resolve(file)}/${seed}/${dims.C}`;
  let params = paramCache.get(key);
  if (!params) {
    const candidate = seededParams(spec, seed);
    for (const p of spec.params) {
      if (sha256(float32Bytes(candidate[p.name])) !== meta[`sha256_${p.key}`]) {
        // Either the file's metadata was edited, or this JavaScript engine's Math.log/cos/sin
        // differ from the ones that wrote the file.
        fail(`names weights (seed ${seed}) whose regenerated checksum of "${p.name}" does not match the one it stores`);
      }
    }
    params = candidate;
    paramCache.set(key, params);
  }
  const outputs: Record<string, Float32Array> = {};
  for (const name of spec.outputs) outputs[name] = arrays[name];
  return { file, dims, seed, input: arrays.input, outputs, params, metadata: meta };
}
