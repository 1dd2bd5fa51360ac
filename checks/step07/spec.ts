// Step 07: GPT-2's query/key/value projection for one head. What the check engine needs to know
// about this step, and nothing else: the reference and how it is computed, the structure rules,
// what forward returns, the mistake table (mistakes.ts), error hints and probes.
import * as path from "node:path";
import { shapeText } from "../../lib/shape";
import { linearF64, splitLast } from "../engine/float64";
import { linearRows, linears, notAnObject } from "../engine/structure";
import type { Diagnosis, Dims, StepSpec } from "../engine/types";
import { MISTAKE_CODES, QKVContext, diagnose } from "./mistakes";

const REFERENCE = {
  file: path.join(__dirname, "reference.safetensors"),
  format: "gpt2-qkv-lessons/step07-reference",
  version: "1",
  // GPT-2 small's width, and an input small enough that the check takes well under a second on cpu.
  seed: 20070,
  batch: 2,
  seq: 8,
  n_embd: 768,
  params: [
    // GPT-2 initialises weights with N(0, 0.02²). Its trained c_attn bias is far from zero, so
    // ours is drawn too (a zero bias would make "forgot the bias" invisible).
    { name: "c_attn.weight", key: "weight", shape: (C: number) => [C, 3 * C], std: 0.02, seedOffset: 0 },
    { name: "c_attn.bias", key: "bias", shape: (C: number) => [3 * C], std: 0.02, seedOffset: 1, optional: true },
  ],
  inputStd: 1,
  inputSeedOffset: 2,
  outputs: ["q", "k", "v"],
  /** q, k, v = split(x · W + b, 3, last axis), in float64. */
  compute(x: ArrayLike<number>, p: Record<string, Float32Array>, { B, T, C }: Dims): Float64Array[] {
    return splitLast(linearF64(x, p["c_attn.weight"], p["c_attn.bias"], B * T, C, 3 * C), B * T, 3, C);
  },
};

export const step07: StepSpec<QKVContext> = {
  id: "07",
  checkName: "checkStep07",
  exampleClass: "MyQKV",
  reference: REFERENCE,
  planned: ["reference", "construct", "c_attn", "c_attn.weight", "c_attn.bias", "forward", "q", "k", "v", "new input", "input", "repeat", "leaks", "speed"],

  structure(snap, config) {
    const C = config.n_embd;
    if (!snap.isObject) return { rows: [notAnObject(snap, "c_attn")], ok: false };
    const create = "this.c_attn = new Linear(config.n_embd, 3 * config.n_embd)";
    const missing = (): { message: string; title?: string } => {
      const separate = linears(snap).filter((p) => p.linear!.inFeatures === C && p.linear!.outFeatures === C);
      const combined = linears(snap).filter((p) => p.linear!.inFeatures === C && p.linear!.outFeatures === 3 * C);
      if (separate.length >= 3) {
        return {
          title: "Three separate layers",
          message:
            `Three separate layers (${separate.map((p) => p.name).join(", ")}, each ${C} → ${C}) instead of one combined c_attn. ` +
            `GPT-2 computes Q, K and V with a single Linear, c_attn, from ${C} to ${3 * C} = 3 × n_embd, and splits its output; ` +
            `its checkpoint stores one c_attn weight, so the weights load by a plain name-to-name copy only into that layout. Replace them with one c_attn.`,
        };
      }
      if (combined.length === 1) return { message: `Your ${C} → ${3 * C} Linear is called "${combined[0].name}"; GPT-2's checkpoint calls it "c_attn". Rename it so that the weights load by name.` };
      const near = snap.properties.filter((p) => /c.?attn|attn/i.test(p.name)).map((p) => `"${p.name}"`);
      return {
        message: (near.length ? `There is no this.c_attn (but there is ${near.join(", ")}: check the spelling). ` : `There is no this.c_attn: not implemented yet? `) + `GPT-2's query/key/value projection is one Linear named c_attn; create it in the constructor.`,
      };
    };
    const rule = {
      name: "c_attn",
      inFeatures: C,
      outFeatures: 3 * C,
      sizes: `n_embd = ${C} → 3 × n_embd = ${3 * C}, so that Q, K and V each get ${C}`,
      create,
      widthNote: (out: number) => (out === 3 * config.headDim ? ` (3 × head_dim = 3 × ${config.headDim}: this step is one head of the full width n_embd)` : ""),
      noteExtraLayers: true,
    };
    return linearRows(snap, rule, missing);
  },

  outputs: {
    names: ["q", "k", "v"],
    objectKeys: [["q", "k", "v"], ["query", "key", "value"]],
    shape: ({ B, T, C }) => [B, T, C],
    what: "three float32 tensors",
  },

  context({ input, outputs, params, dims, config }) {
    return new QKVContext(dims, config.n_head, config.layer_norm_epsilon, input, outputs, params["c_attn.weight"], params["c_attn.bias"]);
  },
  diagnose,
  mistakeCodes: MISTAKE_CODES,

  explainThrow(message, probes) {
    // tf.split threw on the [2, 8, 768] input: a [3, 3, 768] input lets a split along axis 0 or 1
    // go through, and the result shows which axis was split.
    if (!/Number of splits must evenly divide the axis|sum of sizes must match the size of the axis/.test(message)) return "";
    const probe = probes.find((p) => p.run.label === "split-axis");
    const axis = probe?.diagnoses.find((x: Diagnosis) => x.code === "wrong-axis");
    if (!axis || !probe) return "";
    return `Split along the wrong axis: on a ${shapeText([probe.run.dims.B, probe.run.dims.T, probe.run.dims.C])} input, where such a split goes through, your forward shows that ${axis.detail}`;
  },

  hints: [
    {
      code: "wrong-axis",
      title: "Split along the wrong axis",
      test: /Number of splits must evenly divide the axis/,
      hint: `Split along the wrong axis: tf.split(qkv, 3) splits axis 0, the batch, unless you pass an axis, and the batch cannot be cut in 3. Q, K and V are the blocks of the last axis: tf.split(qkv, 3, -1).`,
    },
    {
      code: "wrong-axis",
      title: "Split along the wrong axis",
      test: /sum of sizes must match the size of the axis/,
      hint: (_m, d) => `Split along the wrong axis: sizes such as [${d.C}, ${d.C}, ${d.C}] must add up to the axis you split; without an axis tf.split uses axis 0, the batch. Pass the last axis: tf.split(qkv, [n_embd, n_embd, n_embd], -1).`,
    },
  ],
  probes: [{ label: "split-axis", dims: (C) => ({ B: 3, T: 3, C }), scale: 1, seedOffset: 3, when: "threw" }],
  libSpeed: "about 1 ms on wasm",
};
