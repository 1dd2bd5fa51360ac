// Reading and verifying the step 07 reference file (see scripts/make-reference.ts).
//
// Every problem (missing file, not safetensors, wrong format or version, a checksum that does
// not match, weights that do not regenerate) is a ReferenceFileError whose message says what is
// wrong and how to get a good file back. Reading needs no tfjs tensors, so it cannot leak any.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { readSafetensorsHeader } from "../lib/safetensors-file";
import { GENERATOR, seededBias, seededWeight } from "./seeded";
import type { ReferenceSpec } from "./seeded";
import { REFERENCE_FILE, REFERENCE_FORMAT, REFERENCE_VERSION, REGENERATE_HINT, STORED_TENSORS } from "./reference-format";

export class ReferenceFileError extends Error {
  constructor(file: string, problem: string) {
    super(`The step 07 reference file ${file} ${problem}. ${REGENERATE_HINT}`);
    this.name = "ReferenceFileError";
  }
}

export interface ReferenceData {
  file: string;
  spec: ReferenceSpec;
  /** x, [batch, seq, n_embd]. */
  input: Float32Array;
  /** Expected outputs, [batch, seq, n_embd] each (float64 results, stored as float32). */
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  /** c_attn weights regenerated from the seed: [n_embd, 3·n_embd] and [3·n_embd]. */
  weight: Float32Array;
  bias: Float32Array;
  metadata: Record<string, string>;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function float32Bytes(values: Float32Array): Uint8Array {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i], 4 * i);
  return buf;
}

function positiveInt(meta: Record<string, string>, key: string, fail: (p: string) => never): number {
  const n = Number(meta[key]);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`has no valid "${key}" in its metadata (got ${JSON.stringify(meta[key])})`);
  return n;
}

// Regenerating the 1.8 M weights and hashing them takes a moment; do it once per process.
const weightCache = new Map<string, { weight: Float32Array; bias: Float32Array }>();

/** Read, check and return the reference. Throws ReferenceFileError on any problem. */
export function loadReference(file: string = REFERENCE_FILE): ReferenceData {
  const fail = (problem: string): never => {
    throw new ReferenceFileError(file, problem);
  };
  if (!fs.existsSync(file)) fail("is missing");
  let header: ReturnType<typeof readSafetensorsHeader>;
  try {
    header = readSafetensorsHeader(file);
  } catch (err) {
    return fail(`is corrupted (${(err as Error).message})`);
  }
  const meta = header.metadata;
  if (meta.format !== REFERENCE_FORMAT) {
    fail(`is not a step 07 reference (its format is ${JSON.stringify(meta.format)}, expected "${REFERENCE_FORMAT}")`);
  }
  if (meta.version !== REFERENCE_VERSION) {
    fail(`has version ${JSON.stringify(meta.version)}; this checker reads version ${REFERENCE_VERSION}`);
  }
  if (meta.generator !== GENERATOR) {
    fail(`was made with weight generator ${JSON.stringify(meta.generator)}; this checker regenerates weights with "${GENERATOR}"`);
  }
  const spec: ReferenceSpec = {
    seed: Number(meta.seed),
    batch: positiveInt(meta, "batch", fail),
    seq: positiveInt(meta, "seq", fail),
    n_embd: positiveInt(meta, "n_embd", fail),
  };
  if (!Number.isSafeInteger(spec.seed)) fail(`has no valid "seed" in its metadata`);
  const shape = [spec.batch, spec.seq, spec.n_embd];
  const bytes = fs.readFileSync(file);
  const arrays: Record<string, Float32Array> = {};
  for (const name of STORED_TENSORS) {
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
  const key = `${spec.seed}/${spec.n_embd}`;
  let weights = weightCache.get(key);
  if (!weights) {
    const candidate = { weight: seededWeight(spec), bias: seededBias(spec) };
    if (sha256(float32Bytes(candidate.weight)) !== meta.sha256_weight || sha256(float32Bytes(candidate.bias)) !== meta.sha256_bias) {
      // Either the file's metadata was edited, or this JavaScript engine's Math.log/cos/sin
      // differ from the ones that wrote the file.
      fail(`names weights (seed ${spec.seed}) whose regenerated checksum does not match the one it stores`);
    }
    weights = candidate;
    weightCache.set(key, weights);
  }
  return {
    file,
    spec,
    input: arrays.input,
    q: arrays.q,
    k: arrays.k,
    v: arrays.v,
    weight: weights.weight,
    bias: weights.bias,
    metadata: meta,
  };
}
