// Step 09: multi-head attention, GPT-2's `attn` block (c_attn, heads, causal attention, c_proj).
// What the check engine needs to know about this step: the reference, the structure rules (c_attn
// and c_proj, nothing else: a learner may keep the head count under any name), what forward
// returns, the mistake table (mistakes.ts), hints and probes.
import * as path from "node:path";
import { attentionF64, linearF64, splitLast } from "../engine/float64";
import { linearRows, notAnObject } from "../engine/structure";
import type { Dims, StepSpec } from "../engine/types";
import { AttentionContext } from "../step08/context";
import { C_ATTN_PARAMS, LARGE_INPUT } from "../step08/spec";
import { MISTAKE_CODES, diagnose } from "./mistakes";

export const step09: StepSpec<AttentionContext> = {
  id: "09",
  checkName: "checkStep09",
  exampleClass: "MyAttention",
  reference: {
    file: path.join(__dirname, "reference.safetensors"),
    format: "gpt2-qkv-lessons/step09-reference",
    version: "1",
    seed: 20090,
    batch: 2,
    seq: 8,
    n_embd: 768,
    params: [
      ...C_ATTN_PARAMS,
      { name: "c_proj.weight", key: "c_proj_weight", shape: (C: number) => [C, C], std: 0.02, seedOffset: 3 },
      { name: "c_proj.bias", key: "c_proj_bias", shape: (C: number) => [C], std: 0.02, seedOffset: 4 },
    ],
    inputStd: 1,
    inputSeedOffset: 2,
    outputs: ["y"],
    /** c_proj(merge(softmax(mask(q_h·k_hᵀ/√hs)) · v_h for each head h)), in float64. */
    compute(x, p, { B, T, C }: Dims, config) {
      const [q, k, v] = splitLast(linearF64(x, p["c_attn.weight"], p["c_attn.bias"], B * T, C, 3 * C), B * T, 3, C);
      const { y } = attentionF64(q, k, v, B, T, C, { nHead: config.n_head });
      return [linearF64(y, p["c_proj.weight"], p["c_proj.bias"], B * T, C, C)];
    },
  },
  planned: ["reference", "construct", "c_attn", "c_attn.weight", "c_attn.bias", "c_proj", "c_proj.weight", "c_proj.bias", "forward", "y", "large input", "new input", "input", "repeat", "leaks", "speed"],

  structure(snap, config) {
    if (!snap.isObject) return { rows: [notAnObject(snap, "c_attn")], ok: false };
    const C = config.n_embd;
    const attn = linearRows(
      snap,
      { name: "c_attn", inFeatures: C, outFeatures: 3 * C, sizes: `n_embd = ${C} → 3 × n_embd = ${3 * C} (q, k and v for all heads at once)`, create: "this.c_attn = new Linear(config.n_embd, 3 * config.n_embd)" },
      () => ({ message: `There is no this.c_attn: one Linear named c_attn, from n_embd to 3 × n_embd, as in steps 07 and 08.` }),
    );
    const proj = linearRows(
      snap,
      { name: "c_proj", inFeatures: C, outFeatures: C, sizes: `n_embd = ${C} → n_embd = ${C}`, create: "this.c_proj = new Linear(config.n_embd, config.n_embd)" },
      () => ({ message: `There is no this.c_proj: GPT-2's attention ends with a Linear named c_proj, from n_embd to n_embd, that mixes the heads' outputs.` }),
    );
    return { rows: [...attn.rows, ...proj.rows], ok: attn.ok && proj.ok };
  },

  outputs: { names: ["y"], shape: ({ B, T, C }) => [B, T, C], what: "one float32 tensor" },

  context({ input, params, dims, config, label }) {
    return new AttentionContext(dims, config.n_head, input, params, true, label);
  },
  diagnose,
  mistakeCodes: MISTAKE_CODES,

  hints: [
    {
      code: "reshape-size",
      title: "A reshape that does not fit",
      test: /Size\(\d+\) must match the product of shape/,
      hint: `A reshape must keep the number of values: [B, T, C] holds B·T·C, as do [B, T, nh, hs] and [B, nh, T, hs] (C = nh · hs). Take B and T from x.shape, and hs = C / nh.`,
    },
  ],
  probes: [{ ...LARGE_INPUT, seedOffset: 5 }],
  libSpeed: "about 2 ms on wasm",
};
