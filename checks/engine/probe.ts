// Running the learner's class and writing down what happened, as plain data (types.ts:
// Observations). Nothing here decides pass or fail: judge.ts does, possibly in another process.
//
// Order: construct → snapshot the module's properties → load the reference weights → forward on
// the reference input → (probes) → forward on a fresh input → repeated calls for leaks, speed and
// side effects. Every tensor made here or by the learner is freed before returning.
import { tf } from "../../lib/tf";
import { Module, Linear } from "../../lib/module";
import type { GPT2Config } from "../../lib/config";
import { compare } from "./compare";
import { guarded, realClock } from "./guarded";
import type { Clock } from "./guarded";
import { max } from "./intrinsics";
import { readReturned, tensorsIn } from "./outputs";
import { seededInput } from "./reference-file";
import type { Call, Dims, ForwardRun, Observations, PropertyInfo, ReferenceData, Snapshot, StepSpec } from "./types";

export interface ProbeOptions {
  /** Bound, in ms, on each call into the learner's code. */
  timeoutMs: number;
  /** Seed of the fresh input, chosen anew for each run so that no stored answer can pass. */
  freshSeed: number;
  clock?: Clock;
  /** Told before and after each call into the learner's code (the CLI's parent bounds each call). */
  events?: { enter(what: string, boundMs: number): void; leave(): void };
}

/** Shape of the fresh input: one short sentence, unlike the reference's [2, 8]. */
export const FRESH_DIMS = (C: number): Dims => ({ B: 1, T: 6, C });

type Ctor = new (config: GPT2Config) => unknown;

function tensorInfo(t: unknown): { isVariable: boolean; disposed: boolean; shape: number[] } | null {
  return t instanceof tf.Tensor ? { isVariable: t instanceof tf.Variable, disposed: t.isDisposed, shape: [...t.shape] } : null;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return (v as object).constructor?.name ?? "Object";
}

/** What the structure rules look at: the module's own properties and its methods. */
export function snapshot(instance: unknown): Snapshot {
  if (instance === null || typeof instance !== "object") {
    return { isObject: false, description: instance === null ? "null" : `a ${typeof instance}`, extendsModule: false, properties: [], methods: [] };
  }
  const properties: PropertyInfo[] = [];
  for (const [name, v] of Object.entries(instance)) {
    if (v instanceof Linear) {
      const bias = v.bias === null || v.bias === undefined ? "missing" : tensorInfo(v.bias);
      properties.push({ name, kind: "linear", typeName: "Linear", linear: { inFeatures: v.inFeatures, outFeatures: v.outFeatures, weight: tensorInfo(v.weight), bias } });
    } else if (v instanceof Module) properties.push({ name, kind: "module", typeName: typeName(v) });
    else if (v instanceof tf.Variable) properties.push({ name, kind: "variable", typeName: "tf.Variable", shape: [...v.shape] });
    else if (v instanceof tf.Tensor) properties.push({ name, kind: "tensor", typeName: "tf.Tensor", shape: [...v.shape] });
    else if (typeof v === "number") properties.push({ name, kind: "number", typeName: "number", value: v });
    else properties.push({ name, kind: "other", typeName: typeof v === "function" ? "function" : typeName(v) });
  }
  const methods: string[] = [];
  for (let p = Object.getPrototypeOf(instance); p && p !== Module.prototype && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name !== "constructor" && typeof Object.getOwnPropertyDescriptor(p, name)?.value === "function" && !methods.includes(name)) methods.push(name);
    }
  }
  return { isObject: true, description: typeName(instance), extendsModule: instance instanceof Module, properties, methods };
}

/** The tensor at a dotted path ("c_attn.weight") of the learner's module, if any. */
function at(instance: unknown, name: string): unknown {
  let v: unknown = instance;
  for (const part of name.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function disposeOutputs(value: unknown, keep: tf.Tensor[]): void {
  for (const t of tensorsIn(value, keep)) if (!(t instanceof tf.Variable) && !t.isDisposed) t.dispose();
}

export async function probe(spec: StepSpec, Impl: unknown, ref: ReferenceData, config: GPT2Config, options: ProbeOptions): Promise<Observations> {
  const clock = options.clock ?? realClock;
  const { timeoutMs, events } = options;
  const call = async (what: string, fn: () => unknown): Promise<Call<unknown>> => {
    events?.enter(what, timeoutMs);
    try {
      return await guarded(fn, timeoutMs, Impl, clock);
    } finally {
      events?.leave();
    }
  };
  const obs: Observations = {
    backend: tf.getBackend(),
    construct: { kind: "timeout", ms: 0, wasPromise: false },
    params: [],
    hasForward: false,
    runs: [],
    inputDisposed: false,
    repeat: null,
  };

  // Every tensor made below, by us or the learner, is freed at the end: variables (which scopes do
  // not track) by name, and every other tensor by a list of all that the engine made meanwhile.
  // A scope alone is not enough: tensors the learner's code passes to tf.keep outlive it.
  const variablesBefore = new Set(Object.keys(tf.engine().state.registeredVariables));
  const stopRecording = recordNewTensors();
  tf.engine().startScope();
  let instance: unknown;
  try {
    const name = (Impl as { name?: string }).name || "YourClass";
    const built = await call(`new ${name}(config)`, () => new (Impl as Ctor)(config));
    if (built.kind !== "value") {
      obs.construct = built;
      return obs;
    }
    instance = built.value;
    obs.construct = { ...built, value: snapshot(instance) };
    if (!obs.construct.value.isObject) return obs;

    // The reference weights go into the learner's layers, by name, where the shapes fit.
    for (const p of spec.reference.params) {
      const target = at(instance, p.name);
      const shape = p.shape(ref.dims.C);
      if (!(target instanceof tf.Variable) || target.isDisposed) {
        obs.params.push({ name: p.name, loaded: false, problem: target === null || target === undefined ? "missing" : "not a tf.Variable" });
      } else if (target.shape.join(",") !== shape.join(",")) {
        obs.params.push({ name: p.name, loaded: false, problem: `shape [${target.shape.join(", ")}]` });
      } else {
        tf.tidy(() => target.assign(tf.tensor(ref.params[p.name], shape, "float32")));
        obs.params.push({ name: p.name, loaded: true });
      }
    }
    const required = spec.reference.params.filter((p) => !p.optional).map((p) => p.name);
    if (obs.params.some((p) => !p.loaded && required.includes(p.name))) return obs;

    const forward = (instance as { forward?: unknown }).forward;
    obs.hasForward = typeof forward === "function";
    if (!obs.hasForward) return obs;
    const run = (x: tf.Tensor): unknown => (forward as (x: tf.Tensor) => unknown).call(instance, x);

    // One forward pass on an input; returns the raw result for the repeated calls below.
    const forwardOn = async (label: string, dims: Dims, seed: number, scale: number, values: Float32Array): Promise<ForwardRun> => {
      const x = tf.tensor3d(values, [dims.B, dims.T, dims.C]);
      const result = await call(`${name}.forward(x)`, () => run(x));
      if (label === "reference") obs.inputDisposed = x.isDisposed;
      const recorded: ForwardRun = { label, dims, seed, scale, call: result.kind === "value" ? { ...result, value: readReturned(result.value, spec.outputs) } : result };
      if (result.kind === "value") disposeOutputs(result.value, [x]);
      if (!x.isDisposed) x.dispose();
      return recorded;
    };

    const first = await forwardOn("reference", ref.dims, ref.seed, 1, ref.input);
    obs.runs.push(first);
    for (const p of spec.probes) {
      if (p.when === (first.call.kind === "value" ? "returned" : first.call.kind)) {
        const dims = p.dims(ref.dims.C);
        const seed = ref.seed + p.seedOffset;
        obs.runs.push(await forwardOn(p.label, dims, seed, p.scale, seededInput(spec.reference, dims, seed, p.scale)));
      }
    }
    if (first.call.kind !== "value") return obs;
    const fresh = FRESH_DIMS(ref.dims.C);
    obs.runs.push(await forwardOn("fresh", fresh, options.freshSeed, 1, seededInput(spec.reference, fresh, options.freshSeed)));

    // Repeated calls: leaks, new variables, speed, and whether forward changes anything.
    if (first.call.ms > timeoutMs / 2) return obs;
    const firstValues = first.call.value.items.map((it) => it.values);
    const repeat: NonNullable<Observations["repeat"]> = { failed: null, maxDiff: 0, paramsChanged: [], tensorsLeftPerCall: [], variablesMadePerCall: [], times: [first.call.ms] };
    obs.repeat = repeat;
    const variableCount = (): number => Object.keys(tf.engine().state.registeredVariables).length;
    for (let i = 0; i < 2; i++) {
      const x = tf.tensor3d(ref.input, [ref.dims.B, ref.dims.T, ref.dims.C]);
      const tensorsBefore = tf.memory().numTensors;
      const variablesBefore = variableCount();
      const again = await call(`${name}.forward(x)`, () => run(x));
      if (again.kind !== "value") {
        repeat.failed = again;
        if (!x.isDisposed) x.dispose();
        break;
      }
      // These differences decide the repeat row, after the learner's code ran: compare and max are
      // the built-ins captured at import (intrinsics.ts), not whatever Math.abs is now.
      const { items } = readReturned(again.value, spec.outputs);
      for (let j = 0; j < items.length; j++) {
        const now = items[j].values;
        const before = firstValues[j];
        if (now && before) repeat.maxDiff = max(repeat.maxDiff, compare(now, before).maxDiff);
      }
      disposeOutputs(again.value, [x]);
      repeat.tensorsLeftPerCall.push(tf.memory().numTensors - tensorsBefore + (x.isDisposed ? 1 : 0));
      repeat.variablesMadePerCall.push(variableCount() - variablesBefore);
      repeat.times.push(again.ms);
      if (!x.isDisposed) x.dispose();
    }
    for (const p of obs.params.filter((q) => q.loaded)) {
      const now = at(instance, p.name);
      const change = now instanceof tf.Tensor && !now.isDisposed ? compare(now.dataSync() as Float32Array, ref.params[p.name]).maxDiff : Infinity;
      if (change > 0) repeat.paramsChanged.push({ name: p.name, maxChange: change });
    }
    return obs;
  } finally {
    try {
      if (instance instanceof Module) instance.dispose();
    } catch {
      // a learner's own dispose() that throws; the scope below still frees plain tensors
    }
    tf.engine().endScope();
    for (const t of stopRecording()) if (!t.isDisposed && !(t instanceof tf.Variable)) t.dispose();
    const variables = tf.engine().state.registeredVariables;
    for (const v of Object.keys(variables)) {
      if (!variablesBefore.has(v) && !variables[v].isDisposed) variables[v].dispose();
    }
  }
}

/**
 * Start listing every tensor the engine makes (its trackTensor, which every new tensor passes
 * through); the returned function stops and gives the list.
 */
function recordNewTensors(): () => tf.Tensor[] {
  type Track = (t: tf.Tensor, backend: unknown) => void;
  const engine = tf.engine() as unknown as { trackTensor: Track };
  const own = Object.prototype.hasOwnProperty.call(engine, "trackTensor");
  const original = engine.trackTensor;
  const made: tf.Tensor[] = [];
  engine.trackTensor = function (this: unknown, t: tf.Tensor, backend: unknown) {
    made.push(t);
    return original.call(this, t, backend);
  };
  return () => {
    if (own) engine.trackTensor = original;
    else delete (engine as { trackTensor?: Track }).trackTensor;
    return made;
  };
}
