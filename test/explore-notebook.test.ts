// The exploration notebook's notes under its plots: every figure is followed by a "What to look
// for" note with a paragraph for each weight source, and the grey line under the figure (which
// says which source drew it) names those paragraphs as they are written.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ROOT, readNotebook, sourceText } from "../scripts/build-notebooks";
import { weightsInUseText } from "../notebook-helpers/weights";

const EXPLORE = path.join(ROOT, "notebooks", "step07-explore.ipynb");

test("step07-explore: a 'What to look for' note under every figure, for both weight sources", () => {
  const nb = readNotebook(EXPLORE);
  const cells = nb.cells.map((c) => ({ type: c.cell_type, text: sourceText(c) }));
  const figures = cells.map((c, i) => [c, i] as const).filter(([c]) => c.type === "code" && /\bshow\((heatmap|bars)\(/.test(c.text));
  assert.equal(figures.length, 7, "figure cells");
  const standIn = weightsInUseText({ source: "stand-in", file: null });
  const real = weightsInUseText({ source: "real", file: "/x/model.safetensors" });
  const named = (line: string) => /read "([^"]+)"/.exec(line)![1];
  for (const [cell, i] of figures) {
    const next = cells[i + 1];
    assert.ok(next && next.type === "markdown" && next.text.startsWith("**What to look for.**"), `cell ${i}: no "What to look for" note right after it`);
    const byWeights = /\bw\.source\b/.test(cell.text);
    if (byWeights) {
      assert.match(cell.text, /showWeightsInUse\(w\);/, `cell ${i}: says which weights drew it`);
      assert.ok(next.text.includes(`**${named(standIn)}:**`), `cell ${i + 1}: no "${named(standIn)}" paragraph`);
      assert.ok(next.text.includes(`**${named(real)}**`), `cell ${i + 1}: no "${named(real)}" paragraph`);
      assert.match(next.text, /an expectation/, `cell ${i + 1}: real weights worded as an expectation`);
    } else {
      assert.match(next.text, /either weight source/, `cell ${i + 1}: a figure that does not use the weights says so`);
    }
  }
});
