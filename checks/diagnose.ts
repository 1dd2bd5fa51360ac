// Naming a learner's mistake from the numbers.
//
// We do not guess: each output is compared with *candidate wrong answers* derived from the
// reference (Q, K and V in another order, without their bias, split along another axis, an
// interleaved or reshaped "split", the input itself, …). A candidate that matches to within the
// diagnosis tolerance names the mistake. Messages start with the mistake's name ("Wrong order:",
// "Missing bias:", …) and then say how to fix it.
import { closeTo } from "./compare";
import { shapeText } from "./outputs";
import type { Item, Returned } from "./outputs";

/** The reference numbers a diagnosis works from, for one input. */
export interface DiagnosisContext {
  B: number;
  T: number;
  C: number;
  nHead: number;
  x: ArrayLike<number>;
  /** Expected q, k, v, each [B, T, C] flattened. */
  q: ArrayLike<number>;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
  /** c_attn.bias, [3C]. */
  bias: ArrayLike<number>;
}

const NAMES = ["Q", "K", "V"] as const;
const SLOTS = ["q", "k", "v"] as const;

/** What one [B, T, C] output turned out to be. */
export interface SlotLabel {
  /** "Q", "K", "V", "x", "interleaved", "reshape", or "?" when nothing matched. */
  base: string;
  /** Which of Q/K/V (0, 1, 2) for base Q/K/V; the piece index for interleaved/reshape. */
  index: number;
  variant: "exact" | "no-bias" | "double-bias" | "softmax" | "scaled" | "none";
  alpha?: number;
  /** For a scale: what the factor is, such as "0.125 = 1/√64 (1/√head_dim)". */
  note?: string;
  /** Plain English: "K", "Q without its bias", "0.125 × V", "the input x" … */
  text: string;
}

class Candidates {
  private cache = new Map<string, Float64Array>();
  constructor(readonly ctx: DiagnosisContext) {}

  private memo(key: string, make: () => Float64Array): Float64Array {
    let v = this.cache.get(key);
    if (!v) {
      v = make();
      this.cache.set(key, v);
    }
    return v;
  }

  part(p: number): ArrayLike<number> {
    return [this.ctx.q, this.ctx.k, this.ctx.v][p];
  }

  /** c_attn's whole output, [B, T, 3C]. */
  full(): Float64Array {
    return this.memo("full", () => {
      const { B, T, C } = this.ctx;
      const out = new Float64Array(B * T * 3 * C);
      for (let r = 0; r < B * T; r++) for (let p = 0; p < 3; p++) for (let c = 0; c < C; c++) out[r * 3 * C + p * C + c] = this.part(p)[r * C + c];
      return out;
    });
  }

  /** Part p plus `times` × its bias (−1: without the bias; +1: the bias added twice). */
  biased(p: number, times: number): Float64Array {
    return this.memo(`bias${p}/${times}`, () => {
      const { B, T, C, bias } = this.ctx;
      const part = this.part(p);
      const out = new Float64Array(B * T * C);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < C; c++) out[r * C + c] = part[r * C + c] + times * bias[p * C + c];
      return out;
    });
  }

  fullNoBias(): Float64Array {
    return this.memo("fullNoBias", () => {
      const { C, bias } = this.ctx;
      const full = this.full();
      return full.map((y, i) => y - bias[i % (3 * C)]);
    });
  }

  softmax(p: number): Float64Array {
    return this.memo(`softmax${p}`, () => {
      const { B, T, C } = this.ctx;
      const part = this.part(p);
      const out = new Float64Array(B * T * C);
      for (let r = 0; r < B * T; r++) {
        let max = -Infinity;
        for (let c = 0; c < C; c++) max = Math.max(max, part[r * C + c]);
        let sum = 0;
        for (let c = 0; c < C; c++) sum += out[r * C + c] = Math.exp(part[r * C + c] - max);
        for (let c = 0; c < C; c++) out[r * C + c] /= sum;
      }
      return out;
    });
  }

  /** Piece i of c_attn's output taken every third column (a reshape to [B, T, C, 3]). */
  interleaved(i: number): Float64Array {
    return this.memo(`inter${i}`, () => {
      const { B, T, C } = this.ctx;
      const full = this.full();
      const out = new Float64Array(B * T * C);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < C; c++) out[r * C + c] = full[r * 3 * C + 3 * c + i];
      return out;
    });
  }

  /** Piece i of c_attn's output reshaped to [3, B, T, C]: the i-th third of its memory. */
  reshaped(i: number): Float64Array {
    return this.memo(`reshape${i}`, () => {
      const n = this.ctx.B * this.ctx.T * this.ctx.C;
      return this.full().slice(i * n, (i + 1) * n);
    });
  }

  /** c_attn's output split into 3 along axis 0 or 1: piece i, and its shape. */
  splitAlong(axis: 0 | 1, i: number): { shape: number[]; values: Float64Array } | null {
    const { B, T, C } = this.ctx;
    const dims = [B, T, 3 * C];
    if (dims[axis] % 3 !== 0) return null;
    const shape = [...dims];
    shape[axis] = dims[axis] / 3;
    const full = this.full();
    const out = new Float64Array(shape[0] * shape[1] * shape[2]);
    let o = 0;
    for (let b = 0; b < shape[0]; b++) {
      for (let t = 0; t < shape[1]; t++) {
        const sb = axis === 0 ? i * shape[0] + b : b;
        const st = axis === 1 ? i * shape[1] + t : t;
        const row = (sb * T + st) * 3 * C;
        for (let c = 0; c < 3 * C; c++) out[o++] = full[row + c];
      }
    }
    return { shape, values: out };
  }
}

/** Slot i holds exactly what it should (Q, K or V in order). */
function isRight(l: SlotLabel, i: number): boolean {
  return l.variant === "exact" && l.base === NAMES[i];
}

/** Least-squares α for out ≈ α·ref. */
function fitScale(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += out[i] * ref[i];
    den += ref[i] * ref[i];
  }
  return den === 0 ? NaN : num / den;
}

function scaleName(alpha: number, ctx: DiagnosisContext): string {
  const known: [number, string][] = [
    [1 / Math.sqrt(ctx.C / ctx.nHead), `1/√${ctx.C / ctx.nHead} = 1/√head_dim`],
    [1 / Math.sqrt(ctx.C), `1/√${ctx.C} = 1/√n_embd`],
    [Math.sqrt(ctx.C / ctx.nHead), `√${ctx.C / ctx.nHead}`],
    [Math.sqrt(ctx.C), `√${ctx.C}`],
    [-1, "−1"],
  ];
  const hit = known.find(([k]) => Math.abs(alpha - k) <= 1e-3 * Math.abs(k));
  return hit ? `${alpha.toPrecision(3)} = ${hit[1]}` : `${alpha.toPrecision(3)}`;
}

/** Name one [B, T, C] output by the candidate it matches. */
export function labelSlot(values: ArrayLike<number>, cands: Candidates): SlotLabel {
  const ctx = cands.ctx;
  for (let p = 0; p < 3; p++) if (closeTo(values, cands.part(p))) return { base: NAMES[p], index: p, variant: "exact", text: NAMES[p] };
  if (closeTo(values, ctx.x)) return { base: "x", index: -1, variant: "exact", text: "the input x" };
  for (let p = 0; p < 3; p++) {
    if (closeTo(values, cands.biased(p, -1))) return { base: NAMES[p], index: p, variant: "no-bias", text: `${NAMES[p]} without its bias` };
    if (closeTo(values, cands.biased(p, +1))) return { base: NAMES[p], index: p, variant: "double-bias", text: `${NAMES[p]} with its bias added twice` };
    if (closeTo(values, cands.softmax(p))) return { base: NAMES[p], index: p, variant: "softmax", text: `softmax(${NAMES[p]})` };
    const alpha = fitScale(values, cands.part(p));
    if (Number.isFinite(alpha) && Math.abs(alpha - 1) > 1e-3 && Math.abs(alpha) > 1e-6) {
      const ref = cands.part(p);
      const scaled = Float64Array.from({ length: ref.length }, (_, i) => alpha * ref[i]);
      if (closeTo(values, scaled)) return { base: NAMES[p], index: p, variant: "scaled", alpha, text: `${alpha.toPrecision(3)} × ${NAMES[p]}`, note: scaleName(alpha, ctx) };
    }
  }
  for (let i = 0; i < 3; i++) {
    if (closeTo(values, cands.interleaved(i))) return { base: "interleaved", index: i, variant: "exact", text: `every third value of c_attn's output, from ${i}` };
    if (closeTo(values, cands.reshaped(i))) return { base: "reshape", index: i, variant: "exact", text: `part ${i + 1} of c_attn's output reshaped to [3, B, T, C]` };
  }
  return { base: "?", index: -1, variant: "none", text: "none of the known answers" };
}

/** An output in a multi-head layout, rearranged to [B, T, C]; null if it is not one. */
function fromHeads(item: Item, ctx: DiagnosisContext): { values: Float64Array; layout: string } | null {
  const { B, T, C, nHead } = ctx;
  const hd = C / nHead;
  if (!item.values || !item.shape || item.shape.length !== 4) return null;
  const s = item.shape.join(",");
  if (s === [B, T, nHead, hd].join(",")) return { values: Float64Array.from(item.values), layout: `[B, T, n_head, head_dim] = ${shapeText(item.shape)}` };
  if (s === [B, nHead, T, hd].join(",")) {
    const out = new Float64Array(B * T * C);
    for (let b = 0; b < B; b++) for (let h = 0; h < nHead; h++) for (let t = 0; t < T; t++) for (let d = 0; d < hd; d++) {
      out[(b * T + t) * C + h * hd + d] = item.values[((b * nHead + h) * T + t) * hd + d];
    }
    return { values: out, layout: `[B, n_head, T, head_dim] = ${shapeText(item.shape)}` };
  }
  return null;
}

const FIX_SPLIT = "const qkv = this.c_attn.forward(x); return tf.split(qkv, 3, -1);";

function isBTC(item: Item, ctx: DiagnosisContext): boolean {
  return item.values !== null && item.shape !== null && item.shape.join(",") === [ctx.B, ctx.T, ctx.C].join(",");
}

/** Messages for a set of per-slot labels (three outputs that each have shape [B, T, C]). */
function explainLabels(labels: SlotLabel[], ctx: DiagnosisContext): string[] {
  const out: string[] = [];
  const listed = `[${labels.map((l) => l.text).join(", ")}]`;
  const exact = labels.every((l) => l.variant === "exact" && l.index >= 0 && NAMES.includes(l.base as never));
  if (exact && labels.length === 3) {
    const bases = labels.map((l) => l.base);
    if (new Set(bases).size === 1) {
      out.push(`Same tensor three times: you return [${bases.join(", ")}]. Return the three different pieces of c_attn's output: ${FIX_SPLIT}`);
    } else if (new Set(bases).size === 3) {
      out.push(
        `Wrong order: you return [${bases.join(", ")}] as [q, k, v]. c_attn's output is laid out [Q | K | V] along the last axis, ` +
          `so tf.split(qkv, 3, -1) gives q, k, v in that order: return them as [q, k, v].`,
      );
    } else {
      out.push(`Repeated output: you return [${bases.join(", ")}]; each of Q, K and V must appear once, in that order. ${FIX_SPLIT}`);
    }
    return out;
  }
  const variants = new Set(labels.map((l) => l.variant));
  const wrongOrder = labels.some((l, i) => NAMES.includes(l.base as never) && l.index !== i);
  const orderNote = wrongOrder ? ` They are also in the wrong order: you return ${listed}; return [q, k, v].` : "";
  if (labels.some((l) => l.base === "x")) {
    const slots = labels.map((l, i) => (l.base === "x" ? SLOTS[i] : null)).filter(Boolean);
    out.push(`Input returned: your ${slots.join(" and ")} ${slots.length > 1 ? "are" : "is"} the input x unchanged. Apply c_attn first: q, k and v are pieces of this.c_attn.forward(x), not x itself.`);
  }
  if (variants.has("no-bias")) {
    out.push(`Missing bias: your output is x · W without c_attn's bias (${listed}). GPT-2's c_attn adds a bias: call this.c_attn.forward(x), which adds it, and keep the Linear's bias (the default).${orderNote}`);
  }
  if (variants.has("double-bias")) {
    out.push(`Bias added twice: ${listed}. this.c_attn.forward(x) already adds the bias; do not add c_attn.bias again.${orderNote}`);
  }
  if (variants.has("softmax")) {
    out.push(`Softmax too early: ${listed}. Softmax belongs to the attention weights, after Q·Kᵀ, in a later step; this step returns the raw projections.${orderNote}`);
  }
  if (variants.has("scaled")) {
    const notes = labels.filter((l) => l.variant === "scaled").map((l) => l.note).join("; ");
    out.push(`Scaled too early: ${listed} (${notes}). The 1/√head_dim scale belongs to the attention scores Q·Kᵀ/√d, in a later step; this step returns Q, K and V unscaled.${orderNote}`);
  }
  if (labels.some((l) => l.base === "interleaved")) {
    out.push(
      `Interleaved split: your pieces take every third value of c_attn's output, as from a reshape to [B, T, ${ctx.C}, 3]. ` +
        `c_attn's output is three contiguous blocks [Q | K | V] of ${ctx.C} each: ${FIX_SPLIT}`,
    );
  }
  if (labels.some((l) => l.base === "reshape")) {
    out.push(
      `Reshape instead of split: your pieces are c_attn's output reshaped to [3, B, T, ${ctx.C}]. A reshape keeps memory order, ` +
        `so each piece mixes Q, K and V of different tokens. Split along the last axis instead: ${FIX_SPLIT}`,
    );
  }
  if (out.length === 0 && wrongOrder) out.push(`Wrong order: you return ${listed} as [q, k, v]; return [q, k, v] in that order.`);
  const unknown = labels.map((l, i) => (l.base === "?" ? SLOTS[i] : null)).filter(Boolean);
  if (unknown.length > 0) {
    out.push(
      `Unrecognised values: your ${unknown.join(", ")} match${unknown.length > 1 ? "" : "es"} none of the common mistakes this check knows. ` +
        `Check that forward applies this.c_attn to x (not a new Linear made inside forward) and splits its output into 3 along the last axis: ${FIX_SPLIT}`,
    );
  }
  return out;
}

/**
 * Explain why the outputs are not GPT-2's Q, K, V. Returns one message per mistake found
 * (most important first), or [] when the outputs are right.
 */
export function diagnose(returned: Returned, ctx: DiagnosisContext): string[] {
  const cands = new Candidates(ctx);
  const { B, T, C } = ctx;
  const items = returned.items;
  const withValues = items.filter((i) => i.values !== null);

  if (returned.container === "module") {
    return [`Returned the Linear: forward returns ${returned.description} instead of its output. Call it: ${FIX_SPLIT}`];
  }
  if (returned.container === "function") {
    return [`Returned a function: forward returns a function instead of tensors (a missing call "()"?). ${FIX_SPLIT}`];
  }
  if (returned.container === "nullish") {
    return [`Not implemented yet: forward returns ${returned.description}. It must return [q, k, v]: ${FIX_SPLIT}`];
  }

  // One tensor where three were expected (bare, or alone in an array).
  if (items.length === 1 && withValues.length === 1) {
    const item = items[0];
    const s = item.shape ? item.shape.join(",") : "";
    const vals = item.values as Float32Array;
    if (s === [B, T, 3 * C].join(",")) {
      if (closeTo(vals, cands.full())) {
        return [`No split: forward returns one tensor ${shapeText(item.shape!)}, c_attn's whole output. Split it into Q, K and V along the last axis: ${FIX_SPLIT}`];
      }
      if (closeTo(vals, cands.fullNoBias())) {
        return [`No split, and missing bias: forward returns x · W as one ${shapeText(item.shape!)} tensor, without c_attn's bias. ${FIX_SPLIT}`];
      }
    }
    if (s === [3, B, T, C].join(",")) {
      const labels = [0, 1, 2].map((p) => labelSlot(vals.subarray(p * B * T * C, (p + 1) * B * T * C), cands));
      const more = labels.every((l, i) => isRight(l, i)) ? [] : explainLabels(labels, ctx);
      return [`Stacked tensor: forward returns one tensor ${shapeText(item.shape!)} holding [${labels.map((l) => l.text).join(", ")}]. Return an array of three tensors instead: ${FIX_SPLIT}`, ...more];
    }
    if (s === [B, T, 3, C].join(",") && closeTo(vals, cands.full())) {
      return [`No split: forward returns one tensor ${shapeText(item.shape!)} (c_attn's output reshaped). Return three tensors: ${FIX_SPLIT}`];
    }
    if (isBTC(item, ctx)) {
      return [`Not three tensors: forward returns one tensor ${shapeText(item.shape!)} (it holds ${labelSlot(vals, cands).text}). Return all three, [q, k, v]: ${FIX_SPLIT}`];
    }
  }

  if (items.length !== 3) {
    const holds = items.map((it) => (isBTC(it, ctx) ? labelSlot(it.values!, cands).text : it.description));
    return [`Not three tensors: forward returns ${returned.description}${items.length ? ` ([${holds.join(", ")}])` : ""}; it must return exactly three, [q, k, v], each [${B}, ${T}, ${C}]. ${FIX_SPLIT}`];
  }

  // Three outputs. Pieces of a split along the wrong axis?
  for (const axis of [0, 1] as const) {
    const pieces = [0, 1, 2].map((i) => cands.splitAlong(axis, i));
    if (pieces.every((p, i) => p !== null && items[i].values !== null && items[i].shape?.join(",") === p.shape.join(",") && closeTo(items[i].values!, p.values))) {
      const what = axis === 0 ? "the batch" : "the sequence";
      return [
        `Split along the wrong axis: you split c_attn's output along axis ${axis} (${what}), giving pieces ${shapeText(pieces[0]!.shape)}. ` +
          `Q, K and V are the three blocks of the last axis (features, ${3 * C} = 3 × ${C}). Note that tf.split's default axis is 0: pass -1, as in ${FIX_SPLIT}`,
      ];
    }
  }

  // Three outputs in a multi-head layout?
  const heads = items.map((it) => fromHeads(it, ctx));
  if (heads.every((h) => h !== null)) {
    const labels = heads.map((h) => labelSlot(h!.values, cands));
    const more = labels.every((l, i) => isRight(l, i)) ? [] : explainLabels(labels, ctx);
    return [
      `Split into heads: your q, k, v have the multi-head layout ${heads[0]!.layout}. This step is the single-head projection: return each as [${B}, ${T}, ${C}]; splitting into heads comes later.`,
      ...more,
    ];
  }

  const wrongShape = items.map((it, i) => (isBTC(it, ctx) ? null : `${SLOTS[i]} is ${it.description}`)).filter(Boolean);
  if (wrongShape.length > 0) {
    return [`Wrong shape: ${wrongShape.join("; ")}. Each of q, k, v must be [${B}, ${T}, ${C}] = [batch, seq, n_embd]. ${FIX_SPLIT}`];
  }
  const labels = items.map((it) => labelSlot(it.values!, cands));
  if (labels.every((l, i) => isRight(l, i))) return [];
  return explainLabels(labels, ctx);
}

/** Hints for errors that forward or the constructor throw, keyed on tfjs's and Node's messages. */
export function hintForError(message: string): string {
  if (/not implemented/i.test(message)) {
    return `Not implemented yet: replace the \`throw new Error("not implemented yet")\` with your code.`;
  }
  if (/Must call super constructor/.test(message)) {
    return `Call super() first in your constructor, before using this.`;
  }
  if (/got undefined/.test(message)) {
    return `A value you passed is undefined: check the spelling of config fields (config.n_embd, config.n_head; not n_embed or hidden_size).`;
  }
  if (/Number of splits must evenly divide the axis/.test(message)) {
    return `Split along the wrong axis: tf.split(qkv, 3) splits axis 0, the batch, unless you pass an axis, and the batch cannot be cut in 3. Q, K and V are the blocks of the last axis: tf.split(qkv, 3, -1).`;
  }
  if (/sum of sizes must match the size of the axis/.test(message)) {
    return `Split along the wrong axis: sizes such as [${"768, 768, 768"}] must add up to the axis you split; without an axis tf.split uses axis 0, the batch. Pass the last axis: tf.split(qkv, [n_embd, n_embd, n_embd], -1).`;
  }
  const method = /\.(split|reshape|matMul|add|transpose|slice|mul|div|dot|unstack|squeeze|expandDims|concat)\s+is not a function/.exec(message);
  if (method) {
    return `This kit's tf has no chained tensor methods: write tf.${method[1]}(t, …) rather than t.${method[1]}(…). For example tf.split(qkv, 3, -1).`;
  }
  if (/Cannot read propert(?:y|ies) of (?:undefined|null) \(reading '(forward|weight|bias)'\)/.test(message)) {
    return `Something you call .forward/.weight/.bias on is undefined: is this.c_attn created in the constructor under exactly that name?`;
  }
  if (/is not a function/.test(message) && /forward/.test(message)) {
    return `Call the layer with .forward(x): this.c_attn.forward(x).`;
  }
  if (/disposed/i.test(message)) {
    return `A tensor was used after being disposed. Dispose only tensors you created and no longer need, never x or c_attn's weights; tf.tidy(() => …) does this for you.`;
  }
  if (/inner (?:shapes|dimensions)|must match|same rank|rank/i.test(message) && /matMul|matmul/i.test(message)) {
    return `The matrix product's shapes do not fit. c_attn.weight is [in, out] = [n_embd, 3 × n_embd]: use this.c_attn.forward(x), with no transpose.`;
  }
  return "";
}
