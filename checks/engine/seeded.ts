// Seeded GPT-2-shaped numbers for the reference files and the checks' fresh inputs, in plain
// TypeScript (no tfjs).
//
// A reference file stores the input and the expected outputs, but not the weights (c_attn's
// alone are 7 MB): they are regenerated here from the seed, and their sha256 (kept in the file)
// proves the regeneration matches what the expected outputs were computed from. So this
// generator must never change behaviour; a change is a new GENERATOR string and regenerated files.

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
