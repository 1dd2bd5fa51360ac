// Built-in functions the verdict depends on, captured when the checks are first imported.
//
// A learner's code runs in the same process as a notebook's check. Code that replaces a built-in
// (`Math.abs = () => 0`, `Array.prototype.every = () => true`) must not be able to turn a failure
// into a pass, so everything that decides pass or fail (compare.ts, the verdict in judge.ts) uses
// these copies and plain loops, never methods looked up at call time. In a notebook, the checks
// are imported in the first cell, before any learner code runs. `npm run check` goes further: it
// decides in a separate process that never runs the learner's code (see cli.ts).
export const abs = Math.abs;
export const max = Math.max;
export const isFinite = Number.isFinite;
export const isArray = Array.isArray;
export const Float32ArrayCtor = Float32Array;

// ---- Judging with the built-ins as they were -----------------------------------------------------
//
// The judge and the report use ordinary JavaScript (map, every, join, template strings). In a
// notebook they run after the learner's code, so the built-ins those use are put back as they were
// at import for as long as judging takes, and the learner's replacements restored afterwards.

type Saved = { target: object; key: string | symbol; descriptor: PropertyDescriptor };

const typedArrayPrototype = Object.getPrototypeOf(Float32Array.prototype) as object;
const GUARDED: object[] = [
  Math, JSON, Object, Array, Number, String, Reflect, Symbol,
  Array.prototype, String.prototype, Number.prototype, Object.prototype, Function.prototype,
  typedArrayPrototype, Float32Array.prototype, Float64Array.prototype, Float32Array, Float64Array,
  Set.prototype, Map.prototype, Promise.prototype, RegExp.prototype,
];
const GLOBALS = ["Math", "JSON", "Object", "Array", "Number", "String", "Float32Array", "Float64Array", "Set", "Map", "Promise", "RegExp", "Reflect", "Symbol"];

const ORIGINAL: Saved[] = (() => {
  const out: Saved[] = [];
  for (const target of GUARDED) {
    for (const key of Reflect.ownKeys(target)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(target, key);
      if (descriptor && descriptor.configurable) out.push({ target, key, descriptor });
    }
  }
  for (const key of GLOBALS) {
    const descriptor = Reflect.getOwnPropertyDescriptor(globalThis, key);
    if (descriptor && descriptor.configurable) out.push({ target: globalThis, key, descriptor });
  }
  return out;
})();

const sameDescriptor = (a: PropertyDescriptor | undefined, b: PropertyDescriptor): boolean =>
  !!a && a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable;

/** Run `fn` with the built-ins as they were when the checks were imported; put back whatever was there after. */
export function withOriginalBuiltins<T>(fn: () => T): T {
  const replaced: Saved[] = [];
  for (const o of ORIGINAL) {
    const now = Reflect.getOwnPropertyDescriptor(o.target, o.key);
    if (sameDescriptor(now, o.descriptor)) continue;
    if (now) replaced.push({ target: o.target, key: o.key, descriptor: now });
    Reflect.defineProperty(o.target, o.key, o.descriptor);
  }
  try {
    return fn();
  } finally {
    for (const r of replaced) Reflect.defineProperty(r.target, r.key, r.descriptor);
  }
}
