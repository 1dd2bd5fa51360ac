// Small helpers shared by the lib tests: seeded data and a float64 reference that does not use tfjs.
import { gaussianFloat32 } from "../checks/seeded";

/** n samples of N(0, std²), rounded to float32 (what a tensor will hold). Same seeded generator as the checks' reference. */
export function normals(n: number, std: number, seed: number): Float32Array {
  return gaussianFloat32(seed, n, std);
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
