// The README stays true: its TypeScript snippets run as written (from the project root, with a
// small GPT-2 in Hugging Face's layout standing in for weights/gpt2), every `npm run` command it
// names exists, and the Debian packages it lists are the ones the set-up installs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GPT2Config, GPT2LMHeadModel, selectBackend } from "../lib/index";
import { writeModelFolder } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

function blocks(lang: string): string[] {
  return [...README.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
}

test("the README's TypeScript snippets run as written", async () => {
  const snippets = blocks("ts");
  assert.ok(snippets.length >= 3, "the README has TypeScript snippets");
  // A complete tiny GPT-2 (GPT-2's whole vocabulary, so any text tokenizes), where the snippets
  // look for weights/gpt2.
  await selectBackend(undefined, { log: null });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-readme-"));
  const config = new GPT2Config({ n_embd: 32, n_head: 4, n_layer: 2, n_positions: 64 });
  const model = new GPT2LMHeadModel(config);
  const entries = Object.fromEntries(model.namedParameters().map(([name, p]) => [name, { shape: p.shape, data: p.dataSync() as Float32Array }]));
  model.dispose();
  writeModelFolder(dir, { model_type: "gpt2", n_embd: 32, n_head: 4, n_layer: 2, n_positions: 64, vocab_size: 50257 }, entries);
  try {
    // In a git-ignored folder of the project, its imports ("./lib/index", written from the
    // project root's point of view) pointed one folder up.
    const scratch = path.join(ROOT, ".check-tmp");
    fs.mkdirSync(scratch, { recursive: true });
    snippets.forEach((code, i) => {
      const file = path.join(scratch, `readme-snippet-${process.pid}-${i}.ts`);
      fs.writeFileSync(file, code.replace(/from "\.\//g, 'from "../'));
      try {
        const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, GPT2_WEIGHTS_DIR: dir }, timeout: 120_000 });
        assert.equal(r.status, 0, `snippet ${i + 1} failed:\n${code}\n--- output:\n${r.stdout}${r.stderr}`);
      } finally {
        fs.rmSync(file, { force: true });
      }
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("every npm run command the README names exists", () => {
  const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
  const named = [...new Set([...README.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]))];
  assert.ok(named.length >= 10);
  assert.deepEqual(named.filter((n) => !scripts.includes(n)), []);
});

test("the Debian packages the README lists are the ones scripts/debian-packages.txt installs", () => {
  const listed = fs
    .readFileSync(path.join(ROOT, "scripts", "debian-packages.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.trim().startsWith("#"))
    .map((l) => l.trim().split(/\s+/)[1]);
  const m = /Debian packages \(all listed once in `scripts\/debian-packages\.txt`[\s\S]*?install from\): `([^`]+)`/.exec(README);
  assert.ok(m, "the README names the packages");
  assert.deepEqual(m[1].split(/\s+/).sort(), [...listed].sort());
});

test("the README has no placeholder left", () => {
  assert.doesNotMatch(README, /MEASURED-SPEED|TEST-TIMES|DEBIAN-PACKAGES|TODO/);
});
