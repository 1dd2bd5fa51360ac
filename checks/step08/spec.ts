// Step 08: causal self-attention with one head. What the check engine needs to know about this
// step: the reference (c_attn, then attention in float64), the structure rules, what forward
// returns, the mistake table (mistakes.ts), hints and probes.
import * as path from "node:path";
import { attentionF64, linearF64, splitLast } from "../engine/float64";
import { linearRows, notAnObject } from "../engine/structure";
import type { Dims, StepSpec } from "../engine/types";
import { AttentionContext } from "./context";
import { MISTAKE_CODES, diagnose } from "./mistakes";

/** c_attn's reference parameters, as in step 07: N(0, 0.02²) weights and a nonzero bias. */
export const C_ATTN_PARAMS = [
  { name: "c_attn.weight", key: "c_attn_weight", shape: (C: number) => [C, 3 * C], std: 0.02, seedOffset: 0 },
  { name: "c_attn.bias", key: "c_attn_bias", shape: (C: number) => [3 * C], std: 0.02, seedOffset: 1 },
];

/** The input × 20: scores reach a few hundred, where exp overflows float32 (above 88.7). */
export const LARGE_INPUT = {
  label: "large input",
  dims: (C: number): Dims => ({ B: 2, T: 8, C }),
  scale: 20,
  seedOffset: 3,
  when: "returned" as const,
  // Near-ties between scores of a few hundred cost float32 code some precision: correct code
  // (tf.softmax) stays within 2.2e-3 of float64 here on wasm and 2.1e-4 on cpu (ten seeds).
  judged: { atol: 2e-2, rtol: 2e-3, what: "a large input (x × 20, scores in the hundreds)" },
};

export const step08: StepSpec<AttentionContext> = {
  id: "08",
  checkName: "checkStep08",
  exampleClass: "MyAttention",
  reference: {
    file: path.join(__dirname, "reference.safetensors"),
    format: "gpt2-qkv-lessons/step08-reference",
    version: "1",
    seed: 20080,
    batch: 2,
    seq: 8,
    n_embd: 768,
    params: C_ATTN_PARAMS,
    inputStd: 1,
    inputSeedOffset: 2,
    outputs: ["y"],
    /** y = softmax(mask(q·kᵀ/√C)) · v, one head of width C, in float64. */
    compute(x: ArrayLike<number>, p: Record<string, Float32Array>, { B, T, C }: Dims): Float64Array[] {
      const [q, k, v] = splitLast(linearF64(x, p["c_attn.weight"], p["c_attn.bias"], B * T, C, 3 * C), B * T, 3, C);
      return [attentionF64(q, k, v, B, T, C, { nHead: 1 }).y];
    },
  },
  planned: ["reference", "construct", "c_attn", "c_attn.weight", "c_attn.bias", "forward", "y", "large input", "new input", "input", "repeat", "leaks", "speed"],

  structure(snap, config) {
    if (!snap.isObject) return { rows: [notAnObject(snap, "c_attn")], ok: false };
    const C = config.n_embd;
    return linearRows(
      snap,
      { name: "c_attn", inFeatures: C, outFeatures: 3 * C, sizes: `n_embd = ${C} → 3 × n_embd = ${3 * C} (q, k and v, as in step 07)`, create: "this.c_attn = new Linear(config.n_embd, 3 * config.n_embd)" },
      () => ({ message: `There is no this.c_attn. Attention starts from step 07's projection: one Linear named c_attn, from n_embd to 3 × n_embd, created in the constructor.` }),
    );
  },

  outputs: { names: ["y"], shape: ({ B, T, C }) => [B, T, C], what: "one float32 tensor" },

  context({ input, params, dims, label }) {
    return new AttentionContext(dims, 1, input, params, false, label);
  },
  diagnose,
  mistakeCodes: MISTAKE_CODES,

  hints: [
    {
      code: "matmul-shapes",
      title: "Shapes that do not fit",
      test: (m) => /matMul|inner|must match/i.test(m) && /matMul|matmul/i.test(m),
      hint: `q·kᵀ is tf.matMul(q, k, false, true): (B, T, C) · (B, C, T) → (B, T, T). Then weights · v is tf.matMul(weights, v): (B, T, T) · (B, T, C) → (B, T, C).`,
    },
  ],
  probes: [LARGE_INPUT],
  libSpeed: "about 2 ms on wasm",
};
