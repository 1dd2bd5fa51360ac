// checkStep07: judge a learner's single-head Q/K/V class by its behaviour, against numbers
// computed independently in float64 (checks/data/step07-reference.safetensors).
//
// Order: reference file → construct → structure (c_attn, weight, bias) → load the reference
// weights → forward → numbers, with a diagnosis when they are wrong → input intact → leaks →
// speed. A step that cannot run because an earlier one failed is left out of the table.
// Nothing here throws: every failure, the learner's or the reference file's, becomes a row.
import * as path from "node:path";
import { tf, GPT2Config, Module, Linear, selectBackend } from "../lib/index";
import { compare, tensorLine } from "./compare";
import { cAttnFloat64, splitLast3 } from "./float64";
import { diagnose, hintForError } from "./diagnose";
import type { DiagnosisContext } from "./diagnose";
import { describeError, errorMessage, guarded } from "./guarded";
import type { Guarded } from "./guarded";
import { readReturned, shapeText, tensorsIn } from "./outputs";
import type { Returned } from "./outputs";
import { REFERENCE_FILE, REFERENCE_VERSION } from "./reference-format";
import { loadReference } from "./reference";
import type { ReferenceData } from "./reference";
import { seededInput } from "./seeded";
import { inspectStructure } from "./structure";
import type { Row } from "./structure";
import { showResult } from "./report";
import type { DisplayMode } from "./report";

export type CheckRow = Row;

/** What every check returns; other tools read this shape. */
export interface CheckResult {
  passed: boolean;
  results: CheckRow[];
}

export interface CheckOptions {
  /** "auto" (default): HTML in a tslab notebook, text elsewhere. "none": print nothing. */
  display?: DisplayMode;
  /**
   * Bound, in ms, on each call into the learner's code (default 5000). A Promise that has not
   * settled by then is abandoned; a synchronous call that takes longer is reported as too slow.
   * The lib's c_attn takes about 2 ms per call on wasm and 60 ms on cpu, so this is generous.
   */
  timeoutMs?: number;
  /** Another reference file (tests use this to show that a corrupted file is reported). */
  referenceFile?: string;
}

export const DEFAULT_TIMEOUT_MS = 5000;

type Ctor = new (config: GPT2Config) => unknown;

const SPLIT_ERROR = /Number of splits must evenly divide the axis|sum of sizes must match the size of the axis/;

/** Run the step 07 check on a learner's class, show the table, and return the result. Never throws. */
export async function checkStep07(Impl: unknown, options: CheckOptions = {}): Promise<CheckResult> {
  let result: CheckResult;
  const title = `Step 07 check: ${typeof Impl === "function" && Impl.name ? Impl.name : "your class"}`;
  try {
    result = await runStep07(Impl, options);
  } catch (err) {
    result = {
      passed: false,
      results: [{ name: "check", passed: false, message: `The check itself failed (${describeError(err)}). This is a bug in the check, not in your code: please report it.` }],
    };
  }
  try {
    showResult(result, options.display ?? "auto", `${title} (backend: ${currentBackend()})`);
  } catch {
    // Showing the table is a courtesy; the result is still returned.
  }
  return result;
}

function currentBackend(): string {
  try {
    return tf.engine().backendName || "none";
  } catch {
    return "unknown";
  }
}

function finish(rows: CheckRow[]): CheckResult {
  return { passed: rows.length > 0 && rows.every((r) => r.passed), results: rows };
}

function disposeOutputs(value: unknown, keep: tf.Tensor[]): void {
  for (const t of tensorsIn(value, keep)) if (!(t instanceof tf.Variable) && !t.isDisposed) t.dispose();
}

async function runStep07(Impl: unknown, options: CheckOptions): Promise<CheckResult> {
  const rows: CheckRow[] = [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const file = options.referenceFile ?? REFERENCE_FILE;

  let ref: ReferenceData;
  try {
    ref = loadReference(file);
  } catch (err) {
    rows.push({ name: "reference", passed: false, message: errorMessage(err) });
    return finish(rows);
  }
  const { batch: B, seq: T, n_embd: C } = ref.spec;
  rows.push({
    name: "reference",
    passed: true,
    message: `${path.relative(process.cwd(), file) || file} (version ${REFERENCE_VERSION}, checksums OK): x [${B}, ${T}, ${C}], Q/K/V computed in float64`,
  });

  if (typeof Impl !== "function") {
    const instead = Impl instanceof Module ? `an instance (${Impl.constructor.name}); pass the class itself: checkStep07(${Impl.constructor.name})` : `${Impl === null ? "null" : typeof Impl}`;
    rows.push({ name: "construct", passed: false, message: `checkStep07 takes your class, as in checkStep07(MyQKV); it got ${instead}.` });
    return finish(rows);
  }

  // A notebook that never chose a backend: choose the best one now. (backendInstance is not in
  // tfjs's typings, but asking `tf.engine().backend` would start the wasm backend without its
  // .wasm file paths.)
  if ((tf.engine() as unknown as { backendInstance?: unknown }).backendInstance == null) await selectBackend(undefined, { log: null });
  const config = new GPT2Config();
  if (config.n_embd !== C) {
    rows.push({ name: "reference", passed: false, message: `The reference is for n_embd ${C} but GPT2Config() has ${config.n_embd}. Regenerate it with \`npm run make-reference\`.` });
    return finish(rows);
  }

  // Every tensor made below, by us or the learner, is freed at the end: plain tensors by the
  // scope, and variables (which scopes do not track) by name.
  const variablesBefore = new Set(Object.keys(tf.engine().state.registeredVariables));
  tf.engine().startScope();
  let instance: unknown;
  try {
    const built = await guarded(() => new (Impl as Ctor)(config), timeoutMs);
    const call = `new ${Impl.name || "YourClass"}(new GPT2Config())`;
    if (built.kind === "threw") {
      const msg = errorMessage(built.error);
      const hint = /is not a constructor|cannot be invoked without 'new'/.test(msg) ? "checkStep07 needs a class (class MyQKV extends Module { … }), not a function." : hintForError(msg);
      rows.push({ name: "construct", passed: false, message: `${call} threw ${describeError(built.error)}. ${hint}`.trim() });
      return finish(rows);
    }
    if (built.kind === "timeout") {
      rows.push({ name: "construct", passed: false, message: `Too slow: ${call} did not finish within ${timeoutMs} ms.` });
      return finish(rows);
    }
    instance = built.value;
    if (built.ms > timeoutMs) {
      rows.push({ name: "construct", passed: false, message: `Too slow: ${call} took ${Math.round(built.ms)} ms, over the ${timeoutMs} ms bound. A Linear takes a few ms to make.` });
      return finish(rows);
    }
    rows.push(
      instance instanceof Module
        ? { name: "construct", passed: true, message: `${call} built in ${built.ms.toFixed(0)} ms` }
        : {
            name: "construct",
            passed: false,
            message: `Your class does not extend Module. Write class ${Impl.name || "MyQKV"} extends Module { … } and call super() first, so that its parameters can be found and loaded by name.`,
          },
    );

    const structure = inspectStructure(instance, config);
    rows.push(...structure.rows);
    if (!structure.cAttn) return finish(rows);
    await judgeForward(instance as { forward?: unknown }, structure.cAttn, ref, config, timeoutMs, rows);
    return finish(rows);
  } finally {
    try {
      if (instance instanceof Module) instance.dispose();
      else if (instance && (instance as { c_attn?: unknown }).c_attn instanceof Linear) ((instance as { c_attn: Linear }).c_attn).dispose();
    } catch {
      // a learner's own dispose() that throws; the scope below still frees plain tensors
    }
    tf.engine().endScope();
    const variables = tf.engine().state.registeredVariables;
    for (const name of Object.keys(variables)) {
      if (!variablesBefore.has(name) && !variables[name].isDisposed) variables[name].dispose();
    }
  }
}

async function judgeForward(
  instance: { forward?: unknown },
  cAttn: Linear,
  ref: ReferenceData,
  config: GPT2Config,
  timeoutMs: number,
  rows: CheckRow[],
): Promise<void> {
  const { batch: B, seq: T, n_embd: C } = ref.spec;
  try {
    tf.tidy(() => {
      cAttn.weight.assign(tf.tensor2d(ref.weight, [C, 3 * C]));
      if (cAttn.bias instanceof tf.Variable && cAttn.bias.shape.join(",") === String(3 * C)) cAttn.bias.assign(tf.tensor1d(ref.bias));
    });
  } catch (err) {
    rows.push({ name: "forward", passed: false, message: `The reference weights could not be loaded into c_attn: ${describeError(err)}. Keep c_attn a plain Linear.` });
    return;
  }
  if (typeof instance.forward !== "function") {
    const near = Object.getOwnPropertyNames(Object.getPrototypeOf(instance)).filter((n) => n !== "constructor" && /call|apply|run|fwd|forward/i.test(n));
    rows.push({
      name: "forward",
      passed: false,
      message: `Your class has no forward(x) method${near.length ? ` (it has ${near.join(", ")})` : ""}. Add forward(x: tf.Tensor): tf.Tensor[] that returns [q, k, v].`,
    });
    return;
  }
  const forward = (x: tf.Tensor): unknown => (instance.forward as (x: tf.Tensor) => unknown).call(instance, x);
  const ctx: DiagnosisContext = { B, T, C, nHead: config.n_head, x: ref.input, q: ref.q, k: ref.k, v: ref.v, bias: ref.bias };
  const expected = [ref.q, ref.k, ref.v];

  let x = tf.tensor3d(ref.input, [B, T, C]);
  const first = await guarded(() => forward(x), timeoutMs);
  const inputDisposed = x.isDisposed;
  if (first.kind === "timeout") {
    rows.push({ name: "forward", passed: false, message: `Too slow: forward returned a Promise that did not settle within ${timeoutMs} ms. Make forward synchronous: no async, no await.` });
    return;
  }
  if (first.kind === "threw") {
    const msg = errorMessage(first.error);
    const probed = SPLIT_ERROR.test(msg) ? await probeSplitAxis(forward, ref, config, timeoutMs) : "";
    const hint = probed || hintForError(msg);
    const async = first.wasPromise ? " (forward is async; make it a plain synchronous method too)" : "";
    rows.push({ name: "forward", passed: false, message: `forward(x) with x ${shapeText([B, T, C])} threw ${describeError(first.error)}${async}. ${hint}`.trim() });
    return;
  }

  const returned = readReturned(first.value);
  disposeOutputs(first.value, [x]);
  rows.push({ name: "forward", ...forwardVerdict(returned, first, ctx) });

  // The numbers, q, k, v against the reference.
  const three = (returned.container === "array" || returned.container === "object") && returned.items.length === 3;
  const figures: CheckRow[] = [];
  if (three) {
    returned.items.forEach((item, i) => {
      const name = ["q", "k", "v"][i];
      if (item.values && item.shape && item.shape.join(",") === [B, T, C].join(",")) {
        const c = compare(item.values, expected[i]);
        // Like llm.c, show actual next to expected, here where they differ most.
        const at = c.worst;
        const where = at >= 0 ? `[${Math.floor(at / (T * C))}, ${Math.floor(at / C) % T}, ${at % C}]` : "";
        const detail = c.ok || at < 0 ? "" : `; worst at ${name}${where}: ${item.values[at].toPrecision(4)}, expected ${expected[i][at].toPrecision(4)}`;
        figures.push({ name, passed: c.ok, message: tensorLine(c) + detail });
      } else {
        figures.push({ name, passed: false, message: `not compared: ${name} is ${item.description}, expected a tensor ${shapeText([B, T, C])}` });
      }
    });
  } else {
    figures.push({ name: "q, k, v", passed: false, message: `not compared: forward returned ${returned.description}, not three tensors` });
  }
  const forwardRow = rows[rows.length - 1];
  if (!forwardRow.passed || figures.some((f) => !f.passed)) {
    let found = diagnose(returned, ctx);
    // A dtype or disposal problem already says why the numbers are off.
    if (!forwardRow.passed && /Wrong dtype|Disposed output/.test(forwardRow.message)) found = found.filter((m) => !/^(Unrecognised|Wrong shape)/.test(m));
    if (found.length > 0) rows.push({ name: "diagnosis", passed: false, message: found.join(" ") });
  }
  rows.push(...figures);

  rows.push(
    inputDisposed
      ? {
          name: "input",
          passed: false,
          message: `Input disposed: forward disposed its input x. The caller owns x and uses it again (attention needs it too): dispose only the tensors you create, or let tf.tidy do it.`,
        }
      : { name: "input", passed: true, message: "forward leaves its input x intact" },
  );

  // Leaks and speed: a few more calls, each measured with tf.memory().numTensors.
  const times = [first.ms];
  if (first.ms <= timeoutMs / 2) {
    const leaks: number[] = [];
    const newVariables: number[] = [];
    const variableCount = (): number => Object.keys(tf.engine().state.registeredVariables).length;
    for (let i = 0; i < 2; i++) {
      if (x.isDisposed) x = tf.tensor3d(ref.input, [B, T, C]);
      const before = tf.memory().numTensors;
      const variablesBefore = variableCount();
      const again = await guarded(() => forward(x), timeoutMs);
      if (again.kind !== "value") {
        rows.push({
          name: "leaks",
          passed: false,
          message: `forward failed when called a second time: ${again.kind === "threw" ? describeError(again.error) : `no result within ${timeoutMs} ms`}. It must give the same answer on every call.`,
        });
        break;
      }
      disposeOutputs(again.value, [x]);
      leaks.push(tf.memory().numTensors - before + (x.isDisposed ? 1 : 0));
      newVariables.push(variableCount() - variablesBefore);
      times.push(again.ms);
    }
    if (leaks.length === 2) {
      const leak = Math.min(...leaks);
      const madeVariables = Math.min(...newVariables);
      rows.push(
        madeVariables > 0
          ? {
              name: "leaks",
              passed: false,
              message:
                `Tensor leak: every call to forward creates ${madeVariables} new tf.Variable${madeVariables > 1 ? "s" : ""} (a new Linear inside forward?) that nothing frees. ` +
                `Create layers once, in the constructor, and use them in forward.`,
            }
          : leak > 0
          ? {
              name: "leaks",
              passed: false,
              message:
                `Tensor leak: every call to forward leaves ${leak} tensor${leak > 1 ? "s" : ""} behind (measured with tf.memory().numTensors). ` +
                `Wrap the body in tf.tidy(() => { … }), which frees every intermediate such as the unsplit qkv and keeps what you return, or dispose them yourself.`,
            }
          : { name: "leaks", passed: true, message: "no tensors left behind per call (tf.memory().numTensors)" },
      );
    }
  }
  const best = Math.min(...times);
  rows.push(
    best > timeoutMs
      ? {
          name: "speed",
          passed: false,
          message:
            `Too slow: forward took ${(best / 1000).toFixed(1)} s on x ${shapeText([B, T, C])}, over the ${timeoutMs / 1000} s bound (the lib's c_attn needs about 2 ms on wasm). ` +
            `Use whole-tensor operations, this.c_attn.forward and tf.split, rather than JavaScript loops over values.`,
        }
      : { name: "speed", passed: true, message: `forward takes ${best < 10 ? best.toFixed(1) : Math.round(best)} ms per call (bound ${timeoutMs} ms)` },
  );
}

function forwardVerdict(returned: Returned, call: Guarded<unknown>, ctx: DiagnosisContext): { passed: boolean; message: string } {
  const { B, T, C } = ctx;
  const problems: string[] = [];
  if (call.wasPromise) {
    problems.push(`Promise: forward is async (it returns a Promise). Make it a plain synchronous method: tfjs's tensor operations are synchronous, and the model calls forward without await.`);
  }
  if (returned.container === "nullish") {
    problems.push(`Not implemented yet: forward returns ${returned.description}; it must return [q, k, v].`);
  } else if (!((returned.container === "array" || returned.container === "object") && returned.items.length === 3)) {
    problems.push(`Not three tensors: forward returns ${returned.description}; it must return an array of three tensors [q, k, v].`);
  } else {
    if (returned.container === "object") problems.push(`forward returns ${returned.description}; return an array [q, k, v] instead, as GPT-2 code destructures it.`);
    const slots = ["q", "k", "v"];
    const plain = returned.items.map((it, i) => (it.kind === "array" || it.kind === "typed-array" ? slots[i] : null)).filter(Boolean);
    if (plain.length) problems.push(`Plain arrays: ${plain.join(", ")} ${plain.length > 1 ? "are plain JavaScript arrays, not tf.Tensors" : "is a plain JavaScript array, not a tf.Tensor"}. Return the tensors themselves (no arraySync/dataSync/array()).`);
    const disposed = returned.items.map((it, i) => (it.disposed ? slots[i] : null)).filter(Boolean);
    if (disposed.length) problems.push(`Disposed output: ${disposed.join(", ")} ${disposed.length > 1 ? "were" : "was"} disposed before being returned. Return them from tf.tidy (it keeps what you return) and dispose only intermediates.`);
    const dtypes = returned.items.map((it, i) => (it.kind === "tensor" && !it.disposed && it.dtype !== "float32" ? `${slots[i]} is ${it.dtype}` : null)).filter(Boolean);
    if (dtypes.length) problems.push(`Wrong dtype: ${dtypes.join(", ")}; Q, K and V are float32, like c_attn's output. Remove the tf.cast.`);
    const others = returned.items.map((it, i) => (it.kind === "other" || it.kind === "module" ? `${slots[i]} is ${it.description}` : null)).filter(Boolean);
    if (others.length) problems.push(`Not three tensors: ${others.join(", ")}.`);
    const shapes = returned.items.filter((it) => it.kind === "tensor" && it.shape && it.shape.join(",") !== [B, T, C].join(","));
    if (shapes.length) problems.push(`Wrong shape: forward returns shapes ${returned.items.map((it) => (it.shape ? shapeText(it.shape) : "?")).join(", ")}; each of q, k, v must be ${shapeText([B, T, C])}.`);
  }
  if (problems.length === 0) return { passed: true, message: `returns three float32 tensors ${shapeText([B, T, C])}` };
  return { passed: false, message: problems.join(" ") };
}

/**
 * tf.split threw on the [2, 8, 768] input: run forward once more on a [3, 3, 768] input, where
 * a split along axis 0 or 1 goes through, to see and name the axis that was split.
 */
async function probeSplitAxis(forward: (x: tf.Tensor) => unknown, ref: ReferenceData, config: GPT2Config, timeoutMs: number): Promise<string> {
  const C = ref.spec.n_embd;
  const spec = { ...ref.spec, batch: 3, seq: 3 };
  const xs = seededInput(spec, 3);
  const [q, k, v] = splitLast3(cAttnFloat64(xs, ref.weight, ref.bias, 9, C), 9, C);
  const ctx: DiagnosisContext = { B: 3, T: 3, C, nHead: config.n_head, x: xs, q, k, v, bias: ref.bias };
  const x = tf.tensor3d(xs, [3, 3, C]);
  try {
    const r = await guarded(() => forward(x), timeoutMs);
    if (r.kind !== "value") return "";
    const found = diagnose(readReturned(r.value), ctx);
    disposeOutputs(r.value, [x]);
    const axis = found.find((m) => m.startsWith("Split along the wrong axis"));
    return axis ? axis.replace(/^Split along the wrong axis: /, `Split along the wrong axis: on a [3, 3, ${C}] input, where such a split goes through, your forward shows that `) : "";
  } finally {
    if (!x.isDisposed) x.dispose();
  }
}
