// From what the learner's code did (Observations) to the check's rows. Pure: no tensors, no
// learner code, so it can run in a process that never loaded the learner's file (cli.ts).
//
// Table order is fix order: reference → construct → structure → forward → diagnosis → the output
// figures → a fresh input → input intact → repeat (side effects) → leaks → speed. A check that
// cannot run because an earlier one failed is left out of the table and listed in `notRun`.
import * as path from "node:path";
import type { GPT2Config } from "../../lib/config";
import { shapeText } from "../../lib/shape";
import { ATOL, RTOL, compare, sameShape, tensorLine } from "./compare";
import type { Comparison } from "./compare";
import { hintFor } from "./hints";
import { placeText } from "./location";
import { seededInput } from "./reference-file";
import { isFinite as finite } from "./intrinsics";
import { fail, pass } from "./rows";
import type { Call, CheckResult, CheckRow, Diagnosis, Dims, ErrorInfo, ForwardRun, Item, Observations, ReferenceData, Returned, StepSpec } from "./types";

export interface JudgeInput {
  spec: StepSpec;
  ref: ReferenceData;
  config: GPT2Config;
  obs: Observations;
  /** The learner's class name, for messages (never empty: the callers fall back to a name of their own). */
  className: string;
  timeoutMs: number;
}

/** The passing reference row: which file, and what it holds. */
export function referenceRow(spec: StepSpec, ref: ReferenceData): CheckRow {
  const { B, T, C } = ref.dims;
  const file = path.relative(process.cwd(), ref.file) || ref.file;
  return pass("reference", `${file} (version ${spec.reference.version}, checksums OK): x ${shapeText([B, T, C])}, expected ${spec.outputs.names.join(", ")} computed in float64`);
}

function diagnosisRow(d: Diagnosis): CheckRow {
  const row: CheckRow = { name: "diagnosis", passed: false, message: `${d.title}: ${d.detail}`, kind: "diagnosis", code: d.code, title: d.title };
  if (d.fix) row.fix = d.fix;
  return row;
}

/**
 * Passed only when every planned check is in the table and passed. Plain loops and property
 * reads only: a learner's replaced built-in cannot change this (intrinsics.ts).
 */
export function verdict(rows: CheckRow[], planned: number): boolean {
  let checks = 0;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].kind !== "check") continue;
    if (rows[i].passed !== true) return false;
    checks++;
  }
  return checks > 0 && checks === planned;
}

export function finish(spec: StepSpec, rows: CheckRow[]): CheckResult {
  const present = new Set(rows.filter((r) => r.kind === "check").map((r) => r.name));
  return { passed: verdict(rows, spec.planned.length), results: rows, notRun: spec.planned.filter((n) => !present.has(n)) };
}

/** `"TypeError: message" (in MyQKV.forward, at `…`)` */
export function describeError(e: ErrorInfo): string {
  return `"${e.name ? `${e.name}: ` : ""}${e.message}"${placeText(e.place)}`;
}

/** A run's input and the outputs expected for it. */
interface Expected {
  input: Float32Array;
  outputs: ArrayLike<number>[];
}

/** The expected outputs for one run: stored for the reference input, computed now for the others. */
export function expectedFor(spec: StepSpec, ref: ReferenceData, run: ForwardRun, config: GPT2Config): Expected {
  if (run.label === "reference") return { input: ref.input, outputs: spec.reference.outputs.map((n) => ref.outputs[n]) };
  const input = seededInput(spec.reference, run.dims, run.seed, run.scale);
  return { input, outputs: spec.reference.compute(input, ref.params, run.dims, config) };
}

/** The step's diagnoses for what forward returned in `run` (pass `expected` when it is at hand). */
function diagnose(spec: StepSpec, ref: ReferenceData, config: GPT2Config, run: ForwardRun, returned: Returned, expected = expectedFor(spec, ref, run, config)): Diagnosis[] {
  const { input, outputs } = expected;
  return spec.diagnose(returned, spec.context({ input, outputs, params: ref.params, dims: run.dims, config, label: run.label }));
}

const NUMBER_WORDS = ["no", "one", "two", "three", "four"];

/** Which returned item is output i, if the container is of the contract's kind. */
function outputItems(spec: StepSpec, r: Returned): Item[] | null {
  const n = spec.outputs.names.length;
  if (n === 1 && r.container === "tensor") return r.items;
  if (n > 1 && (r.container === "array" || r.container === "object") && r.items.length === n) return r.items;
  return null;
}

/** Does forward return what the contract says? One row, naming every problem. */
function contractRow(spec: StepSpec, r: Returned, call: Call<Returned>, d: Dims): CheckRow {
  const { names, what } = spec.outputs;
  const shape = spec.outputs.shape(d);
  const problems: { code: string; title: string; text: string }[] = [];
  const add = (code: string, title: string, text: string): void => void problems.push({ code, title, text });
  if (call.wasPromise) add("async", "Promise", `forward is async (it returns a Promise). Make it a plain synchronous method: tfjs's tensor operations are synchronous, and the model calls forward without await.`);
  const items = outputItems(spec, r);
  const listed = names.length > 1 ? `an array of ${NUMBER_WORDS[names.length] ?? names.length} tensors [${names.join(", ")}]` : `one tensor ${names[0]}`;
  if (r.container === "nullish") {
    add("not-implemented", "Not implemented yet", `forward returns ${r.description}; it must return ${listed}.`);
  } else if (!items) {
    const title = names.length > 1 ? `Not ${NUMBER_WORDS[names.length]} tensors` : "Not one tensor";
    add("count", title, `forward returns ${r.description}; it must return ${listed}.`);
  } else {
    if (r.container === "object") add("object", "An object", `forward returns ${r.description}; return an array [${names.join(", ")}] instead, as GPT-2 code destructures it.`);
    const which = (test: (it: Item) => boolean): string[] => items.map((it, i) => (test(it) ? names[i] : "")).filter(Boolean);
    const plain = which((it) => it.kind === "array" || it.kind === "typed-array");
    if (plain.length) add("plain-arrays", "Plain arrays", `${plain.join(", ")} ${plain.length > 1 ? "are plain JavaScript arrays, not tf.Tensors" : "is a plain JavaScript array, not a tf.Tensor"}. Return the tensors themselves (no arraySync/dataSync/array()).`);
    const disposed = which((it) => it.disposed);
    if (disposed.length) add("disposed", "Disposed output", `${disposed.join(", ")} ${disposed.length > 1 ? "were" : "was"} disposed before being returned. Return them from tf.tidy (it keeps what you return) and dispose only intermediates.`);
    const dtypes = items.map((it, i) => (it.kind === "tensor" && !it.disposed && it.dtype !== "float32" ? `${names[i]} is ${it.dtype}` : "")).filter(Boolean);
    if (dtypes.length) add("dtype", "Wrong dtype", `${dtypes.join(", ")}; the outputs are float32, like the layer's. Remove the tf.cast.`);
    const others = items.map((it, i) => (it.kind === "other" || it.kind === "module" ? `${names[i]} is ${it.description}` : "")).filter(Boolean);
    if (others.length) add("count", names.length > 1 ? `Not ${NUMBER_WORDS[names.length]} tensors` : "Not a tensor", `${others.join(", ")}.`);
    if (items.some((it) => it.kind === "tensor" && it.shape && it.shape.join(",") !== shape.join(","))) {
      const each = names.length > 1 ? `each of ${names.join(", ")} must be` : `${names[0]} must be`;
      add("wrong-shape", "Wrong shape", `forward returns ${names.length > 1 ? "shapes" : "shape"} ${items.map((it) => (it.shape ? shapeText(it.shape) : "?")).join(", ")}; ${each} ${shapeText(shape)}.`);
    }
  }
  if (problems.length === 0) return pass("forward", `returns ${what} ${shapeText(shape)}`);
  return fail("forward", problems[0].code, problems.map((p) => `${p.title}: ${p.text}`).join(" "), { title: problems[0].title });
}

/** The figure rows: each output against its expected values (llm.c style). */
function figureRows(spec: StepSpec, r: Returned, expected: ArrayLike<number>[], d: Dims): { rows: CheckRow[]; comparisons: (Comparison | null)[] } {
  const { names } = spec.outputs;
  const shape = spec.outputs.shape(d);
  const items = outputItems(spec, r);
  if (!items) {
    const why = `not compared: forward did not return ${names.length > 1 ? `${NUMBER_WORDS[names.length]} tensors` : "one tensor"}`;
    return { rows: names.map((n) => fail(n, "not-compared", why)), comparisons: names.map(() => null) };
  }
  const rows: CheckRow[] = [];
  const comparisons: (Comparison | null)[] = [];
  items.forEach((item, i) => {
    const name = names[i];
    if (!sameShape(item, shape)) {
      rows.push(fail(name, "not-compared", `not compared: ${name} is ${item.description}, expected a tensor ${shapeText(shape)}`));
      comparisons.push(null);
      return;
    }
    const values = item.values!;
    const c = compare(values, expected[i]);
    comparisons.push(c);
    // Like llm.c, show actual next to expected, here where they differ most.
    const at = c.worst;
    const where = at >= 0 ? `[${indexOf(at, shape).join(", ")}]` : "";
    const detail = c.ok || at < 0 ? "" : `; worst at ${name}${where}: ${values[at].toPrecision(4)}, expected ${Number(expected[i][at]).toPrecision(4)}`;
    rows.push(c.ok ? pass(name, tensorLine(c)) : fail(name, "mismatch", tensorLine(c) + detail));
  });
  return { rows, comparisons };
}

function indexOf(flat: number, shape: number[]): number[] {
  const out: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    out.unshift(flat % shape[i]);
    flat = Math.floor(flat / shape[i]);
  }
  return out;
}

function allOk(cs: (Comparison | null)[]): boolean {
  for (let i = 0; i < cs.length; i++) if (!cs[i] || cs[i]!.ok !== true) return false;
  return cs.length > 0;
}

export function judge(input: JudgeInput): CheckResult {
  const { spec, ref, config, obs, className, timeoutMs } = input;
  const rows: CheckRow[] = [referenceRow(spec, ref)];
  const newCall = `new ${className}(new GPT2Config())`;
  const d = ref.dims;

  // ---- construct
  const built = obs.construct;
  if (built.kind === "threw") {
    const msg = built.error.message;
    const found = /is not a constructor|cannot be invoked without 'new'/.test(msg)
      ? { code: "not-a-class", title: "Not a class", hint: `${spec.checkName} needs a class (class ${spec.exampleClass} extends Module { … }), not a function.` }
      : hintFor(msg, spec.hints, d);
    rows.push(fail("construct", found?.code ?? "threw", `${newCall} threw ${describeError(built.error)}. ${found?.hint ?? ""}`.trim(), { title: found?.title ?? "The constructor throws" }));
    return finish(spec, rows);
  }
  if (built.kind === "timeout") {
    rows.push(fail("construct", "too-slow", `Too slow: ${newCall} did not finish within ${timeoutMs} ms.`, { title: "Too slow" }));
    return finish(spec, rows);
  }
  if (built.ms > timeoutMs) {
    rows.push(fail("construct", "too-slow", `Too slow: ${newCall} took ${Math.round(built.ms)} ms, over the ${timeoutMs} ms bound.`, { title: "Too slow" }));
    return finish(spec, rows);
  }
  const snap = built.value;
  rows.push(
    snap.extendsModule
      ? pass("construct", `${newCall} built in ${built.ms.toFixed(0)} ms`)
      : fail("construct", "not-module", `Your class does not extend Module. Write class ${className} extends Module { … } and call super() first, so that its parameters can be found and loaded by name.`, { title: "Not a Module" }),
  );

  // ---- structure
  const structure = spec.structure(snap, config);
  rows.push(...structure.rows);
  if (!structure.ok) return finish(spec, rows);
  const unloaded = obs.params.filter((p) => !p.loaded && !spec.reference.params.find((q) => q.name === p.name)?.optional);
  if (unloaded.length > 0) {
    rows.push(fail("forward", "weights-not-loaded", `The reference weights could not be loaded into ${unloaded.map((p) => `${p.name} (${p.problem})`).join(", ")}. Keep each layer a plain Linear.`));
    return finish(spec, rows);
  }

  // ---- forward on the reference input
  if (!obs.hasForward) {
    const near = snap.methods.filter((n) => /call|apply|run|fwd|forward/i.test(n));
    rows.push(fail("forward", "no-forward", `Your class has no forward(x) method${near.length ? ` (it has ${near.join(", ")})` : ""}. Add forward(x: tf.Tensor) that returns ${spec.outputs.what}.`, { title: "No forward method" }));
    return finish(spec, rows);
  }
  const first = obs.runs.find((r) => r.label === "reference")!;
  const xText = `x ${shapeText([d.B, d.T, d.C])}`;
  if (first.call.kind === "timeout") {
    rows.push(fail("forward", "promise-timeout", `Too slow: forward returned a Promise that did not settle within ${timeoutMs} ms. Make forward synchronous: no async, no await.`, { title: "A Promise that never settles" }));
    return finish(spec, rows);
  }
  if (first.call.kind === "threw") {
    const msg = first.call.error.message;
    const probes: { run: ForwardRun; diagnoses: Diagnosis[] }[] = [];
    for (const run of obs.runs) {
      if (run.label !== "reference" && run.label !== "fresh" && run.call.kind === "value") probes.push({ run, diagnoses: diagnose(spec, ref, config, run, run.call.value) });
    }
    const probed = spec.explainThrow?.(msg, probes) ?? "";
    const found = hintFor(msg, spec.hints, d);
    const async = first.call.wasPromise ? " (forward is async; make it a plain synchronous method too)" : "";
    rows.push(fail("forward", found?.code ?? "threw", `forward(x) with ${xText} threw ${describeError(first.call.error)}${async}. ${probed || found?.hint || ""}`.trim(), { title: found?.title ?? "forward throws" }));
    return finish(spec, rows);
  }
  const returned = first.call.value;
  const contract = contractRow(spec, returned, first.call, d);
  rows.push(contract);
  const expected = spec.reference.outputs.map((n) => ref.outputs[n]);
  const figures = figureRows(spec, returned, expected, d);
  const numbersOk = allOk(figures.comparisons);
  if (!contract.passed || !numbersOk) {
    let found = diagnose(spec, ref, config, first, returned);
    // A dtype or a disposed output already says why the numbers are off.
    if (contract.code === "dtype" || contract.code === "disposed") found = found.filter((f) => f.code !== "unrecognised" && f.code !== "wrong-shape");
    rows.push(...found.map(diagnosisRow));
  }
  rows.push(...figures.rows);
  for (const p of spec.probes) if (p.judged) rows.push(probeRow(spec, ref, obs, p.label, p.judged, config));

  // ---- a fresh input, made for this run: no stored answer can pass it
  const fresh = obs.runs.find((r) => r.label === "fresh");
  if (fresh) rows.push(freshRow(spec, ref, fresh, config, numbersOk));

  rows.push(
    obs.inputDisposed
      ? fail("input", "input-disposed", `Input disposed: forward disposed its input x. The caller owns x and uses it again (the next layer needs it too): dispose only the tensors you create, or let tf.tidy do it.`, { title: "Input disposed" })
      : pass("input", "forward leaves its input x intact"),
  );

  // ---- repeated calls: side effects, leaks, speed
  const rep = obs.repeat;
  if (rep) {
    rows.push(repeatRow(rep));
    if (rep.failed === null) rows.push(leakRow(rep));
  }
  const times = rep ? rep.times : [first.call.ms];
  let best = Infinity;
  for (const t of times) if (t < best) best = t;
  rows.push(
    best > timeoutMs
      ? fail(
          "speed",
          "too-slow",
          `Too slow: forward took ${(best / 1000).toFixed(1)} s on ${xText}, over the ${timeoutMs / 1000} s bound (the lib's layer needs ${spec.libSpeed}). ` +
            `Use whole-tensor operations (the layers' forward, tf.split, tf.matMul) rather than JavaScript loops over values.`,
          { title: "Too slow" },
        )
      : pass("speed", `forward takes ${best < 10 ? best.toFixed(1) : Math.round(best)} ms per call (bound ${timeoutMs} ms)`),
  );
  return finish(spec, rows);
}

/**
 * Each output of a run against its expected values, at a tolerance (by default the pass tolerance);
 * null where an output is not a tensor of the expected shape.
 */
function compareRun(spec: StepSpec, ref: ReferenceData, config: GPT2Config, run: ForwardRun, returned: Returned, tol = { atol: ATOL, rtol: RTOL }): { expected: Expected; comparisons: (Comparison | null)[] } {
  const expected = expectedFor(spec, ref, run, config);
  const items = outputItems(spec, returned);
  const shape = spec.outputs.shape(run.dims);
  const comparisons = spec.outputs.names.map((_, i) => {
    const it = items?.[i];
    return it && sameShape(it, shape) ? compare(it.values!, expected.outputs[i], tol.atol, tol.rtol) : null;
  });
  return { expected, comparisons };
}

function freshRow(spec: StepSpec, ref: ReferenceData, run: ForwardRun, config: GPT2Config, referenceOk: boolean): CheckRow {
  const xText = `x ${shapeText([run.dims.B, run.dims.T, run.dims.C])}`;
  const what = `a new random input ${xText}, made for this run`;
  if (run.call.kind !== "value") {
    const why = run.call.kind === "threw" ? `threw ${describeError(run.call.error)}` : `did not finish`;
    return fail("new input", "fresh-failed", `On ${what}, forward ${why}. It must work for any batch and sequence length: does it hard-code a shape?`, { title: "Fails on a new input" });
  }
  const { expected, comparisons: cs } = compareRun(spec, ref, config, run, run.call.value);
  let worst = 0;
  for (const c of cs) if (c && !(c.maxDiff <= worst)) worst = finite(c.maxDiff) ? c.maxDiff : Infinity;
  const names = spec.outputs.names.join(", ");
  if (allOk(cs)) return pass("new input", `${names} on ${what}: TENSOR OK, maxdiff = ${worst === 0 ? "0" : worst.toExponential(1).replace(/e\+?/, "e")}`);
  if (!referenceOk) return fail("new input", "mismatch", `On ${what}, ${names} ${spec.outputs.names.length > 1 ? "are" : "is"} wrong too (see the diagnosis).`);
  const bad = cs.map((c, i) => (c && c.ok ? "" : `${spec.outputs.names[i]} ${c ? tensorLine(c).replace(/^TENSOR /, "is ") : "is not a tensor of the right shape"}`)).filter(Boolean);
  const extra = diagnose(spec, ref, config, run, run.call.value, expected).filter((f) => f.code !== "unrecognised");
  return fail(
    "new input",
    "saved-input-only",
    `Works on the saved input only: on ${what}, ${bad.join("; ")}. forward must compute its answer from x: does it hard-code a shape, keep state between calls, or return stored values?` +
      (extra.length ? ` On that input: ${extra.map((f) => `${f.title}: ${f.detail}`).join(" ")}` : ""),
    { title: "Works on the saved input only" },
  );
}

/** A probe with a row of its own: its input (say, a large one) against the reference, at its tolerance. */
function probeRow(spec: StepSpec, ref: ReferenceData, obs: Observations, label: string, judged: { atol: number; rtol: number; what: string }, config: GPT2Config): CheckRow {
  const run = obs.runs.find((r) => r.label === label);
  if (!run) return fail(label, "not-run", `not run: forward did not return on the reference input`);
  if (run.call.kind !== "value") {
    const why = run.call.kind === "threw" ? `threw ${describeError(run.call.error)}` : "did not finish";
    return fail(label, "probe-failed", `On ${judged.what}, forward ${why}.`);
  }
  const { expected, comparisons: cs } = compareRun(spec, ref, config, run, run.call.value, judged);
  const names = spec.outputs.names.join(", ");
  if (allOk(cs)) return pass(label, `${names} on ${judged.what}: ${tensorLine(cs.reduce((a, b) => (a!.maxDiff >= b!.maxDiff ? a : b))!)} (atol ${judged.atol}, rtol ${judged.rtol})`);
  const first = diagnose(spec, ref, config, run, run.call.value, expected)[0];
  return fail(label, first?.code ?? "mismatch", `On ${judged.what}: ${first ? `${first.title}: ${first.detail}` : `${names} ${cs.map((c) => (c ? tensorLine(c) : "not comparable")).join("; ")}`}`, {
    title: first?.title ?? "Wrong on a large input",
    fix: first?.fix,
  });
}

function repeatRow(rep: NonNullable<Observations["repeat"]>): CheckRow {
  if (rep.failed) {
    const why = rep.failed.kind === "threw" ? describeError(rep.failed.error) : "no result in time";
    return fail("repeat", "failed-again", `forward failed when called a second time: ${why}. It must give the same answer on every call.`, { title: "Fails on a second call" });
  }
  if (rep.paramsChanged.length > 0) {
    const list = rep.paramsChanged.map((p) => `${p.name} (by up to ${p.maxChange.toPrecision(2)})`).join(", ");
    return fail("repeat", "changes-weights", `forward changed ${list}. forward computes from the weights and must never assign to them (no .assign, no tf.variable updates).`, { title: "forward changes the weights" });
  }
  if (!(rep.maxDiff <= 1e-6)) {
    return fail("repeat", "not-repeatable", `A second call on the same x gave a different answer (they differ by up to ${rep.maxDiff.toPrecision(2)}). forward must give the same answer every time: no randomness, no state kept between calls.`, { title: "Different answers" });
  }
  return pass("repeat", "a second call gives the same answer and leaves the weights unchanged");
}

function leakRow(rep: NonNullable<Observations["repeat"]>): CheckRow {
  let leak = Infinity;
  let made = Infinity;
  for (const n of rep.tensorsLeftPerCall) if (n < leak) leak = n;
  for (const n of rep.variablesMadePerCall) if (n < made) made = n;
  if (made > 0) {
    return fail("leaks", "new-variables", `Tensor leak: every call to forward creates ${made} new tf.Variable${made > 1 ? "s" : ""} (a new Linear inside forward?) that nothing frees. Create layers once, in the constructor, and use them in forward.`, { title: "New variables on every call" });
  }
  if (leak > 0) {
    return fail(
      "leaks",
      "leak",
      `Tensor leak: every call to forward leaves ${leak} tensor${leak > 1 ? "s" : ""} behind (measured with tf.memory().numTensors). Wrap the body in tf.tidy(() => { … }), which frees every intermediate and keeps what you return, or dispose them yourself.`,
      { title: "Tensor leak" },
    );
  }
  return pass("leaks", "no tensors left behind per call (tf.memory().numTensors)");
}
