// npm run generate: with no weights, one message saying how to get them and exit 2; with a
// Hugging Face folder (here a tiny random model with GPT-2's vocabulary), the prompt, its
// continuation and the speed; bad arguments exit 2.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tokenize } from "../notebook-helpers/tokens";
import { gpt2Entries, writeModelFolder } from "./helpers";

const SIZES = { n_embd: 8, n_head: 2, n_layer: 1, n_positions: 16, vocab_size: 50257, layer_norm_epsilon: 1e-5 };
let dir = "";
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "generate-cli-"));
  writeModelFolder(dir, { ...SIZES, model_type: "gpt2" }, gpt2Entries(SIZES, 3, { maskBuffers: true }));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const generate = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/generate.ts", ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, QKV_BACKEND: "cpu", GPT2_WEIGHTS_DIR: "", ...env },
  });

test("without weights: one clear message naming `npm run weights`, exit 2", () => {
  const r = generate(["Hello", "--weights", path.join(dir, "nothing")]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no GPT-2 weights in .*nothing\/ \(missing config\.json and model\.safetensors\)\. Get GPT-2 small \(548 MB, once\) with:\n  npm run weights/);
  assert.equal(r.stdout, "");
});

test("with a model folder: the prompt, the continuation as it comes, then tokens per second; the seed repeats it", () => {
  const args = ["Hello, world", "--weights", dir, "--tokens", "5", "--seed", "7"];
  const a = generate(args);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.startsWith("Hello, world") && a.stdout.length > "Hello, world".length, a.stdout);
  assert.match(a.stderr, /5 tokens in [\d.]+ s: [\d.]+ tokens\/s .*seed 7, temperature 0\.8, top-k 40/);
  assert.equal(generate(args).stdout, a.stdout, "same seed, same text");
  const long = generate(["Hello, world", "--weights", dir, "--tokens", "50", "--temperature", "0"], { GPT2_WEIGHTS_DIR: dir });
  assert.equal(long.status, 0, long.stderr);
  const room = SIZES.n_positions - tokenize("Hello, world").ids.length;
  assert.match(long.stderr, new RegExp(`^${room} tokens in .*stopped at GPT-2's 16 positions`, "m"), "prompt + new tokens = n_positions");
});

test("bad arguments: exit 2 with the usage", () => {
  for (const args of [["--tokens", "-1"], ["--temperature", "hot"], ["--wat"], ["two", "prompts"]]) {
    const r = generate([...args, "--weights", dir]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /usage: npm run generate/);
  }
});
