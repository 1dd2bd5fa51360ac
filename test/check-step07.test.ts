// checkStep07 as a learner and a tool see it: the result's shape and rows, the table and its
// one summary line, where errors point, and the things that must not fool it. The mistake table
// itself is tested for every step in check-steps.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as vm from "node:vm";
import { tf, GPT2Config, Linear, Module } from "../lib/index";
import { everyBackend } from "./backends";
import { testClock } from "./clock";
import { checkStep07, renderHtml, renderText, summaryLine } from "../checks/index";
import type { CheckResult } from "../checks/index";
import { runCheck } from "../checks/engine/run";
import { guarded } from "../checks/engine/guarded";
import { placeOf, placeText } from "../checks/engine/location";
import { step07 } from "../checks/step07/spec";
import { SingleHeadQKV } from "../checks/step07/solution";
import * as M from "./fixtures/step07-mistakes";
import { failures, withBuiltinsRestored } from "./check-helpers";

const check = (impl: unknown, options: { timeoutMs?: number; display?: "none" | "text" | "auto" | "html" } = {}): Promise<CheckResult> =>
  runCheck(step07, impl, { display: "none", clock: testClock.now, ...options });

const backends = everyBackend();

test("the result keeps the shape other tools read: { passed, results: { name, passed, message, kind, code }[], notRun }", async () => {
  const r = await checkStep07(SingleHeadQKV, { display: "none" });
  assert.deepEqual(Object.keys(r).sort(), ["notRun", "passed", "results"]);
  for (const row of r.results) {
    assert.deepEqual(Object.keys(row).sort(), ["code", "kind", "message", "name", "passed"]);
    assert.equal(row.code, "ok");
    assert.equal(row.kind, "check");
  }
  assert.deepEqual(
    r.results.map((x) => x.name),
    ["reference", "construct", "c_attn", "c_attn.weight", "c_attn.bias", "forward", "q", "k", "v", "new input", "input", "repeat", "leaks", "speed"],
  );
  assert.match(r.results.find((x) => x.name === "new input")!.message, /^q, k, v on a new random input x \[1, 6, 768\], made for this run: TENSOR OK, maxdiff = /);
});

test("the reported maxdiff is within the tolerance on every backend, and a failing figure shows actual next to expected", async () => {
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const r = await check(SingleHeadQKV);
    for (const name of ["q", "k", "v"]) {
      const maxdiff = Number(/maxdiff = (\S+),/.exec(r.results.find((x) => x.name === name)!.message)![1]);
      assert.ok(maxdiff < 1e-5, `${backend} ${name}: maxdiff ${maxdiff}`);
    }
    const wrong = await check(M.WrongOrderKQV);
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
    const r = await check(impl);
    assert.equal(r.passed, false);
    assert.match(failures(r), message);
    if (impl instanceof SingleHeadQKV) impl.dispose();
    else assert.equal(tf.memory().numTensors, before);
  }
  const before = tf.memory().numTensors;
  const r = await check(DisposeThrows);
  assert.equal(r.passed, true, failures(r));
  assert.equal(tf.memory().numTensors, before, "variables are freed even when the learner's dispose() throws");
});

test("text display: one row each, the fix on a line of its own, and one summary line with one count", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    await check(SingleHeadQKV, { display: "text" });
    await check(M.WrongOrderKQV, { display: "auto" }); // auto outside tslab: text
    await check(M.MissingBiasLinear, { display: "html" }); // html outside tslab: falls back to text
    await check(M.Leaks, { display: "none" });
  } finally {
    console.log = log;
  }
  assert.equal(printed.length, 3, "display: none prints nothing");
  const [ok, order, bias] = printed;
  assert.match(ok, /^Step 07 check: SingleHeadQKV \(backend: \w+\)\n/);
  assert.match(ok, /PASS {2}q +TENSOR OK, maxdiff = /);
  assert.match(ok.split("\n").pop()!, /^OK: All 14 checks passed\.$/);
  // The same 14 whether the checks pass or fail; the diagnosis row is not counted.
  assert.match(order, /\n {2}WHY {3}diagnosis +Wrong order: you return \[K, Q, V\]/);
  assert.match(order, /\n {2}WHY {3}diagnosis .*\n {8} +Fix: return \[q, k, v\];\n/);
  assert.match(order.split("\n").pop()!, /^FAILED: 3 of 14 checks failed\. Fix first: Wrong order \(the diagnosis row\)\.$/);
  assert.match(bias.split("\n").pop()!, /^FAILED: \d+ of 14 checks failed\. Fix first: No bias \(the c_attn\.bias row\)\.$/);
  // The summary names what to fix first; it does not print the row's message a second time.
  for (const text of [order, bias]) assert.ok(text.split("\n").pop()!.length < 120);
});

test("an early failure counts what did not run, with the same total", async () => {
  const r = await check(M.EmptyConstructor);
  assert.ok(r.notRun.length > 0);
  const ran = r.results.filter((x) => x.kind === "check").length;
  assert.equal(ran + r.notRun.length, 14);
  assert.match(summaryLine(r), new RegExp(`^\\d+ of 14 checks failed; ${r.notRun.length} more run once they pass\\. Fix first: No c_attn \\(the c_attn row\\)\\.$`));
});

test("a missing c_attn's title agrees with its message: \"Three separate layers\" only for three n_embd → n_embd layers", async () => {
  class ThreeOtherLayers extends Module {
    a: Linear;
    b: Linear;
    c: Linear;
    constructor(config: GPT2Config) {
      super();
      [this.a, this.b, this.c] = [1, 2, 3].map((n) => new Linear(config.n_embd, n));
    }
  }
  const rows = [await check(M.ThreeSeparateLayers), await check(ThreeOtherLayers)].map((r) => r.results.find((x) => x.name === "c_attn")!);
  assert.equal(rows[0].title, "Three separate layers");
  assert.match(rows[0].message, /^Three separate layers/);
  assert.equal(rows[1].title, "No c_attn");
  assert.match(rows[1].message, /^There is no this\.c_attn/);
});

test("HTML table: one row per line of the result, escaped, code shown as code, the fix labelled", async () => {
  const r = await check(M.MissingBiasLinear);
  const html = renderHtml(r, "Step 07 <check>");
  assert.match(html, /^<div class="qkv-check">/);
  assert.equal((html.match(/<tr>/g) ?? []).length, r.results.length);
  assert.match(html, /Step 07 &lt;check&gt;/);
  assert.ok(!html.includes("`"), "no literal backticks: `code` becomes <code>code</code>");
  assert.match(html, /drop <code>bias: false<\/code>/);
  assert.match(html, /<div style="margin-top:2px">Fix: <code>/);
  assert.ok(html.includes(summaryLine(r).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")));
  assert.match(renderText(r, "t"), /FAIL {2}c_attn\.bias/);
});

test("a 768-piece split is named in one short row, not listed piece by piece", async () => {
  const r = await check(M.CountVsSize);
  const longest = Math.max(...r.results.map((x) => x.message.length));
  assert.ok(longest < 600, `longest row: ${longest} characters`);
  assert.match(failures(r), /Count versus size/);
});

test("patched built-ins cannot turn a failure into a pass: the judging runs with the originals", async () => {
  const abs = Math.abs;
  await withBuiltinsRestored(async () => {
    const r = await check(M.PatchesMathAbs);
    assert.equal(r.passed, false, "Math.abs = () => 0 must not make wrong numbers pass");
    assert.match(r.results.find((x) => x.name === "q")!.message, /^TENSOR NOT OK/);
    assert.match(failures(r), /Wrong order: you return \[K, Q, V\]/, "judged with the original built-ins, so the mistake is still named");
    assert.notEqual(Math.abs, abs, "the learner's own replacement is left as it was after the check");
    Math.abs = abs;
    const r2 = await check(M.PatchesEvery);
    assert.equal(r2.passed, false, "Array.prototype.every = () => true must not make wrong numbers pass");
    assert.doesNotMatch(summaryLine(r2), /All \d+ checks passed/);
    const r3 = await check(M.NotRepeatablePatchesMathAbs);
    assert.equal(r3.results.find((x) => x.name === "repeat")!.code, "not-repeatable", "Math.abs = () => 0 must not hide a second call's different answer");
  });
});

test("a stored answer fails: every run also judges a fresh input, with a new seed each time", async () => {
  const r = await check(M.StoredAnswer);
  assert.equal(r.passed, false);
  for (const name of ["q", "k", "v"]) assert.equal(r.results.find((x) => x.name === name)!.passed, true, "it matches the saved input…");
  assert.equal(r.results.find((x) => x.name === "new input")!.code, "saved-input-only", "…but not a new one");
  // Two runs, two different fresh inputs: both pass for a correct class.
  for (const seed of [1, 2]) assert.equal((await runCheck(step07, SingleHeadQKV, { display: "none", freshSeed: seed })).passed, true);
});

test("errors point at the learner's statement: file and line from a file, the statement itself from a notebook cell", async () => {
  const fake = (stack: string) => Object.assign(new Error("x"), { stack: `Error: x\n${stack}` });
  assert.deepEqual(placeOf(fake("    at A.forward (/home/me/nothing-here.ts:13:5)\n    at guarded (/work/main/checks/engine/guarded.ts:30:13)")), {
    where: "in A.forward",
    line: "line 13 of nothing-here.ts",
    code: undefined,
  });
  assert.deepEqual(placeOf(fake("    at Linear.forward (/work/main/lib/module.ts:150:5)")), { where: "" });
  assert.deepEqual(placeOf("a string"), { where: "" });
  // A real file: the statement is read from it.
  const r = await check(M.ConstructorTypo);
  assert.match(failures(r), /\(in the constructor of ConstructorTypo, line \d+ of step07-mistakes\.ts: `this\.c_attn = new Linear\(n, 3 \* n\);`\)/);

  // A notebook cell, as tslab runs it: compiled JavaScript in "evalmachine.<anonymous>", with the
  // blank lines TypeScript drops. The statement is quoted; no (wrong) line number is given.
  const g = globalThis as { __tslab__?: unknown; __qkvLinear?: unknown };
  g.__tslab__ = {};
  g.__qkvLinear = Linear;
  try {
    const Cell = vm.runInThisContext(
      `(class Cell {\n    constructor() {\n        this.c_attn = new __qkvLinear(4, 12);\n    }\n    forward(x) {\n        const a = 1;\n        return this.c_attn.forward(x);\n    }\n})`,
      { filename: "evalmachine.<anonymous>" },
    );
    const cell = new Cell();
    const call = await guarded(() => cell.forward(tf.zeros([2, 3, 5])), 1000, Cell);
    tf.dispose(cell.c_attn.weight);
    tf.dispose(cell.c_attn.bias);
    assert.equal(call.kind, "threw");
    if (call.kind === "threw") {
      assert.deepEqual(call.error.place, { where: "in Cell.forward", code: "return this.c_attn.forward(x);" });
      assert.equal(placeText(call.error.place), " (in Cell.forward, at `return this.c_attn.forward(x);`)");
    }
  } finally {
    delete g.__tslab__;
    delete g.__qkvLinear;
  }
});

test("an error inside tf.tidy surfaces where it was thrown, not at tfjs's rethrow", () => {
  (globalThis as { __qkvTf?: unknown }).__qkvTf = tf;
  try {
    vm.runInThisContext(`__qkvTf.tidy(() => { throw new Error("the kit's own message"); })`, { filename: "cell.js", displayErrors: true });
    assert.fail("it should have thrown");
  } catch (err) {
    const stack = String((err as Error).stack);
    // Node puts the place an escaping error was (last) thrown above its message.
    assert.doesNotMatch(stack.split("Error:")[0], /throw ex/, stack.slice(0, 300));
    assert.match(stack, /the kit's own message/);
  } finally {
    delete (globalThis as { __qkvTf?: unknown }).__qkvTf;
  }
});

test("a Promise that rejects after the time bound is absorbed, never an unhandled rejection", async () => {
  let unhandled = 0;
  const count = () => void unhandled++;
  process.on("unhandledRejection", count);
  const late = await guarded(() => new Promise((_, reject) => setTimeout(() => reject(new Error("late")), 30)), 5);
  assert.equal(late.kind, "timeout");
  await new Promise((r) => setTimeout(r, 60));
  process.off("unhandledRejection", count);
  assert.equal(unhandled, 0);
});
