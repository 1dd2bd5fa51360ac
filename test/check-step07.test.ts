// checkStep07 on the reference solution, on correct variants written differently, and on every
// mistake in test/fixtures/step07-mistakes.ts, on every backend this machine has. For each
// mistake the check must fail AND its message must name the mistake.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tf, GPT2Config } from "../lib/index";
import { everyBackend } from "./backends";
import { checkStep07, renderHtml, renderText, summaryLine } from "../checks/index";
import type { CheckResult } from "../checks/index";
import { SingleHeadQKV } from "../checks/solutions/step07";
import Skeleton from "../checks/solutions/step07-skeleton";
import * as M from "./fixtures/step07-mistakes";

type Case = [label: string, impl: unknown, names: RegExp, options?: { timeoutMs?: number }];

const CORRECT: [string, unknown][] = [
  ["reference solution (tf.tidy, split(qkv, 3, -1))", SingleHeadQKV],
  ["tf.tidy with sizes [768, 768, 768] on axis 2", M.CorrectSizesAxis2],
  ["manual dispose instead of tf.tidy", M.CorrectManualDispose],
  ["matMul + add + slice written out", M.CorrectManualMatMul],
];

// The mistake → what the failing rows must say. Each regex is the mistake's name.
const MISTAKES: Case[] = [
  // the untouched skeleton, and other unfinished work
  ["untouched skeleton (constructor throws)", Skeleton, /not implemented yet/i],
  ["skeleton fixture", M.Skeleton, /not implemented yet/i],
  ["forward still throws not implemented", M.ForwardNotImplemented, /not implemented yet/i],
  ["forward returns null", M.ReturnsNull, /Not implemented yet: forward returns null/],
  ["forward returns undefined", M.ReturnsUndefined, /Not implemented yet: forward returns undefined/],
  ["constructor with no c_attn", M.EmptyConstructor, /There is no this\.c_attn/],
  // structure
  ["three separate layers", M.ThreeSeparateLayers, /Three separate layers \(q_proj, k_proj, v_proj/],
  ["in and out swapped", M.InOutSwapped, /In and out are swapped: c_attn maps 2304 → 768/],
  ["768 → 768", M.TooNarrow, /c_attn maps 768 → 768; GPT-2's maps 768 → 2304 = 3 × n_embd so that Q, K and V each get 768/],
  ["other name for the Linear", M.OtherName, /called "qkv_proj"; GPT-2's checkpoint calls it "c_attn"/],
  ["c_attn is a raw tensor", M.CAttnIsTensor, /c_attn is a tf\.Variable .* not a Linear/],
  ["missing bias (bias: false)", M.MissingBiasLinear, /c_attn has no bias[\s\S]*Missing bias: your output is x · W/],
  ["not a Module", M.NotAModule, /does not extend Module/],
  ["this before super()", M.NoSuperCall, /Must call super constructor.*Call super\(\) first/],
  ["constructor typo (config.n_embed)", M.ConstructorTypo, /threw "Linear\(undefined.*\(in the constructor of ConstructorTypo, line \d+ of step07-mistakes\.ts\).*spelling of config fields/],
  // numbers
  ["no split, array of one", M.NoSplit, /No split: forward returns one tensor \[2, 8, 2304\]/],
  ["no split, bare tensor", M.NoSplitBare, /No split: forward returns one tensor \[2, 8, 2304\]/],
  ["tf.split(qkv, 3): default axis 0", M.SplitDefaultAxis, /Split along the wrong axis.*axis 0 \(the batch\).*default axis is 0/],
  ["split along axis 1", M.SplitAxis1, /Split along the wrong axis.*axis 1 \(the sequence\)/],
  ["sizes [768, 768, 768] without an axis", M.SplitSizesDefaultAxis, /Split along the wrong axis.*axis 0, the batch/],
  ["order K, Q, V", M.WrongOrderKQV, /Wrong order: you return \[K, Q, V\]/],
  ["order V, K, Q", M.WrongOrderVKQ, /Wrong order: you return \[V, K, Q\]/],
  ["missing bias (matMul by hand)", M.MissingBiasMatMul, /Missing bias: your output is x · W without c_attn's bias/],
  ["bias added twice", M.BiasTwice, /Bias added twice/],
  ["two tensors", M.TwoTensors, /Not three tensors: forward returns an array of 2/],
  ["returns x as q", M.ReturnsInputAsQ, /Input returned: your q is the input x unchanged/],
  ["[q, q, q]", M.SameThreeTimes, /Same tensor three times: you return \[Q, Q, Q\]/],
  ["returns the Linear", M.ReturnsLinear, /Returned the Linear/],
  ["interleaved split", M.InterleavedSplit, /Interleaved split/],
  ["reshape instead of split", M.ReshapeNotSplit, /Reshape instead of split/],
  ["split into heads", M.SplitIntoHeads, /Split into heads: .*\[B, n_head, T, head_dim\] = \[2, 12, 8, 64\]/],
  ["scaled by 1/√64", M.ScaledEarly, /Scaled too early: \[0\.125 × Q, K, V\] \(0\.125 = 1\/√64/],
  ["softmax applied", M.SoftmaxEarly, /Softmax too early: \[softmax\(Q\), K, V\]/],
  ["stacked [3, B, T, C]", M.Stacked, /Stacked tensor: forward returns one tensor \[3, 2, 8, 768\]/],
  ["new Linear inside forward", M.NewLinearInForward, /Unrecognised values[\s\S]*creates 2 new tf\.Variables/],
  // what forward returns or does
  ["returns a Promise", M.ReturnsPromise, /Promise: forward is async/],
  ["Promise that never settles", M.NeverSettles, /Promise that did not settle within 200 ms/, { timeoutMs: 200 }],
  ["Promise that rejects", M.RejectsLater, /threw "async failure".*forward is async/],
  ["plain arrays", M.PlainArrays, /Plain arrays: q, k, v are plain JavaScript arrays/],
  ["wrong dtype", M.WrongDtype, /Wrong dtype: q is int32/],
  ["object { q, k, v }", M.ReturnsObject, /returns an object \{ q, k, v \}; return an array/],
  ["disposes an output", M.DisposesOutput, /Disposed output: k was disposed/],
  ["disposes its input", M.DisposesInput, /Input disposed: forward disposed its input x/],
  ["leaks a tensor per call", M.Leaks, /Tensor leak: every call to forward leaves 1 tensor behind/],
  ["very slow", M.Slow, /Too slow: forward took 0\.\d s .* over the 0\.1 s bound/, { timeoutMs: 100 }],
  ["chained tensor methods", M.ChainedMethods, /qkv\.split is not a function.*no chained tensor methods/],
  ["no forward method", M.NoForward, /no forward\(x\) method \(it has call\)/],
  ["throws a string", M.ThrowsString, /threw "oops"/],
];

const failures = (r: CheckResult): string => r.results.filter((x) => !x.passed).map((x) => `[${x.name}] ${x.message}`).join("\n");

const backends = everyBackend();

test("the result keeps the shape other tools read: { passed, results: { name, passed, message }[] }", async () => {
  const r = await checkStep07(SingleHeadQKV, { display: "none" });
  assert.deepEqual(Object.keys(r).sort(), ["passed", "results"]);
  for (const row of r.results) {
    assert.deepEqual(Object.keys(row).sort(), ["message", "name", "passed"]);
    assert.equal(typeof row.name, "string");
    assert.equal(typeof row.passed, "boolean");
    assert.equal(typeof row.message, "string");
  }
  assert.deepEqual(
    r.results.map((x) => x.name),
    ["reference", "construct", "c_attn", "c_attn.weight", "c_attn.bias", "forward", "q", "k", "v", "input", "leaks", "speed"],
  );
});

test("on every backend: correct variants pass, every mistake fails and is named, and the check leaks nothing", async (t) => {
  assert.ok(backends.names.length >= 1);
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    for (const [label, impl] of CORRECT) {
      await t.test(`${backend}: passes: ${label}`, async () => {
        const before = tf.memory().numTensors;
        const r = await checkStep07(impl, { display: "none" });
        assert.equal(r.passed, true, failures(r));
        for (const name of ["q", "k", "v"]) {
          assert.match(r.results.find((x) => x.name === name)!.message, /^TENSOR OK, maxdiff = \S+, 100% within tolerance$/);
        }
        assert.equal(tf.memory().numTensors, before, "the check itself must leak no tensors");
      });
    }
    for (const [label, impl, names, options] of MISTAKES) {
      await t.test(`${backend}: fails and names it: ${label}`, async () => {
        const before = tf.memory().numTensors;
        const r = await checkStep07(impl, { display: "none", ...options });
        assert.equal(r.passed, false, `the check passed ${label}`);
        assert.match(failures(r), names);
        assert.equal(tf.memory().numTensors, before, "the check itself must leak no tensors");
      });
    }
  }
});

test("the reported maxdiff is within the tolerance on every backend, and a failing figure says NOT OK", async () => {
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const r = await checkStep07(SingleHeadQKV, { display: "none" });
    for (const name of ["q", "k", "v"]) {
      const maxdiff = Number(/maxdiff = (\S+),/.exec(r.results.find((x) => x.name === name)!.message)![1]);
      assert.ok(maxdiff < 1e-5, `${backend} ${name}: maxdiff ${maxdiff}`);
    }
    const wrong = await checkStep07(M.WrongOrderKQV, { display: "none" });
    assert.match(wrong.results.find((x) => x.name === "q")!.message, /^TENSOR NOT OK, maxdiff = \S+, \d+\.\d% within tolerance; worst at q\[\d+, \d+, \d+\]: \S+, expected \S+$/);
  }
  await tf.setBackend(backends.original);
});

test("never throws, whatever it is given", async () => {
  const arrow = (config: GPT2Config) => config;
  class DisposeThrows extends SingleHeadQKV {
    dispose(): void {
      throw new Error("my dispose is broken");
    }
  }
  const cases: [unknown, RegExp][] = [
    [null, /checkStep07 takes your class.*got null/],
    [42, /checkStep07 takes your class.*got number/],
    [new SingleHeadQKV(new GPT2Config()), /pass the class itself: checkStep07\(SingleHeadQKV\)/],
    [arrow, /needs a class/],
  ];
  for (const [impl, message] of cases) {
    const before = tf.memory().numTensors;
    const r = await checkStep07(impl, { display: "none" });
    assert.equal(r.passed, false);
    assert.match(failures(r), message);
    if (impl instanceof SingleHeadQKV) impl.dispose();
    else assert.equal(tf.memory().numTensors, before);
  }
  const before = tf.memory().numTensors;
  const r = await checkStep07(DisposeThrows, { display: "none" });
  assert.equal(r.passed, true, failures(r));
  assert.equal(tf.memory().numTensors, before, "variables are freed even when the learner's dispose() throws");
});

test("text display: a compact table with the figures, and one summary line", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    await checkStep07(SingleHeadQKV, { display: "text" });
    await checkStep07(M.WrongOrderKQV, { display: "auto" }); // auto outside tslab: text
    await checkStep07(M.MissingBiasLinear, { display: "html" }); // html outside tslab: falls back to text
    await checkStep07(M.Leaks, { display: "none" });
  } finally {
    console.log = log;
  }
  assert.equal(printed.length, 3, "display: none prints nothing");
  const [ok, order, bias] = printed;
  assert.match(ok, /^Step 07 check: SingleHeadQKV \(backend: \w+\)\n/);
  assert.match(ok, /PASS {2}q +TENSOR OK, maxdiff = /);
  assert.match(ok.split("\n").pop()!, /^OK: All 12 checks passed\.$/);
  assert.match(order.split("\n").pop()!, /^FAILED: 3 of 13 checks failed\. Fix first \(diagnosis\): Wrong order: you return \[K, Q, V\]/);
  assert.match(bias.split("\n").pop()!, /^FAILED: \d+ of \d+ checks failed\. Fix first \(c_attn\.bias\): c_attn has no bias/);
});

test("HTML table: one row per check, escaped, with the summary", async () => {
  const r = await checkStep07(M.ChainedMethods, { display: "none" });
  const html = renderHtml(r, "Step 07 <check>");
  assert.match(html, /^<div class="qkv-check">/);
  assert.equal((html.match(/<tr>/g) ?? []).length, r.results.length);
  assert.match(html, /Step 07 &lt;check&gt;/);
  assert.ok(html.includes(summaryLine(r).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")));
  assert.match(renderText(r), /FAIL {2}forward/);
  assert.match(summaryLine(r), /the remaining checks run once these pass/);
});

test("run time per call (reported, not asserted beyond a loose bound)", async (t) => {
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    await checkStep07(SingleHeadQKV, { display: "none" }); // warm up
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await checkStep07(SingleHeadQKV, { display: "none" });
      times.push(performance.now() - t0);
    }
    const median = times.sort((a, b) => a - b)[1];
    t.diagnostic(`checkStep07 on ${backend}: median ${median.toFixed(0)} ms per call`);
    assert.ok(median < 10_000, `${backend}: ${median} ms`);
  }
  await tf.setBackend(backends.original);
});

test("errors point at the learner's code: file and line, or the notebook cell", async () => {
  const { errorLocation, guarded } = await import("../checks/guarded");
  const fake = (stack: string) => Object.assign(new Error("x"), { stack: `Error: x\n${stack}` });
  assert.equal(
    errorLocation(fake("    at Engine.runKernel (/work/main/tfjs-core/src/engine.ts:1:1)\n    at new B (evalmachine.<anonymous>:8:11)")),
    "in the constructor of B, about line 8 of your cell",
  );
  assert.equal(errorLocation(fake("    at A.forward (/home/me/my-qkv.ts:13:5)\n    at guarded (/work/main/checks/guarded.ts:30:13)")), "in A.forward, line 13 of my-qkv.ts");
  assert.equal(errorLocation(fake("    at Linear.forward (/work/main/lib/module.ts:150:5)")), "");
  assert.equal(errorLocation("a string"), "");
  // A rejection after the time bound is absorbed, never an unhandledRejection.
  let unhandled = 0;
  const count = () => void unhandled++;
  process.on("unhandledRejection", count);
  const late = await guarded(() => new Promise((_, reject) => setTimeout(() => reject(new Error("late")), 30)), 5);
  assert.equal(late.kind, "timeout");
  await new Promise((r) => setTimeout(r, 60));
  process.off("unhandledRejection", count);
  assert.equal(unhandled, 0);
});
