// What a learner's forward returned, read into plain data (types.ts: Returned): tensors, plain
// arrays, objects, modules. Reading never throws and never creates tfjs tensors. It runs after
// the learner's code, so it uses index loops and built-ins captured at load (intrinsics.ts), not
// array methods the learner's code may have replaced.
import { tf } from "../../lib/tf";
import { Module } from "../../lib/module";
import { shapeText } from "../../lib/shape";
import { Float32ArrayCtor, isArray } from "./intrinsics";
import type { Item, OutputContract, Returned } from "./types";

function toFloat32(values: ArrayLike<number>): Float32Array {
  const out = new Float32ArrayCtor(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** The numbers of a rectangular nested array, row-major. */
function flatten(v: unknown, out: number[]): number[] {
  if (isArray(v)) for (let i = 0; i < v.length; i++) flatten(v[i], out);
  else out[out.length] = v as number;
  return out;
}

/** Shape of a rectangular nested array of numbers, or null. */
function nestedShape(v: unknown): number[] | null {
  if (typeof v === "number") return [];
  if (!isArray(v)) return null;
  if (v.length === 0) return [0];
  const inner = nestedShape(v[0]);
  if (inner === null) return null;
  for (let i = 1; i < v.length; i++) {
    const s = nestedShape(v[i]);
    if (s === null || s.join(",") !== inner.join(",")) return null;
  }
  return [v.length, ...inner];
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "a function";
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

export function readItem(v: unknown): Item {
  if (v instanceof tf.Tensor) {
    if (v.isDisposed) {
      return { kind: "tensor", shape: v.shape, dtype: v.dtype, values: null, disposed: true, description: `a disposed tf.Tensor ${shapeText(v.shape)}` };
    }
    let values: Float32Array | null = null;
    if (v.dtype !== "string") {
      try {
        values = toFloat32(v.dataSync() as ArrayLike<number>);
        if (v.dtype === "complex64") values = null; // interleaved re/im: not comparable
      } catch {
        values = null;
      }
    }
    return { kind: "tensor", shape: v.shape, dtype: v.dtype, values, disposed: false, description: `a tf.Tensor ${shapeText(v.shape)} ${v.dtype}` };
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = v as unknown as ArrayLike<number>;
    return { kind: "typed-array", shape: [arr.length], dtype: null, values: toFloat32(arr), disposed: false, description: `a ${v.constructor.name} of ${arr.length} numbers` };
  }
  if (isArray(v)) {
    const shape = nestedShape(v);
    const values = shape ? toFloat32(flatten(v, [])) : null;
    return {
      kind: "array",
      shape,
      dtype: null,
      values,
      disposed: false,
      description: shape ? `a plain JavaScript array ${shapeText(shape)}` : `a plain JavaScript array (not a rectangular array of numbers)`,
    };
  }
  if (v instanceof Module) return { kind: "module", shape: null, dtype: null, values: null, disposed: false, description: describeValue(v) };
  return { kind: "other", shape: null, dtype: null, values: null, disposed: false, description: describeValue(v) };
}

export function readReturned(result: unknown, contract: OutputContract): Returned {
  if (result === null || result === undefined) return { container: "nullish", items: [], description: String(result) };
  if (result instanceof tf.Tensor) {
    const item = readItem(result);
    return { container: "tensor", items: [item], description: `one tensor, ${item.description}` };
  }
  if (isArray(result)) {
    // An array of numbers is one plain array, not a list of outputs.
    let numbers = result.length > 0;
    for (let i = 0; i < result.length; i++) if (typeof result[i] !== "number") numbers = false;
    if (numbers) {
      const item = readItem(result);
      return { container: "other", items: [item], description: item.description };
    }
    const items: Item[] = [];
    for (let i = 0; i < result.length; i++) items[i] = readItem(result[i]);
    return { container: "array", items, description: `an array of ${items.length}` };
  }
  if (result instanceof Module) return { container: "module", items: [], description: describeValue(result) };
  if (typeof result === "function") return { container: "function", items: [], description: "a function" };
  if (typeof result === "object") {
    const o = result as Record<string, unknown>;
    const choices = contract.objectKeys ?? [];
    for (let c = 0; c < choices.length; c++) {
      const keys = choices[c];
      let all = true;
      for (let i = 0; i < keys.length; i++) if (!(keys[i] in o)) all = false;
      if (!all) continue;
      const items: Item[] = [];
      for (let i = 0; i < keys.length; i++) items[i] = readItem(o[keys[i]]);
      return { container: "object", items, description: `an object { ${keys.join(", ")} }` };
    }
  }
  return { container: "other", items: [], description: describeValue(result) };
}

/** Every distinct tensor in what forward returned (one level deep), except those in `keep`. */
export function tensorsIn(result: unknown, keep: tf.Tensor[] = []): tf.Tensor[] {
  const out = new Set<tf.Tensor>();
  const add = (v: unknown): void => {
    if (v instanceof tf.Tensor && !keep.includes(v)) out.add(v);
  };
  add(result);
  if (Array.isArray(result)) result.forEach(add);
  else if (result && typeof result === "object" && !(result instanceof tf.Tensor) && !(result instanceof Module)) Object.values(result).forEach(add);
  return [...out];
}
