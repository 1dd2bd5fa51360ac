// The shapes the check engine passes around. A step (checks/stepNN/) fills in a StepSpec; the
// engine (run.ts) runs the learner's code to collect Observations (probe.ts), then turns them
// into rows (judge.ts). Observations are plain data, so the judging can happen in another process.
import type { GPT2Config } from "../../lib/config";

/** One line of a check's table. Other tools read this shape. */
export interface CheckRow {
  /** Short name for the table's second column: "reference", "c_attn.weight", "q", "diagnosis", ... */
  name: string;
  passed: boolean;
  /** What was found, in a sentence or two, naming the mistake and how to fix it. */
  message: string;
  /** "check" rows are counted; a "diagnosis" row explains failed checks and is not counted. */
  kind: "check" | "diagnosis";
  /** Stable identifier: "ok" for a pass, else the problem ("wrong-order", "leak", ...). */
  code: string;
  /** The suggested fix, as code, when there is one (shown on a line of its own). */
  fix?: string;
  /** The problem's short name, for the summary's "Fix first": "Wrong order", "Tensor leak". */
  title?: string;
}

/** What every check returns. */
export interface CheckResult {
  passed: boolean;
  results: CheckRow[];
  /** Checks that did not run because an earlier one failed (they run once it passes). */
  notRun: string[];
}

// ---- Reference data ---------------------------------------------------------------------------

export interface Dims {
  B: number;
  T: number;
  C: number;
}

/** A parameter whose values are regenerated from the reference file's seed, never stored. */
export interface ParamSpec {
  /** Its path in the learner's module: "c_attn.weight". */
  name: string;
  /** Metadata key: "weight" gives weight_std and sha256_weight in the file. */
  key: string;
  shape(C: number): number[];
  std: number;
  /** Added to the file's seed to get this parameter's own stream. */
  seedOffset: number;
  /** Forward still runs when the learner's layer cannot take it (a Linear without a bias). */
  optional?: boolean;
}

export interface ReferenceSpec {
  /** The safetensors file, and what its header must say. */
  file: string;
  format: string;
  version: string;
  seed: number;
  batch: number;
  seq: number;
  n_embd: number;
  params: ParamSpec[];
  inputStd: number;
  /** Seed offset of the stored input x. */
  inputSeedOffset: number;
  /** Names of the stored expected outputs, in order: ["q", "k", "v"] or ["y"]. */
  outputs: string[];
  /** The outputs for input x, in float64 with plain loops: the independent implementation. */
  compute(x: ArrayLike<number>, params: Record<string, Float32Array>, dims: Dims, config: GPT2Config): Float64Array[];
}

export interface ReferenceData {
  file: string;
  dims: Dims;
  seed: number;
  input: Float32Array;
  /** Expected outputs for `input`, by name (float64 results, stored as float32). */
  outputs: Record<string, Float32Array>;
  /** Parameters regenerated from the seed, by name ("c_attn.weight"). */
  params: Record<string, Float32Array>;
  metadata: Record<string, string>;
}

// ---- What running the learner's code showed ---------------------------------------------------

/** Where an error came from in the learner's code. */
export interface ErrorPlace {
  /** "in the constructor of MyQKV" or "in MyQKV.forward"; "" when unknown. */
  where: string;
  /** "line 12 of my-qkv.ts", when a real line is known. */
  line?: string;
  /** The statement that threw, as written. */
  code?: string;
}

export interface ErrorInfo {
  message: string;
  /** "TypeError" and the like; "" for a plain Error or a thrown non-Error. */
  name: string;
  place: ErrorPlace;
}

/** One call into the learner's code. */
export type Call<T> =
  | { kind: "value"; value: T; ms: number; wasPromise: boolean }
  | { kind: "threw"; error: ErrorInfo; ms: number; wasPromise: boolean }
  | { kind: "timeout"; ms: number; wasPromise: boolean };

/** One value that forward returned, read into plain data. */
export interface Item {
  kind: "tensor" | "array" | "typed-array" | "module" | "other";
  shape: number[] | null;
  dtype: string | null;
  /** The numbers, flattened row-major; null when there are none to read. */
  values: Float32Array | null;
  disposed: boolean;
  /** "a tf.Tensor [2, 8, 768] float32", "a plain JavaScript array [2, 8, 768]", "null" ... */
  description: string;
}

export interface Returned {
  container: "array" | "tensor" | "object" | "module" | "nullish" | "function" | "other";
  items: Item[];
  description: string;
}

/** A property of the learner's module, as the structure rules see it. */
export interface PropertyInfo {
  name: string;
  kind: "linear" | "module" | "variable" | "tensor" | "number" | "other";
  /** "Linear", "GPT2SingleHeadQKV", "number", ... */
  typeName: string;
  /** For a Linear. */
  linear?: {
    inFeatures: number;
    outFeatures: number;
    weight: { isVariable: boolean; disposed: boolean; shape: number[] } | null;
    bias: { isVariable: boolean; disposed: boolean; shape: number[] } | null | "missing";
  };
  /** For a tensor or variable. */
  shape?: number[];
  /** For a number. */
  value?: number;
}

export interface Snapshot {
  /** The constructor produced an object (not null, a number, ...). */
  isObject: boolean;
  /** What it is, when it is not an object. */
  description: string;
  extendsModule: boolean;
  properties: PropertyInfo[];
  /** Method names on the prototype chain below Module (for "no forward(x) method; it has call"). */
  methods: string[];
}

/** A forward pass on one input. */
export interface ForwardRun {
  /** "reference", "fresh", or a probe's label. */
  label: string;
  dims: Dims;
  /** Seed of the input (reference: the file's input; others: regenerated from this). */
  seed: number;
  scale: number;
  call: Call<Returned>;
}

export interface Observations {
  backend: string;
  construct: Call<Snapshot>;
  /** Parameters loaded into the learner's module (or why not). Empty if construction failed. */
  params: { name: string; loaded: boolean; problem?: string }[];
  hasForward: boolean;
  runs: ForwardRun[];
  /** forward disposed the input tensor x. */
  inputDisposed: boolean;
  /** Repeated calls on the reference input. */
  repeat: null | {
    failed: Call<unknown> | null;
    /** Largest difference between the outputs of the first and a later call. */
    maxDiff: number;
    /** Parameters whose values forward changed, with the largest change. */
    paramsChanged: { name: string; maxChange: number }[];
    tensorsLeftPerCall: number[];
    variablesMadePerCall: number[];
    times: number[];
  };
}

// ---- What a step supplies ---------------------------------------------------------------------

/** A mistake named from the numbers. */
export interface Diagnosis {
  code: string;
  /** Its name, first in the message and in the summary: "Wrong order". */
  title: string;
  /** The rest of the sentence: what was seen and why it is wrong. */
  detail: string;
  fix?: string;
}

/** A hint for an error message thrown by the learner's code. */
export interface ErrorHint {
  code: string;
  /** The problem's short name: "Split along the wrong axis". */
  title: string;
  test: RegExp | ((message: string) => boolean);
  hint: string | ((message: string, dims: Dims) => string);
}

/** A forward pass on an input other than the reference one, and when to run it. */
export interface ProbeSpec {
  label: string;
  dims: (C: number) => Dims;
  /** Multiplies the input (a large scale exposes an unstable softmax). */
  scale: number;
  seedOffset: number;
  /** Run it only when the reference call ended like this: it returned a value, or it threw. */
  when: "returned" | "threw";
  /**
   * A check row of its own (named `label`), comparing the output with the reference at this
   * tolerance; `what` says what the input is ("x × 30, where unstable softmaxes overflow").
   */
  judged?: { atol: number; rtol: number; what: string };
}

/** What forward must return. */
export interface OutputContract {
  /** Output names in order: ["q", "k", "v"] for a list of three, ["y"] for one tensor. */
  names: string[];
  /** Object keys accepted (with a note) instead of an array: [["q", "k", "v"], ["query", "key", "value"]]. */
  objectKeys?: string[][];
  shape(d: Dims): number[];
  /** "three float32 tensors" */
  what: string;
}

/** The structure rules' verdict on a learner's module. */
export interface StructureVerdict {
  rows: CheckRow[];
  /** False: stop here (the reference weights cannot go in). */
  ok: boolean;
}

export interface StepSpec<Ctx = unknown> {
  /** "07" */
  id: string;
  /** The check's function name, for messages: "checkStep07". */
  checkName: string;
  /** A class name for examples in messages: "MyQKV". */
  exampleClass: string;
  reference: ReferenceSpec;
  /** Every check row, in table order (for one count, and to name what did not run). */
  planned: string[];
  structure(snapshot: Snapshot, config: GPT2Config): StructureVerdict;
  outputs: OutputContract;
  /** Step-specific context for the diagnosis (candidates built from the reference). */
  context(ref: { input: ArrayLike<number>; outputs: ArrayLike<number>[]; params: Record<string, Float32Array>; dims: Dims; config: GPT2Config; label: string }): Ctx;
  /** Name the mistakes in what forward returned; [] when it is right. */
  diagnose(returned: Returned, ctx: Ctx): Diagnosis[];
  /** Every diagnosis code `diagnose` can give (tests require a fixture for each). */
  mistakeCodes: string[];
  /** Extra words for an error thrown by forward, from the probes' results. */
  explainThrow?(message: string, probes: { run: ForwardRun; diagnoses: Diagnosis[] }[]): string;
  hints: ErrorHint[];
  probes: ProbeSpec[];
  /** The lib's own time for this forward, for the "too slow" message: "about 2 ms on wasm". */
  libSpeed: string;
}
