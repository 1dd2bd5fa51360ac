// Float64 building blocks for the references, with plain loops: the independent implementation
// that expected outputs come from. They share no code with tfjs, so a tfjs bug cannot hide in a
// reference. Row-major arrays throughout.

/** y = x · W + b in float64. x: [rows, nIn], W: [nIn, nOut] ([in, out], GPT-2's Conv1D layout), b: [nOut] or null. */
export function linearF64(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, rows: number, nIn: number, nOut: number): Float64Array {
  const y = new Float64Array(rows * nOut);
  const acc = new Float64Array(nOut);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < nOut; j++) acc[j] = b ? b[j] : 0;
    for (let i = 0; i < nIn; i++) {
      const xi = x[r * nIn + i];
      const wRow = i * nOut;
      for (let j = 0; j < nOut; j++) acc[j] += xi * w[wRow + j];
    }
    y.set(acc, r * nOut);
  }
  return y;
}

/** Cut y [rows, parts·width] along its last axis into `parts` arrays [rows, width]. */
export function splitLast(y: ArrayLike<number>, rows: number, parts: number, width: number): Float64Array[] {
  const out = Array.from({ length: parts }, () => new Float64Array(rows * width));
  for (let r = 0; r < rows; r++) {
    for (let p = 0; p < parts; p++) {
      for (let c = 0; c < width; c++) out[p][r * width + c] = y[r * parts * width + p * width + c];
    }
  }
  return out;
}

/** Softmax of each row of `x` [rows, n], in place on a copy; subtracting the row maximum keeps exp finite. */
export function softmaxRows(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < n; c++) max = Math.max(max, x[r * n + c]);
    let sum = 0;
    for (let c = 0; c < n; c++) sum += out[r * n + c] = Math.exp(x[r * n + c] - max);
    for (let c = 0; c < n; c++) out[r * n + c] /= sum;
  }
  return out;
}

/** LayerNorm of each row of x [rows, n] with unit weight and zero bias: (x - mean) / √(var + eps). */
export function normalizeRows(x: ArrayLike<number>, rows: number, n: number, eps: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let c = 0; c < n; c++) mean += x[r * n + c];
    mean /= n;
    let variance = 0;
    for (let c = 0; c < n; c++) variance += (x[r * n + c] - mean) ** 2;
    variance /= n;
    const scale = 1 / Math.sqrt(variance + eps);
    for (let c = 0; c < n; c++) out[r * n + c] = (x[r * n + c] - mean) * scale;
  }
  return out;
}
