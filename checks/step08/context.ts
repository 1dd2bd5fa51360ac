// What the attention steps (08, 09) build their wrong answers from: q, k and v of the input, and
// the float64 attention pipeline run with any set of mistakes (engine/float64.ts: attentionF64);
// and the diagnosis both steps make with their tables of wrong answers.
import { shapeText } from "../../lib/shape";
import { closeTo, sameShape } from "../engine/compare";
import { attentionF64, linearF64, splitLast } from "../engine/float64";
import type { AttentionOptions } from "../engine/float64";
import { closingDiagnosis, findWrongAnswer } from "../engine/wrong-answers";
import type { WrongAnswer } from "../engine/wrong-answers";
import type { Diagnosis, Dims, Returned } from "../engine/types";

/** Where c_proj goes: after the merge (right), nowhere, on v before attention, on x before c_attn. */
export type ProjPlace = "after" | "none" | "before-v" | "before-x";

export interface Variant extends Partial<AttentionOptions> {
  proj?: ProjPlace;
}

export class AttentionContext {
  private cache = new Map<string, Float64Array>();
  constructor(
    readonly d: Dims,
    /** The head count of the right answer (1 in step 08). */
    readonly nHead: number,
    readonly x: ArrayLike<number>,
    readonly params: Record<string, Float32Array>,
    /** Does this step's layer end with c_proj? */
    readonly hasProj: boolean,
    /** The run this context is for: "reference", "fresh", or a probe's label. */
    readonly label: string,
  ) {}

  private memo(key: string, make: () => Float64Array): Float64Array {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = make()));
    return v;
  }

  private proj(y: ArrayLike<number>): Float64Array {
    const { B, T, C } = this.d;
    return linearF64(y, this.params["c_proj.weight"], this.params["c_proj.bias"], B * T, C, C);
  }

  private parts = new Map<string, Float64Array[]>();

  /** q, k, v of x (or of c_proj(x), for that mistake), [B, T, C] each. */
  qkv(of: "x" | "proj-x" = "x"): Float64Array[] {
    let parts = this.parts.get(of);
    if (!parts) {
      const { B, T, C } = this.d;
      const input = of === "x" ? this.x : this.proj(this.x);
      parts = splitLast(linearF64(input, this.params["c_attn.weight"], this.params["c_attn.bias"], B * T, C, 3 * C), B * T, 3, C);
      this.parts.set(of, parts);
    }
    return parts;
  }

  /** The layer's output [B, T, C] with the mistakes in `v` (none: the right answer). */
  output(v: Variant = {}): Float64Array {
    const key = JSON.stringify(v);
    return this.memo(`y/${key}`, () => {
      const { B, T, C } = this.d;
      const place: ProjPlace = v.proj ?? (this.hasProj ? "after" : "none");
      const [q, k, val] = this.qkv(place === "before-x" ? "proj-x" : "x");
      const values = place === "before-v" ? this.proj(val) : val;
      const { y } = attentionF64(q, k, values, B, T, C, { nHead: this.nHead, ...v });
      return place === "after" ? this.proj(y) : y;
    });
  }

  /** The attention weights [B, nh, T, T] of the right answer. */
  weights(): Float64Array {
    return this.memo("weights", () => {
      const { B, T, C } = this.d;
      const [q, k, v] = this.qkv();
      return attentionF64(q, k, v, B, T, C, { nHead: this.nHead }).weights;
    });
  }
}

/** A wrong answer for a table: the output [B, T, C] of the reference pipeline with the mistakes in `v`. */
export const y = (v: Variant) => (ctx: AttentionContext) => ({ shape: [ctx.d.B, ctx.d.T, ctx.d.C], values: ctx.output(v) });

/** What a step's diagnosis says, beyond what steps 08 and 09 share. */
export interface AttentionMistakes {
  table: WrongAnswer<AttentionContext>[];
  /** Tried when nothing in the table matched (step 09: a wrong head count). */
  extra?: (r: Returned, ctx: AttentionContext) => Diagnosis | null;
  /** The message when forward returns step 07's q, k and v. */
  returnedQkv: (ctx: AttentionContext) => string;
  /** Advice for values that no mistake explains. */
  advice: string;
  /** Said of subtracting each row's maximum, in the overflow message (step 08: " (it cancels out in the division)"). */
  overflowNote?: string;
}

/** Diagnoses for an attention step's output; [] when it is right. */
export function diagnoseAttention(r: Returned, ctx: AttentionContext, m: AttentionMistakes): Diagnosis[] {
  const { B, T, C } = ctx.d;
  // Step 07's output, q, k and v, returned as they come from c_attn.
  if (r.items.length === 3 && r.items.every((it, i) => sameShape(it, [B, T, C]) && closeTo(it.values!, ctx.qkv()[i]))) {
    return [{ code: "returned-qkv", title: "Step 07's output", detail: m.returnedQkv(ctx) }];
  }
  const found = findWrongAnswer(r, m.table, ctx) ?? m.extra?.(r, ctx) ?? null;
  if (found) return [found];
  if (r.items.length !== 1) return [];
  const closing = closingDiagnosis(r.items[0], ctx.output(), [B, T, C], m.advice);
  // NaN or infinite values on a large input: exp of a large score overflows float32.
  if (ctx.label === "large input" && closing[0]?.code === "not-finite") {
    return [
      {
        code: "softmax-overflow",
        title: "Softmax overflows",
        detail: `exp of a score above about 88.7 overflows float32 to Infinity, and Infinity / Infinity is NaN. Subtract each row's maximum before exp${m.overflowNote ?? ""}, or use tf.softmax, which does.`,
        fix: "const weights = tf.softmax(masked, -1);",
      },
    ];
  }
  return closing;
}
