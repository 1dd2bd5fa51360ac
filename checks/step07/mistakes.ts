// Step 07's mistakes, named from the numbers.
//
// We do not guess: each output is compared with *wrong answers built from the reference* (Q, K
// and V in another order, without their bias, split along another axis, an interleaved or
// reshaped "split", the input itself, ...). A wrong answer that matches to within the diagnosis
// tolerance names the mistake. Two tables:
// - WHOLE: mistakes in what forward returns as a whole (one tensor, a split along the wrong
//   axis, 768 pieces, a multi-head layout). Tried in order; the first that matches is the answer.
// - SLOT: what one [B, T, C] output holds when the shapes are right (K in q's place, Q without
//   its bias, softmax(Q)). Each of q, k, v gets a label; the labels together name the mistakes.
import { shapeText } from "../../lib/shape";
import { closeTo, compare, nearlyEqual, sameShape } from "../engine/compare";
import { fromHeads as mergeHeads, linearF64, normalizeRows, softmaxRows, splitLast } from "../engine/float64";
import type { Diagnosis, Dims, Item, Returned } from "../engine/types";

const FIX = "return tf.split(this.c_attn.forward(x), 3, -1);";
const NAMES = ["Q", "K", "V"] as const;
const SLOTS = ["q", "k", "v"] as const;

/** Wrong answers, built from the reference on demand and kept. */
export class QKVContext {
  private cache = new Map<string, Float64Array>();
  private thirds = new Map<string, Float64Array[]>();
  constructor(
    readonly d: Dims,
    readonly nHead: number,
    readonly eps: number,
    readonly x: ArrayLike<number>,
    readonly parts: ArrayLike<number>[],
    readonly weight: ArrayLike<number>,
    readonly bias: ArrayLike<number>,
  ) {}

  private memo(key: string, make: () => Float64Array): Float64Array {
    let v = this.cache.get(key);
    if (!v) this.cache.set(key, (v = make()));
    return v;
  }

  part(p: number): ArrayLike<number> {
    return this.parts[p];
  }

  /** c_attn's whole output, [B, T, 3C]. */
  full(): Float64Array {
    return this.memo("full", () => {
      const { B, T, C } = this.d;
      const out = new Float64Array(B * T * 3 * C);
      for (let r = 0; r < B * T; r++) for (let p = 0; p < 3; p++) for (let c = 0; c < C; c++) out[r * 3 * C + p * C + c] = this.parts[p][r * C + c];
      return out;
    });
  }

  fullNoBias(): Float64Array {
    return this.memo("fullNoBias", () => this.full().map((y, i) => y - this.bias[i % (3 * this.d.C)]));
  }

  /** Part p of the [B, T, 3C] array that `make` builds (built and cut in three once, under `key`). */
  private third(key: string, p: number, make: () => ArrayLike<number>): Float64Array {
    let parts = this.thirds.get(key);
    if (!parts) {
      const { B, T, C } = this.d;
      this.thirds.set(key, (parts = splitLast(make(), B * T, 3, C)));
    }
    return parts[p];
  }

  /** Part p plus `times` × its bias (−1: without the bias; +1: the bias added twice). */
  biased(p: number, times: number): Float64Array {
    return this.memo(`bias${p}/${times}`, () => {
      const { C } = this.d;
      return Float64Array.from(this.parts[p], (v, i) => v + times * this.bias[p * C + (i % C)]);
    });
  }

  /** softmax over each token's C values of part p. */
  softmax(p: number): Float64Array {
    return this.memo(`softmax${p}`, () => softmaxRows(this.parts[p], this.d.B * this.d.T, this.d.C));
  }

  /** softmax over each token's whole 3C row, then part p. */
  softmaxAll(p: number): Float64Array {
    return this.third("softmaxAll", p, () => softmaxRows(this.full(), this.d.B * this.d.T, 3 * this.d.C));
  }

  /** Piece i of c_attn's output taken every third column (a reshape to [B, T, C, 3]). */
  interleaved(i: number): Float64Array {
    return this.memo(`inter${i}`, () => {
      const { B, T, C } = this.d;
      const full = this.full();
      const out = new Float64Array(B * T * C);
      for (let r = 0; r < B * T; r++) for (let c = 0; c < C; c++) out[r * C + c] = full[r * 3 * C + 3 * c + i];
      return out;
    });
  }

  /** Piece i of c_attn's output reshaped to [3, B, T, C]: the i-th third of its memory. */
  reshaped(i: number): Float64Array {
    return this.memo(`reshape${i}`, () => {
      const n = this.d.B * this.d.T * this.d.C;
      return this.full().slice(i * n, (i + 1) * n);
    });
  }

  /** Part p of c_attn applied to LayerNorm(x) (unit weight, zero bias): ln_1 done here too. */
  layerNormFirst(p: number): Float64Array {
    const { B, T, C } = this.d;
    return this.third("layerNormFirst", p, () => linearF64(normalizeRows(this.x, B * T, C, this.eps), this.weight, this.bias, B * T, C, 3 * C));
  }

  /** Part p of x · Wᵀ + b where W is c_attn.weight reshaped to [3C, C], as if it were PyTorch's nn.Linear layout. */
  torchLayout(p: number): Float64Array {
    return this.third("torchLayout", p, () => {
      // W' = reshape(W, [3C, C]); y = x · W'ᵀ + b, so y[r, j] = b[j] + Σ_i x[r, i] · W'[j, i].
      const { B, T, C } = this.d;
      const rows = B * T;
      const y = new Float64Array(rows * 3 * C);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < 3 * C; j++) {
          let acc = this.bias[j];
          for (let i = 0; i < C; i++) acc += this.x[r * C + i] * this.weight[j * C + i];
          y[r * 3 * C + j] = acc;
        }
      }
      return y;
    });
  }

  /** c_attn's output split into 3 along axis 0 or 1: piece i, and its shape. */
  splitAlong(axis: 0 | 1, i: number): { shape: number[]; values: Float64Array } | null {
    const { B, T, C } = this.d;
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
        for (let c = 0; c < 3 * C; c++) out[o++] = full[(sb * T + st) * 3 * C + c];
      }
    }
    return { shape, values: out };
  }
}

// ---- What one [B, T, C] output holds ----------------------------------------------------------

type SlotCode = "exact" | "input" | "no-bias" | "double-bias" | "softmax" | "softmax-all" | "scaled" | "interleaved" | "reshape" | "layernorm-first" | "torch-layout" | "unknown";

interface SlotLabel {
  code: SlotCode;
  /** Which of Q, K, V (0, 1, 2), or which piece for interleaved/reshape; -1 when neither. */
  index: number;
  /** Plain English: "K", "Q without its bias", "0.125 × V", "the input x". */
  text: string;
  /** For a scale: the factor, named when it is a known one ("0.125 = 1/√64 = 1/√head_dim"). */
  note?: string;
}

/** One row of the slot table: a wrong answer built from part p (or piece p), and how to say it. */
interface SlotMistake {
  code: SlotCode;
  build(ctx: QKVContext, p: number): ArrayLike<number> | null;
  text(p: number): string;
}

// Cheap candidates first; the last two need another 768 × 2304 product each, built only when
// nothing cheaper matched.
const SLOT_TABLE: SlotMistake[] = [
  { code: "exact", build: (c, p) => c.part(p), text: (p) => NAMES[p] },
  { code: "input", build: (c, p) => (p === 0 ? c.x : null), text: () => "the input x" },
  { code: "no-bias", build: (c, p) => c.biased(p, -1), text: (p) => `${NAMES[p]} without its bias` },
  { code: "double-bias", build: (c, p) => c.biased(p, +1), text: (p) => `${NAMES[p]} with its bias added twice` },
  { code: "softmax", build: (c, p) => c.softmax(p), text: (p) => `softmax(${NAMES[p]})` },
  { code: "softmax-all", build: (c, p) => c.softmaxAll(p), text: (p) => `part ${p + 1} of softmax(qkv)` },
  { code: "interleaved", build: (c, i) => c.interleaved(i), text: (i) => `every third value of c_attn's output, from ${i}` },
  { code: "reshape", build: (c, i) => c.reshaped(i), text: (i) => `part ${i + 1} of c_attn's output reshaped to [3, B, T, C]` },
  { code: "layernorm-first", build: (c, p) => c.layerNormFirst(p), text: (p) => `${NAMES[p]} of LayerNorm(x)` },
  { code: "torch-layout", build: (c, p) => c.torchLayout(p), text: (p) => `${NAMES[p]} with W read as [out, in]` },
];

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

function scaleName(alpha: number, ctx: QKVContext): string {
  const hs = ctx.d.C / ctx.nHead;
  const known: [number, string][] = [
    [1 / Math.sqrt(hs), `1/√${hs} = 1/√head_dim`],
    [1 / Math.sqrt(ctx.d.C), `1/√${ctx.d.C} = 1/√n_embd`],
    [Math.sqrt(hs), `√${hs}`],
    [Math.sqrt(ctx.d.C), `√${ctx.d.C}`],
    [-1, "−1"],
  ];
  const hit = known.find(([k]) => Math.abs(alpha - k) <= 1e-3 * Math.abs(k));
  return hit ? `${alpha.toPrecision(3)} = ${hit[1]}` : alpha.toPrecision(3);
}

/** Name one [B, T, C] output by the wrong answer it matches. */
function labelSlot(values: ArrayLike<number>, ctx: QKVContext): SlotLabel {
  for (const m of SLOT_TABLE) {
    for (let p = 0; p < 3; p++) {
      const wrong = m.build(ctx, p);
      if (wrong && closeTo(values, wrong)) return { code: m.code, index: m.code === "input" ? -1 : p, text: m.text(p) };
    }
    if (m.code === "softmax") {
      // After the cheap ones: a scaled Q, K or V (1/√64 applied here instead of to the scores).
      for (let p = 0; p < 3; p++) {
        const alpha = fitScale(values, ctx.part(p));
        if (!Number.isFinite(alpha) || Math.abs(alpha - 1) <= 1e-3 || Math.abs(alpha) <= 1e-6) continue;
        const ref = ctx.part(p);
        if (closeTo(values, Float64Array.from({ length: ref.length }, (_, i) => alpha * ref[i]))) {
          return { code: "scaled", index: p, text: `${alpha.toPrecision(3)} × ${NAMES[p]}`, note: scaleName(alpha, ctx) };
        }
      }
    }
  }
  return { code: "unknown", index: -1, text: "none of the known answers" };
}

const d = (code: string, title: string, detail: string, fix: string | undefined = FIX): Diagnosis => (fix ? { code, title, detail, fix } : { code, title, detail });

/** Diagnoses for three [B, T, C] outputs, from their labels. */
function explainLabels(labels: SlotLabel[], items: Item[], ctx: QKVContext): Diagnosis[] {
  const out: Diagnosis[] = [];
  const listed = `[${labels.map((l) => l.text).join(", ")}]`;
  if (labels.every((l) => l.code === "exact")) {
    const bases = labels.map((l) => NAMES[l.index]);
    if (labels.every((l, i) => l.index === i)) {
      // Right to the diagnosis tolerance, yet a figure failed: right, but rounded somewhere.
      return precisionLost(items, ctx, [0, 1, 2]);
    }
    if (new Set(bases).size === 1) return [d("same-tensor", "Same tensor three times", `you return [${bases.join(", ")}]. Return the three different pieces of c_attn's output.`)];
    if (new Set(bases).size === 3) {
      return [d("wrong-order", "Wrong order", `you return [${bases.join(", ")}] as [q, k, v]. c_attn's output is laid out [Q | K | V] along the last axis, so tf.split(qkv, 3, -1) gives q, k, v in that order: return them as [q, k, v].`, "return [q, k, v];")];
    }
    return [d("repeated-output", "Repeated output", `you return [${bases.join(", ")}]; each of Q, K and V must appear once, in that order.`)];
  }
  const has = (code: SlotCode): boolean => labels.some((l) => l.code === code);
  const wrongOrder = labels.some((l, i) => l.index >= 0 && !["interleaved", "reshape"].includes(l.code) && l.index !== i);
  const orderNote = wrongOrder ? ` They are also in the wrong order: you return ${listed}; return [q, k, v].` : "";
  if (has("input")) {
    const slots = labels.map((l, i) => (l.code === "input" ? SLOTS[i] : "")).filter(Boolean);
    out.push(d("input-returned", "Input returned", `your ${slots.join(" and ")} ${slots.length > 1 ? "are" : "is"} the input x unchanged. Apply c_attn first: q, k and v are pieces of this.c_attn.forward(x), not x itself.`));
  }
  if (has("no-bias")) out.push(d("missing-bias", "Missing bias", `your output is x · W without c_attn's bias (${listed}). GPT-2's c_attn adds a bias: call this.c_attn.forward(x), which adds it, and keep the Linear's bias (the default).${orderNote}`));
  if (has("double-bias")) out.push(d("double-bias", "Bias added twice", `${listed}. this.c_attn.forward(x) already adds the bias; do not add c_attn.bias again.${orderNote}`));
  if (has("softmax")) out.push(d("softmax-early", "Softmax too early", `${listed}. Softmax belongs to the attention weights, after Q·Kᵀ, in step 08; this step returns the raw projections.${orderNote}`));
  if (has("softmax-all")) out.push(d("softmax-all", "Softmax over all 2304 values", `your q, k, v are pieces of softmax(qkv), taken over each token's whole ${3 * ctx.d.C} values before the split. No softmax belongs in this step (attention's softmax, in step 08, runs over the scores of each query), so split c_attn's output as it is.`));
  if (has("scaled")) {
    const notes = labels.filter((l) => l.code === "scaled").map((l) => l.note).join("; ");
    out.push(d("scaled-early", "Scaled too early", `${listed} (${notes}). The 1/√head_dim scale belongs to the attention scores Q·Kᵀ/√d, in step 08; this step returns Q, K and V unscaled.${orderNote}`));
  }
  if (has("interleaved")) out.push(d("interleaved", "Interleaved split", `your pieces take every third value of c_attn's output, as from a reshape to [B, T, ${ctx.d.C}, 3]. c_attn's output is three contiguous blocks [Q | K | V] of ${ctx.d.C} each.`));
  if (has("reshape")) out.push(d("reshape-not-split", "Reshape instead of split", `your pieces are c_attn's output reshaped to [3, B, T, ${ctx.d.C}]. A reshape keeps memory order, so each piece mixes Q, K and V of different tokens. Split along the last axis instead.`));
  if (has("layernorm-first")) out.push(d("layernorm-first", "LayerNorm applied here", `your q, k, v are c_attn(LayerNorm(x)). In GPT-2 the block applies ln_1 before it calls attention, so the input x of this layer is already normalized: project x as it is.`));
  if (has("torch-layout")) out.push(d("torch-layout", "Weight read as [out, in]", `your q, k, v come from c_attn.weight reshaped to [${3 * ctx.d.C}, ${ctx.d.C}] and transposed, as if it were PyTorch's nn.Linear weight. This kit's Linear stores [in, out] = [${ctx.d.C}, ${3 * ctx.d.C}], the layout of GPT-2's Conv1D: multiply by it as it is, or call this.c_attn.forward(x).`));
  if (out.length === 0 && wrongOrder) out.push(d("wrong-order", "Wrong order", `you return ${listed} as [q, k, v]; return [q, k, v] in that order.`, "return [q, k, v];"));
  const unknown = labels.map((l, i) => (l.code === "unknown" ? i : -1)).filter((i) => i >= 0);
  if (unknown.length > 0) {
    const close = unknown.filter((i) => items[i].values && nearlyEqual(items[i].values!, ctx.part(i)));
    if (close.length === unknown.length) return [...out, ...precisionLost(items, ctx, close)];
    const names = unknown.map((i) => SLOTS[i]);
    out.push(
      d(
        "unrecognised",
        "Unrecognised values",
        `your ${names.join(", ")} match${names.length > 1 ? "" : "es"} none of the mistakes this check knows. Check that forward applies this.c_attn to x (not a new Linear made inside forward) and splits its output into 3 along the last axis.`,
      ),
    );
  }
  return out;
}

function precisionLost(items: Item[], ctx: QKVContext, slots: number[]): Diagnosis[] {
  const cs = slots.map((i) => compare(items[i].values!, ctx.part(i)));
  if (cs.every((c) => c.ok)) return [];
  let worst = 0;
  for (const c of cs) worst = Math.max(worst, c.maxDiff);
  return [
    d(
      "precision-lost",
      "Precision lost",
      `your ${slots.map((i) => SLOTS[i]).join(", ")} are within 1% of the right values but not within the tolerance (max diff ${worst.toPrecision(2)}). Something rounds them: a cast to int32, tf.round, values read back with toFixed, or a lower precision such as float16. Keep everything in float32.`,
      undefined,
    ),
  ];
}

/** An output in a multi-head layout, rearranged to [B, T, C]; null if it is not one. */
function fromHeads(item: Item, ctx: QKVContext): { values: Float64Array; layout: string } | null {
  const { B, T, C } = ctx.d;
  const nh = ctx.nHead;
  const hd = C / nh;
  if (!item.values || !item.shape || item.shape.length !== 4) return null;
  const s = item.shape.join(",");
  if (s === [B, T, nh, hd].join(",")) return { values: Float64Array.from(item.values), layout: `[B, T, n_head, head_dim] = ${shapeText(item.shape)}` };
  if (s === [B, nh, T, hd].join(",")) return { values: mergeHeads(item.values, B, T, nh, hd, "transpose"), layout: `[B, n_head, T, head_dim] = ${shapeText(item.shape)}` };
  return null;
}

/** [T, B, C] → [B, T, C]: undo a swap of the batch and sequence axes. */
function unswap(values: ArrayLike<number>, d: Dims): Float64Array {
  const { B, T, C } = d;
  const out = new Float64Array(B * T * C);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out[(b * T + t) * C + c] = values[(t * B + b) * C + c];
  return out;
}

// ---- What forward returns as a whole ----------------------------------------------------------

/** One row of the whole-output table: does forward's return show this mistake? */
interface WholeMistake {
  code: string;
  title: string;
  /** The diagnoses when forward's return shows the mistake, or null when it does not. */
  find(r: Returned, ctx: QKVContext): Diagnosis[] | null;
}

const SCORES_NOTE = "that looks like attention scores Q·Kᵀ, which come in step 08. This step returns Q, K and V themselves, each [B, T, C]";

export const WHOLE_TABLE: WholeMistake[] = [
  {
    code: "returned-linear",
    title: "Returned the Linear",
    find: (r) => (r.container === "module" ? [d("returned-linear", "Returned the Linear", `forward returns ${r.description} instead of its output. Call it: this.c_attn.forward(x), then split.`)] : null),
  },
  {
    code: "returned-function",
    title: "Returned a function",
    find: (r) => (r.container === "function" ? [d("returned-function", "Returned a function", `forward returns a function instead of tensors (a missing call "()"?).`)] : null),
  },
  {
    code: "not-implemented",
    title: "Not implemented yet",
    find: (r) => (r.container === "nullish" ? [d("not-implemented", "Not implemented yet", `forward returns ${r.description}. It must return [q, k, v].`)] : null),
  },
  {
    code: "count-vs-size",
    title: "Count versus size",
    find: (r, ctx) => {
      const { B, T, C } = ctx.d;
      const n = r.items.length;
      if (n <= 3 || !r.items.every((it) => it.shape && it.shape.length === 3 && it.shape[0] === B && it.shape[1] === T && it.shape[2] * n === 3 * C)) return null;
      const w = (3 * C) / n;
      return [
        d(
          "count-vs-size",
          "Count versus size",
          `forward returns ${n} pieces of shape ${shapeText([B, T, w])}. In tf.split(qkv, ${n}, -1) a number means how many pieces, not how big each one is (PyTorch's split(${C}, dim=2) means pieces of size ${C}). Ask for 3 pieces, or give the sizes [${C}, ${C}, ${C}].`,
        ),
      ];
    },
  },
  {
    code: "no-split",
    title: "No split",
    find: (r, ctx) => {
      const { B, T, C } = ctx.d;
      if (r.items.length !== 1 || !r.items[0].values) return null;
      const it = r.items[0];
      if (sameShape(it, [B, T, 3 * C]) && closeTo(it.values!, ctx.full())) return [d("no-split", "No split", `forward returns one tensor ${shapeText(it.shape!)}, c_attn's whole output. Split it into Q, K and V along the last axis.`)];
      if (sameShape(it, [B, T, 3 * C]) && closeTo(it.values!, ctx.fullNoBias())) return [d("no-split", "No split, and missing bias", `forward returns x · W as one ${shapeText(it.shape!)} tensor, without c_attn's bias.`)];
      if (sameShape(it, [B, T, 3, C]) && closeTo(it.values!, ctx.full())) return [d("no-split", "No split", `forward returns one tensor ${shapeText(it.shape!)} (c_attn's output reshaped). Return three tensors.`)];
      return null;
    },
  },
  {
    code: "stacked",
    title: "Stacked tensor",
    find: (r, ctx) => {
      const { B, T, C } = ctx.d;
      if (r.items.length !== 1 || !sameShape(r.items[0], [3, B, T, C])) return null;
      const vals = r.items[0].values!;
      const n = B * T * C;
      const pieces: Item[] = [0, 1, 2].map((p) => ({ ...r.items[0], shape: [B, T, C], values: vals.subarray(p * n, (p + 1) * n) }));
      const labels = pieces.map((it) => labelSlot(it.values!, ctx));
      const more = labels.every((l, i) => l.code === "exact" && l.index === i) ? [] : explainLabels(labels, pieces, ctx);
      return [d("stacked", "Stacked tensor", `forward returns one tensor ${shapeText(r.items[0].shape!)} holding [${labels.map((l) => l.text).join(", ")}]. Return an array of three tensors instead.`), ...more];
    },
  },
  {
    code: "attention-scores",
    title: "Attention scores",
    find: (r, ctx) => {
      const { B, T } = ctx.d;
      const hit = r.items.findIndex((it) => it.shape && it.shape.join(",") === [B, T, T].join(","));
      if (hit < 0) return null;
      const which = r.items.length === 1 ? "forward returns one tensor" : `your ${SLOTS[hit] ?? `output ${hit + 1}`} is`;
      return [d("attention-scores", "Attention scores", `${which} ${shapeText([B, T, T])}: ${SCORES_NOTE}.`)];
    },
  },
  {
    code: "not-three",
    title: "Not three tensors",
    find: (r, ctx) => {
      if (r.items.length === 3) return null;
      const { B, T, C } = ctx.d;
      const holds = r.items.map((it) => (sameShape(it, [B, T, C]) ? labelSlot(it.values!, ctx).text : it.description));
      const what = r.items.length === 1 && r.container === "tensor" ? `one tensor ${shapeText(r.items[0].shape ?? [])} (it holds ${holds[0]})` : `${r.description}${r.items.length ? ` ([${holds.join(", ")}])` : ""}`;
      return [d("not-three", "Not three tensors", `forward returns ${what}; it must return exactly three, [q, k, v], each [${B}, ${T}, ${C}].`)];
    },
  },
  {
    code: "wrong-axis",
    title: "Split along the wrong axis",
    find: (r, ctx) => {
      for (const axis of [0, 1] as const) {
        const pieces = [0, 1, 2].map((i) => ctx.splitAlong(axis, i));
        if (pieces.every((p, i) => p !== null && sameShape(r.items[i], p.shape) && closeTo(r.items[i].values!, p.values))) {
          const what = axis === 0 ? "the batch" : "the sequence";
          return [
            d(
              "wrong-axis",
              "Split along the wrong axis",
              `you split c_attn's output along axis ${axis} (${what}), giving pieces ${shapeText(pieces[0]!.shape)}. Q, K and V are the three blocks of the last axis (features, ${3 * ctx.d.C} = 3 × ${ctx.d.C}). Note that tf.split's default axis is 0: pass -1.`,
            ),
          ];
        }
      }
      return null;
    },
  },
  {
    code: "split-into-heads",
    title: "Split into heads",
    find: (r, ctx) => {
      const heads = r.items.map((it) => fromHeads(it, ctx));
      if (!heads.every((h) => h !== null)) return null;
      const pieces: Item[] = heads.map((h, i) => ({ ...r.items[i], shape: [ctx.d.B, ctx.d.T, ctx.d.C], values: Float32Array.from(h!.values) }));
      const labels = pieces.map((it) => labelSlot(it.values!, ctx));
      const more = labels.every((l, i) => l.code === "exact" && l.index === i) ? [] : explainLabels(labels, pieces, ctx);
      return [
        d("split-into-heads", "Split into heads", `your q, k, v have the multi-head layout ${heads[0]!.layout}. This step is the single-head projection: return each as [${ctx.d.B}, ${ctx.d.T}, ${ctx.d.C}]; splitting into heads comes in step 09.`),
        ...more,
      ];
    },
  },
  {
    code: "transposed-input",
    title: "x transposed",
    find: (r, ctx) => {
      const { B, T, C } = ctx.d;
      if (B === T || !r.items.every((it) => sameShape(it, [T, B, C]))) return null;
      const ok = r.items.every((it, i) => closeTo(unswap(it.values!, ctx.d), ctx.part(i)));
      if (!ok) return null;
      return [d("transposed-input", "x transposed", `your q, k, v are [${T}, ${B}, ${C}]: Q, K and V with the batch and sequence axes swapped, as from transposing x before the projection. c_attn works on the last axis whatever the others are: project x as it comes, [B, T, C].`)];
    },
  },
  {
    code: "wrong-shape",
    title: "Wrong shape",
    find: (r, ctx) => {
      const { B, T, C } = ctx.d;
      const wrong = r.items.map((it, i) => (sameShape(it, [B, T, C]) ? "" : `${SLOTS[i]} is ${it.description}`)).filter(Boolean);
      return wrong.length ? [d("wrong-shape", "Wrong shape", `${wrong.join("; ")}. Each of q, k, v must be [${B}, ${T}, ${C}] = [batch, seq, n_embd].`)] : null;
    },
  },
];

/** Explain why forward's outputs are not GPT-2's Q, K, V; [] when they are right. */
export function diagnose(r: Returned, ctx: QKVContext): Diagnosis[] {
  for (const m of WHOLE_TABLE) {
    const found = m.find(r, ctx);
    if (found) return found;
  }
  const labels = r.items.map((it) => labelSlot(it.values!, ctx));
  return explainLabels(labels, r.items, ctx);
}

/** Every code this table can name (tests check each has a fixture that shows it). */
export const MISTAKE_CODES = [
  ...WHOLE_TABLE.map((m) => m.code),
  "same-tensor", "wrong-order", "repeated-output", "input-returned", "missing-bias", "double-bias", "softmax-early", "softmax-all",
  "scaled-early", "interleaved", "reshape-not-split", "layernorm-first", "torch-layout", "precision-lost", "unrecognised",
];
