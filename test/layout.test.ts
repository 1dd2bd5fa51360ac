// The layout keeps its promises: the checks load neither the plots nor GPT-2's vocabulary, the lib
// loads neither, and nothing in the repository points outside it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** Modules loaded by importing `entry`, in a fresh process. */
function loadedBy(entry: string): string[] {
  const code = `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
  const r = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", code], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as string[];
}

const PLOTS = /[\\/](plotly\.js-dist|notebook-helpers[\\/]plot)/;
const VOCABULARY = /[\\/]gpt-tokenizer[\\/]/;

test("importing checks/index loads neither plotly nor GPT-2's BPE vocabulary", () => {
  const loaded = loadedBy("./checks/index");
  assert.ok(loaded.some((f) => f.includes(`${path.sep}checks${path.sep}engine${path.sep}`)), "the engine itself was loaded");
  assert.deepEqual(loaded.filter((f) => PLOTS.test(f) || VOCABULARY.test(f)), []);
});

test("importing lib/index loads no notebook helper at all", () => {
  const loaded = loadedBy("./lib/index");
  assert.deepEqual(loaded.filter((f) => f.includes(`${path.sep}notebook-helpers${path.sep}`) || PLOTS.test(f) || VOCABULARY.test(f)), []);
});

test("notebook-helpers/index does load them (so the two tests above can fail)", () => {
  const loaded = loadedBy("./notebook-helpers/index");
  assert.ok(loaded.some((f) => VOCABULARY.test(f)) && loaded.some((f) => PLOTS.test(f)));
});

test("the repository stands alone: no file points to notes that live outside it", () => {
  // The names, spelled in pieces so that this file does not match itself.
  const outside = new RegExp(
    [
      ["PLATFORM", "md"].join("\\."),
      ["\\.\\.", "shared\\b"].join("/"), // the folder, with or without a slash after it
      ["[\"']\\.\\.[\"']", "\\s*[\"']shared[\"']"].join(","), // the folder as path.join's arguments
    ].join("|"),
  );
  const tracked = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  const offenders = tracked.filter((f) => !/\.(safetensors|png)$/.test(f) && outside.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
  assert.deepEqual(offenders, []);
});
