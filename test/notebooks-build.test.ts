// The exercise and solution notebooks come from one source, and that source's solution is the
// canonical one in checks/solutions/step07.ts. These tests fail when any of them drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import {
  ROOT, SOURCE, EXERCISE, SOLUTION, STUB_ERROR,
  buildAll, buildNotebook, driftedFiles, readNotebook, serializeNotebook, solutionRegions, sourceText, transformSource,
} from "../scripts/build-notebooks";
import type { Notebook } from "../scripts/build-notebooks";

const EXPLORE = path.join(ROOT, "notebooks", "step07-explore.ipynb");
const MARKER = "// EXERCISE: step07";

/** Code tokens with comments, whitespace and `export` removed: what the class *does*. */
function codeTokens(code: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, /* skipTrivia */ true, ts.LanguageVariant.Standard, code);
  const out: string[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind !== ts.SyntaxKind.ExportKeyword) out.push(scanner.getTokenText());
  }
  return out;
}

/** `class SingleHeadQKV ... }` from a file or cell: from the class keyword to its closing brace. */
function classText(code: string, name = "SingleHeadQKV"): string {
  const file = ts.createSourceFile("x.ts", code, ts.ScriptTarget.Latest, true);
  const decl = file.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === name);
  assert.ok(decl, `no class ${name}`);
  return code.slice(decl.getStart(file), decl.getEnd());
}

function exerciseCell(nb: Notebook): string {
  const cells = nb.cells.filter((c) => c.cell_type === "code" && sourceText(c).startsWith(MARKER));
  assert.equal(cells.length, 1, `exactly one code cell starts with "${MARKER}"`);
  return sourceText(cells[0]);
}

test("the committed exercise and solution notebooks are exactly what the source builds", () => {
  for (const { file, text } of buildAll()) {
    const committed = fs.readFileSync(file, "utf8");
    assert.ok(committed === text, `${path.relative(ROOT, file)} differs from a fresh build of ${path.relative(ROOT, SOURCE)}: run npm run build:notebooks`);
  }
});

test("the source's solution is the canonical checks/solutions/step07.ts, token for token", () => {
  const canonical = classText(fs.readFileSync(path.join(ROOT, "checks", "solutions", "step07.ts"), "utf8"));
  const solved = classText(transformSource(exerciseCell(readNotebook(SOURCE)), "solution"));
  assert.deepEqual(codeTokens(solved), codeTokens(canonical), "the notebook's SingleHeadQKV differs from checks/solutions/step07.ts (comments aside)");
  // and the committed solution notebook carries that same class
  assert.deepEqual(codeTokens(classText(exerciseCell(readNotebook(SOLUTION)))), codeTokens(canonical));
});

test("the exercise hides every line of the solution and stubs each region", () => {
  const src = exerciseCell(readNotebook(SOURCE));
  const exercise = exerciseCell(readNotebook(EXERCISE));
  const regions = solutionRegions(src);
  assert.ok(regions.length >= 2, "the constructor and forward each have a solution region");
  for (const region of regions) {
    for (const line of region.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("//"))) {
      assert.ok(!exercise.includes(line), `the exercise still contains solution code: ${line}`);
    }
  }
  const stubs = exercise.split(`throw new Error("${STUB_ERROR}");`).length - 1;
  assert.equal(stubs, regions.length, "one stub per solution region");
  assert.ok(!/BEGIN SOLUTION|END SOLUTION/.test(exercise + exerciseCell(readNotebook(SOLUTION))), "no markers left in the built notebooks");
  // The skeleton in checks/ and the exercise agree on the class and its two methods.
  const skeleton = fs.readFileSync(path.join(ROOT, "checks", "solutions", "step07-skeleton.ts"), "utf8");
  for (const sig of ["class SingleHeadQKV extends Module", "constructor(config: GPT2Config)", "forward(x: tf.Tensor): tf.Tensor[]"]) {
    assert.ok(skeleton.includes(sig) && exercise.includes(sig), `both the skeleton and the exercise have ${sig}`);
  }
});

test("markers: unbalanced regions are errors, and the two modes do what they say", () => {
  const code = ["a();", "  // BEGIN SOLUTION", "  b();", "  // END SOLUTION", "c();"].join("\n");
  assert.equal(transformSource(code, "solution"), "a();\n  b();\nc();");
  assert.equal(transformSource(code, "exercise"), `a();\n  // YOUR CODE HERE\n  throw new Error("${STUB_ERROR}");\nc();`);
  assert.throws(() => transformSource("// BEGIN SOLUTION\nx();", "exercise"), /never closed/);
  assert.throws(() => transformSource("x();\n// END SOLUTION", "exercise"), /without a BEGIN/);
  assert.throws(() => transformSource("// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION", "solution"), /inside the region/);
});

test("a drifted notebook is detected (what `npm run build:notebooks -- --check` reports)", () => {
  const src = readNotebook(SOURCE);
  const built = serializeNotebook(buildNotebook(src, "solution"));
  const edited = JSON.parse(built) as Notebook;
  const cell = edited.cells.find((c) => c.cell_type === "code" && sourceText(c).startsWith(MARKER))!;
  cell.source = sourceText(cell).replace("tf.split(qkv, 3, -1)", "tf.split(qkv, 3, 0)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-drift-"));
  try {
    const same = path.join(dir, "same.ipynb");
    const drifted = path.join(dir, "drifted.ipynb");
    fs.writeFileSync(same, built);
    fs.writeFileSync(drifted, serializeNotebook(edited));
    const missing = path.join(dir, "missing.ipynb");
    assert.deepEqual(
      driftedFiles([same, drifted, missing].map((file) => ({ file, text: built }))),
      [drifted, missing],
      "an edited notebook and a missing one are stale; an identical one is not",
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("every notebook is committed without outputs and uses the project-local kernel", () => {
  for (const file of [SOURCE, EXERCISE, SOLUTION, EXPLORE]) {
    const nb = readNotebook(file);
    const rel = path.relative(ROOT, file);
    assert.equal((nb.metadata.kernelspec as { name: string }).name, "tslab-qkv", `${rel}: kernelspec`);
    for (const c of nb.cells.filter((c) => c.cell_type === "code")) {
      assert.deepEqual(c.outputs, [], `${rel}: cell ${c.id} has outputs; clear them before committing`);
      assert.equal(c.execution_count, null, `${rel}: cell ${c.id} has an execution count`);
    }
    // Imports name the file (tslab needs "./lib/index", not "./lib" or "../lib/index.ts").
    for (const c of nb.cells) {
      for (const m of sourceText(c).matchAll(/from "([^"]+)"/g)) {
        assert.match(m[1], /^\.\/(lib|notebook-helpers|checks)\/index$/, `${rel}: import "${m[1]}"`);
      }
    }
  }
  const kernel = JSON.parse(fs.readFileSync(path.join(ROOT, "jupyter", "kernels", "tslab-qkv", "kernel.json"), "utf8"));
  assert.match(kernel.argv.join(" "), /cd "\$0\/\.\.\/\.\.\/\.\." && exec node_modules\/\.bin\/tslab kernel/);
});
