// Naming a mistake by matching the output against wrong answers built from the reference: the
// table form for steps whose forward returns one tensor (08, 09). Each entry builds the output
// the mistake would produce; the first one the learner's output matches names the mistake.
import { shapeText } from "../../lib/shape";
import { closeTo, compare, nearlyEqual, sameShape } from "./compare";
import type { Diagnosis, Item, Returned } from "./types";

export interface WrongAnswer<Ctx> {
  code: string;
  title: string;
  /** The output this mistake produces, built from the reference; null where it does not apply. */
  build(ctx: Ctx): { shape: number[]; values: ArrayLike<number> } | null;
  /** The rest of the message: what was seen, why it is wrong. */
  detail(ctx: Ctx): string;
  fix?: string | ((ctx: Ctx) => string);
}

function matches(item: Item, wrong: { shape: number[]; values: ArrayLike<number> }): boolean {
  return sameShape(item, wrong.shape) && closeTo(item.values!, wrong.values);
}

/** The first mistake in `table` that the returned tensor shows, or null. */
export function findWrongAnswer<Ctx>(r: Returned, table: WrongAnswer<Ctx>[], ctx: Ctx): Diagnosis | null {
  if (r.items.length !== 1) return null;
  for (const m of table) {
    const wrong = m.build(ctx);
    if (!wrong || !matches(r.items[0], wrong)) continue;
    const fix = typeof m.fix === "function" ? m.fix(ctx) : m.fix;
    return { code: m.code, title: m.title, detail: m.detail(ctx), ...(fix ? { fix } : {}) };
  }
  return null;
}

/**
 * When no mistake matched: right but imprecise ("precision lost"), numbers that are not finite,
 * or values none of the mistakes explain ("unrecognised"). [] when the output is right.
 */
export function closingDiagnosis(item: Item, expected: ArrayLike<number>, shape: number[], unrecognisedAdvice: string): Diagnosis[] {
  if (!sameShape(item, shape)) {
    return [{ code: "wrong-shape", title: "Wrong shape", detail: `forward returns ${item.description}; it must be ${shapeText(shape)}.` }];
  }
  const values = item.values!;
  const c = compare(values, expected);
  if (c.ok) return [];
  let finite = true;
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) finite = false;
  if (!finite) {
    return [{ code: "not-finite", title: "NaN or infinite values", detail: `your output holds NaN or ±Infinity where every expected value is finite. ${unrecognisedAdvice}` }];
  }
  if (nearlyEqual(values, expected)) {
    return [
      {
        code: "precision-lost",
        title: "Precision lost",
        detail: `your output is within 1% of the right values but not within the tolerance (max diff ${c.maxDiff.toPrecision(2)}). Something rounds it: a cast to int32, tf.round, values read back with toFixed. Keep everything in float32.`,
      },
    ];
  }
  return [{ code: "unrecognised", title: "Unrecognised values", detail: `your output matches none of the mistakes this check knows. ${unrecognisedAdvice}` }];
}
