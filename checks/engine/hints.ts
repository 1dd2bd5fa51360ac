// Hints for errors a learner's constructor or forward throws, keyed on the error's message. A
// step adds its own (checks/stepNN/spec.ts: hints) in front of these.
import type { Dims, ErrorHint } from "./types";

export const GENERIC_HINTS: ErrorHint[] = [
  { code: "not-implemented", title: "Not implemented yet", test: /not implemented/i, hint: `Not implemented yet: replace the \`throw new Error("not implemented yet")\` with your code.` },
  { code: "super-first", title: "super() not called first", test: /Must call super constructor/, hint: `Call super() first in your constructor, before using this.` },
  { code: "config-typo", title: "An undefined value", test: /got undefined/, hint: `A value you passed is undefined: check the spelling of config fields (config.n_embd, config.n_head; not n_embed or hidden_size).` },
  {
    code: "chained-method",
    title: "Chained tensor methods",
    test: /\.(split|reshape|matMul|add|transpose|slice|mul|div|dot|unstack|squeeze|expandDims|concat|softmax|sub|exp|sum|max)\s+is not a function/,
    hint: (m) => {
      const op = /\.(\w+)\s+is not a function/.exec(m)![1];
      return `This kit's tf has no chained tensor methods: write tf.${op}(t, …) rather than t.${op}(…). For example tf.split(qkv, 3, -1).`;
    },
  },
  {
    code: "missing-layer",
    title: "A missing layer",
    test: /Cannot read propert(?:y|ies) of (?:undefined|null) \(reading '(forward|weight|bias)'\)/,
    hint: `Something you call .forward/.weight/.bias on is undefined: is the layer created in the constructor (this.c_attn = new Linear(…)) under exactly that name?`,
  },
  { code: "call-forward", title: "A layer not called", test: /forward.*is not a function|is not a function.*forward/, hint: `Call the layer with .forward(x): this.c_attn.forward(x).` },
  { code: "disposed", title: "A disposed tensor", test: /disposed/i, hint: `A tensor was used after being disposed. Dispose only tensors you created and no longer need, never x or a layer's weights; tf.tidy(() => …) does this for you.` },
  {
    code: "matmul-shapes",
    title: "Shapes that do not fit",
    test: (m) => /inner (?:shapes|dimensions)|must match|same rank|rank/i.test(m) && /matMul|matmul/i.test(m),
    hint: `The matrix product's shapes do not fit. A Linear's weight is [in, out]: use layer.forward(x), with no transpose.`,
  },
];

/** The first hint that fits `message`, step hints first. */
export function hintFor(message: string, stepHints: ErrorHint[], dims: Dims): { code: string; title: string; hint: string } | null {
  for (const h of [...stepHints, ...GENERIC_HINTS]) {
    if (!(typeof h.test === "function" ? h.test(message) : h.test.test(message))) continue;
    return { code: h.code, title: h.title, hint: typeof h.hint === "function" ? h.hint(message, dims) : h.hint };
  }
  return null;
}
