// npm run check -- <step> <file> (and npm run s07 -- <file>): grades a .ts file or a notebook's
// exercise cell from the shell, with exit status 0 (passed), 1 (failed, never finished, or the
// learner's code ended the process) or 2 (usage or loading problem). It must not be fooled by
// hostile code: process.exit, replaced built-ins, stored answers, printed verdicts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-s07-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

function check(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "checks/engine/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
const s07 = (...args: string[]) => check("07", ...args);

/** A learner's file written from the project root's point of view ("./lib/index"), outside the project. */
function learnerFile(name: string, body: string, header = ""): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(
    file,
    `import { tf, GPT2Config, Module, Linear } from "./lib/index";\n${header}` +
      `export class MyQKV extends Module {\n  c_attn: Linear;\n  constructor(config: GPT2Config) {\n    super();\n    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);\n  }\n` +
      `  forward(x: tf.Tensor): tf.Tensor[] {\n${body}\n  }\n}\n`,
  );
  return file;
}
const RIGHT = "    return tf.tidy(() => tf.split(this.c_attn.forward(x), 3, -1));";
const WRONG_ORDER = "    return tf.tidy(() => { const [q, k, v] = tf.split(this.c_attn.forward(x), 3, -1); return [k, q, v]; });";

const SOLUTION_CELL = `// EXERCISE: step07
class SingleHeadQKV extends Module {
  c_attn: Linear;
  constructor(config: GPT2Config) {
    super();
    this.c_attn = new Linear(config.n_embd, 3 * config.n_embd);
  }
  forward(x: tf.Tensor): tf.Tensor[] {
    return tf.tidy(() => tf.split(this.c_attn.forward(x), 3, -1));
  }
}`;

/** A notebook shaped like notebooks/step07-exercise.ipynb: imports in one cell, the class in another. */
function notebook(name: string, exerciseCell: string): string {
  const code = (source: string) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) });
  const nb = {
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Step 07\n"] },
      code(`import { tf, selectBackend, GPT2Config, Module, Linear } from "./lib/index";\nimport { checkStep07 } from "./checks/index";\n\nawait selectBackend();\nconst config = new GPT2Config();`),
      code(exerciseCell),
      code(`const result = await checkStep07(SingleHeadQKV);`),
    ],
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}

test("a correct .ts file passes with exit 0, through npm run check -- 07 and npm run s07", () => {
  for (const args of [["check", "--", "07"], ["s07", "--"]]) {
    const r = spawnSync("npm", ["run", "--silent", ...args, "checks/step07/solution.ts"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /TENSOR OK, maxdiff = /);
    assert.match(r.stdout, /PASS {2}new input +q, k, v on a new random input x \[1, 6, 768\], made for this run: TENSOR OK/);
    assert.match(r.stdout, /^OK: All 14 checks passed\.$/m);
  }
});

test("the untouched skeleton fails with exit 1 and says not implemented yet", () => {
  const r = s07("checks/step07/skeleton.ts");
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /FAIL {2}construct .*"not implemented yet" \(in the constructor of SingleHeadQKV, line \d+ of skeleton\.ts: `throw new Error\("not implemented yet"\);`\)/);
  assert.match(r.out, /^FAILED: .*Fix first: Not implemented yet \(the construct row\)\.$/m);
});

test("a wrong implementation in a file outside the project fails with exit 1 and names the mistake and its line", () => {
  const file = learnerFile("my-qkv.ts", "    return tf.tidy(() => tf.split(this.c_attn.forward(x), 3));");
  const r = s07(file, "--backend", "cpu");
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /Step 07 check: MyQKV from .*my-qkv\.ts \(backend: cpu\)/);
  assert.match(r.out, /\(in MyQKV\.forward, line 9 of my-qkv\.ts: `return tf\.tidy\(\(\) => tf\.split\(this\.c_attn\.forward\(x\), 3\)\);`\)\. Split along the wrong axis: .*axis 0 \(the batch\)/);
});

test("--class picks one class out of several", () => {
  const ok = s07("test/fixtures/step07-mistakes.ts", "--class", "CorrectManualDispose");
  assert.equal(ok.status, 0, ok.out);
  const bad = s07("test/fixtures/step07-mistakes.ts", "--class", "MissingBiasMatMul");
  assert.equal(bad.status, 1, bad.out);
  assert.match(bad.out, /Missing bias/);
  const several = s07("test/fixtures/step07-mistakes.ts");
  assert.equal(several.status, 2, several.out);
  assert.match(several.out, /several classes .* Choose one with --class <Name>/);
});

test("a notebook: the exercise cell is found, checked, and errors point at the cell's line", () => {
  const solved = s07(notebook("solved.ipynb", SOLUTION_CELL));
  assert.equal(solved.status, 0, solved.out);
  assert.match(solved.out, /All 14 checks passed/);

  const skeleton = s07(path.join(ROOT, "checks/step07/skeleton.ts"));
  assert.equal(skeleton.status, 1);

  const wrong = s07(notebook("wrong.ipynb", SOLUTION_CELL.replace("tf.split(this.c_attn.forward(x), 3, -1)", "tf.split(this.c_attn.forward(x), [768, 768, 768])")));
  assert.equal(wrong.status, 1, wrong.out);
  assert.match(wrong.out, /\(in SingleHeadQKV\.forward, line 9 of cell 3 of wrong\.ipynb: `return tf\.tidy\(\(\) => tf\.split\(this\.c_attn\.forward\(x\), \[768, 768, 768\]\)\);`\)\. Split along the wrong axis/);

  // No "// EXERCISE: step07" mark: the cell that defines a class extending Module is used.
  const unmarked = s07(notebook("unmarked.ipynb", SOLUTION_CELL.replace("// EXERCISE: step07\n", "").replace("[q, k, v]", "").replace("3, -1)", "3, -1).reverse()")));
  assert.equal(unmarked.status, 1, unmarked.out);
  assert.match(unmarked.out, /Wrong order: you return \[V, K, Q\]/);
});

test("the shipped exercise notebook, untouched, fails as not implemented yet", (t) => {
  const file = path.join(ROOT, "notebooks", "step07-exercise.ipynb");
  if (!fs.existsSync(file)) {
    t.skip("notebooks/step07-exercise.ipynb is not there yet");
    return;
  }
  const r = s07(file);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /not implemented yet/i);
});

test("usage and loading problems exit 2 with a clear message", () => {
  const cases: [string[], RegExp][] = [
    [[], /^Which file\? usage: npm run check -- <step> <file\.ts \| notebook\.ipynb>/],
    [["nope.ts"], /nope\.ts: no such file/],
    [["README.md"], /expected a \.ts file that exports your class, or a \.ipynb notebook/],
    [["a.ts", "b.ts"], /One file at a time/],
    [["checks/step07/solution.ts", "--bogus"], /Unknown option --bogus/],
    [["checks/step07/solution.ts", "--backend", "native"], /The native TensorFlow \(tfjs-node\) backend was requested \(--backend native\) but is unavailable: .*This machine has: wasm, cpu\. Leave it out to let the kit choose, or pick one of those\./],
  ];
  const syntax = path.join(tmp, "syntax.ts");
  fs.writeFileSync(syntax, `import { Module } from "./lib/index";\nexport class Broken extends Module {\n  forward(x { return x; }\n}\n`);
  cases.push([[syntax], /Could not load .*syntax\.ts/]);
  const umbrella = path.join(tmp, "umbrella.ts");
  fs.writeFileSync(umbrella, `import * as tf from "@tensorflow/tfjs";\nimport { Module } from "./lib/index";\nexport class Q extends Module {}\nvoid tf;\n`);
  cases.push([[umbrella], /Could not load .*Cannot find module '@tensorflow\/tfjs'.*Import the kit as "\.\/lib\/index"/]);
  const noClass = path.join(tmp, "no-class.ts");
  fs.writeFileSync(noClass, `export const answer = 42;\n`);
  cases.push([[noClass], /exports no class that extends Module/]);
  const emptyNb = notebook("empty.ipynb", "const a = 1;");
  cases.push([[emptyNb], /has no exercise cell/]);
  for (const [args, message] of cases) {
    const r = s07(...args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.out}`);
    assert.match(r.out.trim(), message, args.join(" "));
  }
  const noStep = check("99", "checks/step07/solution.ts");
  assert.equal(noStep.status, 2, noStep.out);
  assert.match(noStep.out, /There is no step 99 check\. Steps with a check: 07/);
  assert.ok(!fs.existsSync(path.join(ROOT, ".check-tmp")) || fs.readdirSync(path.join(ROOT, ".check-tmp")).length === 0, "temporary files are removed");
});

test("an endless loop is stopped by the per-call bound, naming the call, with exit 1", () => {
  const file = learnerFile("endless.ts", "    for (;;) {}");
  const r = s07(file, "--timeout", "2");
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /^FAILED: MyQKV\.forward\(x\) did not finish within 3\.5 s, so the check stopped it\. Your code never returns there: look for an endless loop/m);
  const left = fs.existsSync(path.join(ROOT, ".check-tmp")) ? fs.readdirSync(path.join(ROOT, ".check-tmp")) : [];
  assert.deepEqual(left.filter((f) => f.startsWith("endless")), [], "the killed run's temporary file is removed");
});

test("process.exit(0) anywhere in the learner's code fails, naming process.exit", () => {
  const places: [string, string][] = [
    ["at import", learnerFile("exit-import.ts", RIGHT, "process.exit(0);\n")],
    ["in forward", learnerFile("exit-forward.ts", "    process.exit(0);")],
    ["in forward, after printing a fake verdict", learnerFile("exit-spoof.ts", '    console.log("OK: All 14 checks passed.");\n    process.exit(0);')],
  ];
  for (const [where, file] of places) {
    const r = s07(file);
    assert.equal(r.status, 1, `${where}: ${r.out}`);
    assert.match(r.out, /FAILED: your code ended the check's process \(exit code 0\) before the check finished.*Remove process\.exit\(\.\.\.\)/, where);
    assert.match(r.out.trim().split("\n").pop()!, /^FAILED/, `${where}: the last line is the verdict`);
  }
});

test("replaced built-ins and stored answers cannot pass: the parent judges, on a fresh input it chose", () => {
  const cases: [label: string, args: string[], expected: RegExp][] = [
    ["Math.abs = () => 0", [learnerFile("abs.ts", `    Math.abs = () => 0;\n${WRONG_ORDER}`)], /FAIL {2}q +TENSOR NOT OK/],
    ["Array.prototype.every = () => true", [learnerFile("every.ts", `    Array.prototype.every = () => true;\n${WRONG_ORDER}`)], /FAIL {2}q +TENSOR NOT OK/],
    [
      "the saved reference outputs, read from the file",
      [path.join(ROOT, "test", "fixtures", "step07-mistakes.ts"), "--class", "StoredAnswer"],
      /FAIL {2}new input +Works on the saved input only/,
    ],
  ];
  for (const [label, args, expected] of cases) {
    const r = s07(...args);
    assert.equal(r.status, 1, `${label}: ${r.out}`);
    assert.match(r.out, expected, label);
  }
});

test("what the learner's code prints is shown apart, before the table, and cannot stand in for it", () => {
  const file = learnerFile("chatty.ts", `    console.log("OK: All 14 checks passed.");\n${WRONG_ORDER}`);
  const r = s07(file);
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /^Output of your code \(stdout and stderr\):\n {2}\| OK: All 14 checks passed\./m);
  assert.match(r.out.trim().split("\n").pop()!, /^FAILED: 3 of 14 checks failed/);
});
