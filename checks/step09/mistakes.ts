// Step 09's mistakes, named from the numbers: the float64 reference pipeline (step08/context.ts)
// with the heads split, scaled, merged or projected the way learners get it wrong.
import { shapeText } from "../../lib/shape";
import { closeTo, sameShape } from "../engine/compare";
import type { WrongAnswer } from "../engine/wrong-answers";
import type { Diagnosis, Returned } from "../engine/types";
import { diagnoseAttention, y } from "../step08/context";
import type { AttentionContext } from "../step08/context";
import { TABLE as STEP08 } from "../step08/mistakes";

const HEADS_FIX = "const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, nh, hs]), [0, 2, 1, 3]); // (B, nh, T, hs)";
const MERGE_FIX = "const merged = tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, T, C]); // (B, nh, T, hs) → (B, T, nh, hs) → (B, T, C)";
const PROJ_FIX = "return this.c_proj.forward(merged); // (B, T, C)";

/** Head counts a learner might use instead of the config's: every divisor of C but the right one. */
function otherHeadCounts(ctx: AttentionContext): number[] {
  const out: number[] = [];
  for (let n = 1; n <= 64; n++) if (ctx.d.C % n === 0 && n !== ctx.nHead) out.push(n);
  return out;
}

const STEP08_TOO = new Set(["no-mask", "mask-reversed", "mask-after-softmax", "mask-multiply", "softmax-axis", "k-dot-q", "mixes-q", "mixes-k", "no-scale"]);

export const TABLE: WrongAnswer<AttentionContext>[] = [
  {
    code: "split-no-transpose",
    title: "Heads made by a reshape alone",
    build: y({ split: "reshape" }),
    detail: (ctx) => `you reshape q, k and v from [B, T, C] straight to [B, nh, T, hs] = ${shapeText([ctx.d.B, ctx.nHead, ctx.d.T, ctx.d.C / ctx.nHead])}. A reshape keeps memory order, so each "head" then holds pieces of several tokens, mixed across positions. Reshape to [B, T, nh, hs] (each token's C values cut into nh pieces), then transpose to [B, nh, T, hs].`,
    fix: HEADS_FIX,
  },
  {
    code: "heads-interleaved",
    title: "Heads taken from the wrong axis",
    build: y({ split: "interleaved" }),
    detail: (ctx) => `head h takes every ${ctx.nHead}th column (h, h + ${ctx.nHead}, …), as from a reshape to [B, T, hs, nh]. GPT-2's head h is the block of hs = ${ctx.d.C / ctx.nHead} neighbouring columns h·hs … (h+1)·hs - 1: reshape to [B, T, nh, hs], with nh before hs.`,
    fix: HEADS_FIX,
  },
  {
    code: "merge-no-transpose",
    title: "Heads merged without the transpose back",
    build: y({ merge: "reshape" }),
    detail: () => `you reshape the heads' output [B, nh, T, hs] straight to [B, T, C], which interleaves tokens and heads. Transpose back to [B, T, nh, hs] first, so each token's nh pieces sit side by side, then reshape to [B, T, C].`,
    fix: MERGE_FIX,
  },
  {
    code: "scale-c",
    title: "Scaled by √C, not √hs",
    build: (ctx) => y({ scale: 1 / Math.sqrt(ctx.d.C) })(ctx),
    detail: (ctx) => `you divide the scores by √${ctx.d.C} = √C. Each head's dot product runs over its own hs = ${ctx.d.C / ctx.nHead} dimensions, so its scale is 1/√hs = 1/√${ctx.d.C / ctx.nHead}.`,
    fix: "const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)); // (B, nh, T, T)",
  },
  {
    code: "no-c-proj",
    title: "c_proj forgotten",
    build: y({ proj: "none" }),
    detail: () => `your output is the merged heads, without c_proj. The heads work apart; c_proj (C → C) is the one place where what they found is mixed together, and GPT-2's checkpoint has weights for it.`,
    fix: PROJ_FIX,
  },
  {
    code: "c-proj-early",
    title: "c_proj in the wrong place",
    build: y({ proj: "before-v" }),
    detail: () => `you apply c_proj to v before attention. It belongs at the end, to the merged heads: the output of attention, [B, T, C].`,
    fix: PROJ_FIX,
  },
  {
    code: "c-proj-early",
    title: "c_proj in the wrong place",
    build: y({ proj: "before-x" }),
    detail: () => `you apply c_proj to x before c_attn. It belongs at the end, to the merged heads: the output of attention, [B, T, C].`,
    fix: PROJ_FIX,
  },
  // The one-head mistakes of step 08, here per head.
  ...STEP08.filter((m) => STEP08_TOO.has(m.code)),
];

/** A wrong head count: built lazily, one entry per candidate, after the cheaper mistakes. */
function wrongHeadCount(r: Returned, ctx: AttentionContext): Diagnosis | null {
  const item = r.items[0];
  if (!item || !sameShape(item, [ctx.d.B, ctx.d.T, ctx.d.C])) return null;
  for (const n of otherHeadCounts(ctx)) {
    if (closeTo(item.values!, ctx.output({ nHead: n }))) {
      return {
        code: "wrong-n-head",
        title: "The wrong number of heads",
        detail: `your output is attention with ${n} head${n > 1 ? "s" : ""} of ${ctx.d.C / n}. GPT-2 small has config.n_head = ${ctx.nHead} heads of hs = ${ctx.d.C / ctx.nHead}: take the count from the config, not a literal.`,
        fix: "const nh = this.n_head, hs = C / nh; // n_head from the config, kept in the constructor",
      };
    }
  }
  return null;
}

/** Diagnoses for step 09's output; [] when it is right. */
export function diagnose(r: Returned, ctx: AttentionContext): Diagnosis[] {
  return diagnoseAttention(r, ctx, {
    table: TABLE,
    extra: wrongHeadCount,
    returnedQkv: ({ d }) => `forward returns q, k and v. Go on: split them into heads, attend, merge the heads and apply c_proj, one tensor ${shapeText([d.B, d.T, d.C])}.`,
    advice: "Check each stage against the lesson: c_attn, the split into heads, scores per head q·kᵀ/√hs with the causal mask, softmax, weights · v, the merge, c_proj.",
  });
}

export const MISTAKE_CODES = ["returned-qkv", ...new Set(TABLE.map((m) => m.code)), "wrong-n-head", "softmax-overflow", "precision-lost", "unrecognised"];
