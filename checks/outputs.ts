// What a learner's forward returned, made inspectable: tensors, plain arrays, Promises' values,
// objects, modules. Reading never throws and never creates tfjs tensors.
import { tf, Module } from "../lib/index";

export interface Item {
  kind: "tensor" | "array" | "typed-array" | "module" | "other";
  shape: number[] | null;
  dtype: string | null;
  /** The numbers, flattened row-major; null when there are none to read. */
  values: Float32Array | null;
  disposed: boolean;
  /** "a tf.Tensor [2, 8, 768] float32", "a plain array [2, 8, 768]", "null" … */
  description: string;
}

export interface Returned {
  container: "array" | "tensor" | "object" | "module" | "nullish" | "function" | "other";
  items: Item[];
  description: string;
}

export const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** Shape of a rectangular nested array of numbers, or null. */
function nestedShape(v: unknown): number[] | null {
  if (typeof v === "number") return [];
  if (!Array.isArray(v)) return null;
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
        values = Float32Array.from(v.dataSync() as ArrayLike<number>);
        if (v.dtype === "complex64") values = null; // interleaved re/im: not comparable
      } catch {
        values = null;
      }
    }
    return { kind: "tensor", shape: v.shape, dtype: v.dtype, values, disposed: false, description: `a tf.Tensor ${shapeText(v.shape)} ${v.dtype}` };
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const arr = v as unknown as ArrayLike<number>;
    return { kind: "typed-array", shape: [arr.length], dtype: null, values: Float32Array.from(arr), disposed: false, description: `a ${v.constructor.name} of ${arr.length} numbers` };
  }
  if (Array.isArray(v)) {
    const shape = nestedShape(v);
    const values = shape ? Float32Array.from((v as unknown[]).flat(Infinity) as number[]) : null;
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

export function readReturned(result: unknown): Returned {
  if (result === null || result === undefined) return { container: "nullish", items: [], description: String(result) };
  if (result instanceof tf.Tensor) {
    const item = readItem(result);
    return { container: "tensor", items: [item], description: `one tensor, ${item.description}` };
  }
  if (Array.isArray(result)) {
    // An array of numbers is one plain array, not a list of outputs.
    if (result.length > 0 && result.every((r) => typeof r === "number")) {
      const item = readItem(result);
      return { container: "other", items: [item], description: item.description };
    }
    const items = result.map(readItem);
    return { container: "array", items, description: `an array of ${items.length}` };
  }
  if (result instanceof Module) return { container: "module", items: [], description: describeValue(result) };
  if (typeof result === "function") return { container: "function", items: [], description: "a function" };
  if (typeof result === "object") {
    const o = result as Record<string, unknown>;
    const keys = ["q", "k", "v"].every((k) => k in o) ? ["q", "k", "v"] : ["query", "key", "value"].every((k) => k in o) ? ["query", "key", "value"] : null;
    if (keys) return { container: "object", items: keys.map((k) => readItem(o[k])), description: `an object { ${keys.join(", ")} }` };
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
