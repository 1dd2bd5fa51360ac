// The exploration notebooks' notes under their plots: every figure is followed by a "What to look
// for" note with a paragraph for each weight source, and the grey line under the figure (which
// says which source drew it) names those paragraphs as they are written. Which notebooks, and how
// many figures each shows, comes from test/notebooks/notebooks.json.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT, readNotebook, sourceText } from "../scripts/build-notebooks";
import { weightsInUseText } from "../notebook-helpers/weights";
import { MODEL_STAND_IN } from "../notebook-helpers/model";
import { notebookTable } from "./notebooks/common";

const EXPLORE = notebookTable().filter((n) => /-explore\.ipynb$/.test(n.file));

test("the exploration notebooks are in the table", () => {
  assert.deepEqual(EXPLORE.map((n) => n.file), ["step07-explore.ipynb", "step08-explore.ipynb", "step09-explore.ipynb"]);
});

for (const { file, figures: expected } of EXPLORE) {
  test(`${file}: a 'What to look for' note under every figure, for both weight sources`, () => {
    const nb = readNotebook(path.join(ROOT, "notebooks", file));
    const cells = nb.cells.map((c) => ({ type: c.cell_type, text: sourceText(c) }));
    const figures = cells.map((c, i) => [c, i] as const).filter(([c]) => c.type === "code" && /\bshow\(/.test(c.text));
    assert.equal(figures.length, expected, "figure cells (one figure each, as many as the table says)");
    const named = (line: string) => /read "([^"]+)"/.exec(line)![1];
    const standIn = named(weightsInUseText({ source: "stand-in", file: null }));
    const real = named(weightsInUseText({ source: "real", file: "/x/model.safetensors" }));
    assert.equal(standIn, named(weightsInUseText({ source: "stand-in", file: null }, MODEL_STAND_IN)), "the model's line names the same paragraph");
    for (const [cell, i] of figures) {
      const next = cells[i + 1];
      assert.ok(next && next.type === "markdown" && next.text.startsWith("**What to look for.**"), `cell ${i}: no "What to look for" note right after it`);
      const byWeights = /\b\w+\.source\b/.test(cell.text);
      if (byWeights) {
        assert.match(cell.text, /\bshow(Weights|Model)InUse\(\w+\);/, `cell ${i}: says which weights drew it`);
        assert.ok(next.text.includes(`**${standIn}:**`), `cell ${i + 1}: no "${standIn}" paragraph`);
        assert.ok(next.text.includes(`**${real}**`), `cell ${i + 1}: no "${real}" paragraph`);
        assert.match(next.text, /an expectation/, `cell ${i + 1}: real weights worded as an expectation`);
      } else {
        assert.match(next.text, /either weight source/, `cell ${i + 1}: a figure that does not use the weights says so`);
      }
    }
  });
}
