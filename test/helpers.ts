// Small helpers shared by the lib tests: a seeded PRNG and a float64 reference that does not use tfjs.

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
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

/** n samples of N(0, std²), rounded to float32 (what a tensor will hold). */
export function normals(n: number, std: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** y = x·W + b in float64 with plain loops. x: [rows, nIn], W: [nIn, nOut], b: [nOut]. */
export function linearF64(x: Float32Array, w: Float32Array, b: Float32Array | null, rows: number, nIn: number, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  for (let r = 0; r < rows; r++) {
    const yRow = r * nOut;
    if (b) for (let o = 0; o < nOut; o++) y[yRow + o] = b[o];
    for (let i = 0; i < nIn; i++) {
      const xi = x[r * nIn + i];
      const wRow = i * nOut;
      for (let o = 0; o < nOut; o++) y[yRow + o] += xi * w[wRow + o];
    }
  }
  return y;
}

/** Largest |a-b| and the first index breaking |a-b| <= atol + rtol*|b| (or -1). */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): { maxDiff: number; firstBad: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = d; // also catches NaN
    if (firstBad < 0 && !(d <= atol + rtol * Math.abs(expected[i]))) firstBad = i;
  }
  return { maxDiff, firstBad };
}
