// For every step, the exercise and solution notebooks come from one source, and that source's
// solution is the canonical one in checks/stepNN/solution.ts. These tests fail when any of them
// drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import {
  ROOT, STUB_ERROR,
  buildAll, buildNotebook, driftedFiles, lessons, readNotebook, serializeNotebook, solutionRegions, sourceText, transformSource,
} from "../scripts/build-notebooks";
import type { Notebook } from "../scripts/build-notebooks";

const marker = (id: string): string => `// EXERCISE: step${id}`;
const SOURCE = lessons()[0].source;

/** Code tokens with comments, whitespace and `export` removed: what the class *does*. */
function codeTokens(code: string): string[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, /* skipTrivia */ true, ts.LanguageVariant.Standard, code);
  const out: string[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind !== ts.SyntaxKind.ExportKeyword) out.push(scanner.getTokenText());
  }
  return out;
}

/** The first class that extends Module in a file or cell: from the class keyword to its closing brace. */
function classText(code: string): { name: string; text: string } {
  const file = ts.createSourceFile("x.ts", code, ts.ScriptTarget.Latest, true);
  const decl = file.statements.find((s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && /\bextends\s+Module\b/.test(s.getText(file)));
  assert.ok(decl && decl.name, "no class that extends Module");
  return { name: decl.name.text, text: code.slice(decl.getStart(file), decl.getEnd()) };
}

function exerciseCell(nb: Notebook, id: string): string {
  const cells = nb.cells.filter((c) => c.cell_type === "code" && sourceText(c).startsWith(marker(id)));
  assert.equal(cells.length, 1, `exactly one code cell starts with "${marker(id)}"`);
  return sourceText(cells[0]);
}

test("every step's lesson has a source, and its committed exercise and solution are exactly what the source builds", () => {
  assert.ok(lessons().length >= 1);
  for (const { file, text } of buildAll()) {
    const committed = fs.readFileSync(file, "utf8");
    assert.ok(committed === text, `${path.relative(ROOT, file)} differs from a fresh build of its source: run npm run build:notebooks`);
  }
});

for (const lesson of lessons()) {
  const { id } = lesson;
  test(`step ${id}: the source's solution is the canonical checks/step${id}/solution.ts, token for token`, () => {
    const canonical = classText(fs.readFileSync(path.join(ROOT, "checks", `step${id}`, "solution.ts"), "utf8"));
    const solved = classText(transformSource(exerciseCell(readNotebook(lesson.source), id), "solution"));
    assert.equal(solved.name, canonical.name);
    assert.deepEqual(codeTokens(solved.text), codeTokens(canonical.text), `the notebook's ${solved.name} differs from checks/step${id}/solution.ts (comments aside)`);
    // and the committed solution notebook carries that same class
    assert.deepEqual(codeTokens(classText(exerciseCell(readNotebook(lesson.solution), id)).text), codeTokens(canonical.text));
  });

  test(`step ${id}: the exercise hides every line of the solution and stubs each region`, () => {
    const src = exerciseCell(readNotebook(lesson.source), id);
    const exercise = exerciseCell(readNotebook(lesson.exercise), id);
    const regions = solutionRegions(src);
    assert.ok(regions.length >= 2, "the constructor and forward each have a solution region");
    for (const region of regions) {
      for (const line of region.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("//"))) {
        assert.ok(!exercise.includes(line), `the exercise still contains solution code: ${line}`);
      }
    }
    const stubs = exercise.split(`throw new Error("${STUB_ERROR}");`).length - 1;
    assert.equal(stubs, regions.length, "one stub per solution region");
    assert.ok(!/BEGIN SOLUTION|END SOLUTION/.test(exercise + exerciseCell(readNotebook(lesson.solution), id)), "no markers left in the built notebooks");
    // The skeleton in checks/ and the exercise agree on the class and its two methods.
    const skeleton = fs.readFileSync(path.join(ROOT, "checks", `step${id}`, "skeleton.ts"), "utf8");
    const name = classText(skeleton).name;
    for (const sig of [`class ${name} extends Module`, "constructor(config: GPT2Config)", "forward(x: tf.Tensor)"]) {
      assert.ok(skeleton.includes(sig) && exercise.includes(sig), `both the skeleton and the exercise have ${sig}`);
    }
  });
}

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
  const built = serializeNotebook(buildNotebook(src, "solution", "07"));
  const edited = JSON.parse(built) as Notebook;
  const cell = edited.cells.find((c) => c.cell_type === "code" && sourceText(c).startsWith(marker("07")))!;
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
  const all = [
    ...lessons().map((l) => l.source),
    ...fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).map((f) => path.join(ROOT, "notebooks", f)),
  ];
  assert.ok(all.length >= 4);
  for (const file of all) {
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
