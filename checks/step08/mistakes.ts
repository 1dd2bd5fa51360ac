// Step 08's mistakes, named from the numbers: each is the float64 reference pipeline with one
// thing done the way learners get it wrong (context.ts, engine/float64.ts: attentionF64).
import { shapeText } from "../../lib/shape";
import type { WrongAnswer } from "../engine/wrong-answers";
import type { Diagnosis, Returned } from "../engine/types";
import { diagnoseAttention, y } from "./context";
import type { AttentionContext } from "./context";

const SCORES_FIX = "const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(C)); // (B, T, T)";

/** What the scores are divided by, in words and in code: √C for one head (step 08), √hs per head (09). */
const width = (ctx: AttentionContext) => (ctx.nHead === 1 ? { name: "C", n: ctx.d.C } : { name: "hs", n: ctx.d.C / ctx.nHead });
const scoresFix = (ctx: AttentionContext): string =>
  ctx.nHead === 1 ? SCORES_FIX : "const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)); // (B, nh, T, T)";
const MASK_FIX = "const masked = tf.add(scores, mask); // mask: 0 on and below the diagonal, -Infinity above";

export const TABLE: WrongAnswer<AttentionContext>[] = [
  {
    code: "weights-returned",
    title: "The weights, not their mix",
    build: (ctx) => ({ shape: [ctx.d.B, ctx.d.T, ctx.d.T], values: ctx.weights() }),
    detail: (ctx) => `forward returns the attention weights ${shapeText([ctx.d.B, ctx.d.T, ctx.d.T])}, softmax of the masked scores. Those say how much each token takes from each earlier one; the output is that mix of the values: weights · v, ${shapeText([ctx.d.B, ctx.d.T, ctx.d.C])}.`,
    fix: "return tf.matMul(weights, v); // (B, T, T) · (B, T, C) → (B, T, C)",
  },
  {
    code: "no-scale",
    title: "No scaling",
    build: y({ scale: 1 }),
    detail: (ctx) => {
      const w = width(ctx);
      return `your scores are q·kᵀ, not q·kᵀ/√${w.name} = q·kᵀ/√${w.n}. A dot product of two ${w.n}-wide vectors has about ${w.n} times the variance of one product, so unscaled scores are large, the softmax puts nearly all weight on one token, and learning stalls. Divide by √${w.name}.`;
    },
    fix: scoresFix,
  },
  {
    code: "wrong-scale",
    title: "The scale of a 64-wide head",
    build: y({ scale: 1 / 8 }),
    detail: (ctx) => `you divide the scores by √64 = 8, the scale of one of GPT-2's 12 heads (step 09). This step's single head is C = ${ctx.d.C} wide, so divide by √${ctx.d.C}: the scale follows the width of the vectors in the dot product.`,
    fix: SCORES_FIX,
  },
  {
    code: "wrong-scale",
    title: "Divided by C, not √C",
    build: (ctx) => y({ scale: 1 / ctx.d.C })(ctx),
    detail: (ctx) => `you divide the scores by C = ${ctx.d.C}. The spread of a dot product grows with √C, not C: divide by Math.sqrt(${ctx.d.C}).`,
    fix: SCORES_FIX,
  },
  {
    code: "wrong-scale",
    title: "Multiplied by √C",
    build: (ctx) => y({ scale: Math.sqrt(ctx.d.C) })(ctx),
    detail: (ctx) => `you multiply the scores by √${ctx.d.C} instead of dividing by it.`,
    fix: SCORES_FIX,
  },
  {
    code: "no-mask",
    title: "No mask",
    build: y({ mask: "none" }),
    detail: () => `every token takes in every token, later ones too. GPT-2 predicts each next token from the ones before it, so position t may only look at positions 0 … t: add -Infinity to the scores above the diagonal before the softmax.`,
    fix: MASK_FIX,
  },
  {
    code: "mask-reversed",
    title: "The mask the wrong way round",
    build: y({ mask: "reversed" }),
    detail: () => `each token sees itself and the tokens *after* it, and not the ones before. Position t looks at 0 … t: the masked (-Infinity) part is above the diagonal, where the key comes later than the query. Check which triangle your mask fills.`,
    fix: MASK_FIX,
  },
  {
    code: "mask-after-softmax",
    title: "Mask after the softmax",
    build: y({ mask: "after-softmax" }),
    detail: () => `you zero the future weights after the softmax, so each row's weights no longer add up to 1 (the future's share is just dropped). Mask the scores before the softmax, with -Infinity: softmax then gives the future exactly 0 and shares the whole weight among the visible tokens.`,
    fix: MASK_FIX,
  },
  {
    code: "mask-multiply",
    title: "Masking by multiplying with 0",
    build: y({ mask: "multiply" }),
    detail: () => `you multiply the future scores by 0. A score of 0 is not "no attention": exp(0) = 1, so the future still gets weight. Add -Infinity (or a large negative number) to the future scores before the softmax, so that exp gives 0.`,
    fix: MASK_FIX,
  },
  {
    code: "softmax-axis",
    title: "Softmax over the wrong axis",
    build: y({ softmaxOver: "queries" }),
    detail: () => `your softmax runs down each column (over the queries). Each query's row of scores must become weights that add up to 1: softmax over the last axis, the keys.`,
    fix: "const weights = tf.softmax(masked, -1); // over the keys",
  },
  {
    code: "k-dot-q",
    title: "k · qᵀ, not q · kᵀ",
    build: y({ swapQK: true }),
    detail: () => `your scores are k·qᵀ: row t holds how well token t's *key* matches each query. Scores are q·kᵀ: row t is token t's query against every key, so that masking row t's later columns hides the future from token t.`,
    fix: scoresFix,
  },
  {
    code: "mixes-q",
    title: "Mixing q, not v",
    build: y({ mix: "q" }),
    detail: () => `your output mixes the queries with the weights. Queries and keys decide who is picked; the values are what gets mixed: weights · v.`,
    fix: "return tf.matMul(weights, v);",
  },
  {
    code: "mixes-k",
    title: "Mixing k, not v",
    build: y({ mix: "k" }),
    detail: () => `your output mixes the keys with the weights. Keys decide who is picked; the values are what gets mixed: weights · v.`,
    fix: "return tf.matMul(weights, v);",
  },
];

/** Diagnoses for step 08's output; [] when it is right. */
export function diagnose(r: Returned, ctx: AttentionContext): Diagnosis[] {
  return diagnoseAttention(r, ctx, {
    table: TABLE,
    returnedQkv: ({ d }) => `forward returns q, k and v, the projections of step 07. This step goes on: scores q·kᵀ/√C, the causal mask, softmax, and the weights' mix of v, one tensor ${shapeText([d.B, d.T, d.C])}.`,
    advice: "Check each stage against the lesson: scores q·kᵀ/√C, mask with -Infinity above the diagonal, softmax over the last axis, then weights · v.",
    overflowNote: " (it cancels out in the division)",
  });
}

export const MISTAKE_CODES = ["returned-qkv", ...new Set(TABLE.map((m) => m.code)), "softmax-overflow", "precision-lost", "unrecognised"];
