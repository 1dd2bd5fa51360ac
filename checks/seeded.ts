// Seeded GPT-2-shaped numbers for the step 07 reference, in plain TypeScript (no tfjs).
//
// The reference file stores the input and the expected Q, K, V, but not the 7 MB weight matrix:
// the weights are regenerated here from the seed, and their sha256 (kept in the file) proves the
// regeneration matches what the expected outputs were computed from. So this generator must
// never change behaviour; a change is a new GENERATOR string and a regenerated file.

/** Bump when anything below changes what a seed produces. */
export const GENERATOR = "mulberry32+box-muller/float32/v1";

/** mulberry32: a tiny, well-known 32-bit PRNG. Returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples of N(0, std²), rounded to float32 (the precision the model stores). */
export function gaussianFloat32(seed: number, n: number, std: number): Float32Array {
  const uniform = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller; 1 - u keeps the log's argument in (0, 1].
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const theta = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(theta) * std;
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta) * std;
  }
  return out;
}

/** What a seed expands to. Separate streams, so that changing one shape leaves the others alone. */
export interface ReferenceSpec {
  seed: number;
  batch: number;
  seq: number;
  n_embd: number;
}

// GPT-2 initialises weights with N(0, 0.02²). Its trained c_attn bias is far from zero, so ours
// is drawn too (a zero bias would make "forgot the bias" invisible).
export const WEIGHT_STD = 0.02;
export const BIAS_STD = 0.02;
export const INPUT_STD = 1;

/** c_attn.weight, [n_embd, 3·n_embd] row-major ([in, out], Hugging Face's Conv1D layout). */
export function seededWeight(spec: ReferenceSpec): Float32Array {
  return gaussianFloat32(spec.seed, spec.n_embd * 3 * spec.n_embd, WEIGHT_STD);
}

/** c_attn.bias, [3·n_embd]. */
export function seededBias(spec: ReferenceSpec): Float32Array {
  return gaussianFloat32(spec.seed + 1, 3 * spec.n_embd, BIAS_STD);
}

/** The input x, [batch, seq, n_embd]. */
export function seededInput(spec: ReferenceSpec, seedOffset = 2): Float32Array {
  return gaussianFloat32(spec.seed + seedOffset, spec.batch * spec.seq * spec.n_embd, INPUT_STD);
}
