// c_attn in float64, with plain loops: the independent implementation that the reference
// outputs come from. It shares no code with tfjs, so a tfjs bug cannot hide in the reference.

/**
 * y = x · W + b, accumulated in float64.
 * x: [rows, n_embd], W: [n_embd, 3·n_embd] (row-major, [in, out]), b: [3·n_embd].
 * Returns y: [rows, 3·n_embd] as a Float64Array.
 */
export function cAttnFloat64(x: ArrayLike<number>, weight: ArrayLike<number>, bias: ArrayLike<number>, rows: number, nEmbd: number): Float64Array {
  const out = 3 * nEmbd;
  const y = new Float64Array(rows * out);
  const acc = new Float64Array(out);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < out; j++) acc[j] = bias[j];
    for (let i = 0; i < nEmbd; i++) {
      const xi = x[r * nEmbd + i];
      const wRow = i * out;
      for (let j = 0; j < out; j++) acc[j] += xi * weight[wRow + j];
    }
    y.set(acc, r * out);
  }
  return y;
}

/** Split y [rows, 3C] along its last axis into q, k, v, each [rows, C]. */
export function splitLast3(y: Float64Array, rows: number, nEmbd: number): [Float64Array, Float64Array, Float64Array] {
  const parts: Float64Array[] = [0, 1, 2].map(() => new Float64Array(rows * nEmbd));
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < 3; p++) {
      parts[p].set(y.subarray(r * 3 * nEmbd + p * nEmbd, r * 3 * nEmbd + (p + 1) * nEmbd), r * nEmbd);
    }
  }
  return parts as [Float64Array, Float64Array, Float64Array];
}
