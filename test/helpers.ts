// Small helpers shared by the lib tests: seeded data and a float64 reference that does not use tfjs.
import { gaussianFloat32 } from "../checks/engine/seeded";

/** n samples of N(0, std²), rounded to float32 (what a tensor will hold). Same seeded generator as the checks' reference. */
export function normals(n: number, std: number, seed: number): Float32Array {
  return gaussianFloat32(seed, n, std);
}

/** y = x·W + b in float64 with plain loops (the same code the checks' references use). */
export { linearF64 } from "../checks/engine/float64";

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
