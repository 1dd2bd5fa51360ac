// The reference files: each step's regenerates byte for byte; step 07's agrees with an
// implementation outside this code base (numpy, when Debian's python3-numpy is there); and every
// way a file can be damaged is reported by the check as a clear error that says how to regenerate it.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, selectBackend, GPT2Config } from "../lib/index";
import { checkStep07, ReferenceFileError } from "../checks/index";
import { loadReference as loadAny, writeReference } from "../checks/engine/reference-file";
import { loadStep, stepIds } from "../checks/engine/steps";
import { step07 } from "../checks/step07/spec";
import { SingleHeadQKV } from "../checks/step07/solution";

const REFERENCE_FILE = step07.reference.file;
const loadReference = (file = REFERENCE_FILE) => loadAny(step07.reference, "07", file);

before(async () => {
  await selectBackend(undefined, { log: null });
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-ref-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Rewrite a safetensors file's JSON header (and optionally its bytes) into a new file. */
function variant(name: string, edit: (header: Record<string, any>, data: Buffer) => Buffer | void): string {
  const bytes = fs.readFileSync(REFERENCE_FILE);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  const data = Buffer.from(bytes.subarray(8 + n));
  const newData = edit(header, data) ?? data;
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([len, json, newData]));
  return file;
}

test("the stored file loads, is small, GPT-2-shaped, versioned and checksummed", () => {
  const ref = loadReference();
  assert.deepEqual(ref.dims, { B: 2, T: 8, C: 768 });
  assert.equal(ref.metadata.format, step07.reference.format);
  assert.equal(ref.metadata.version, step07.reference.version);
  for (const key of ["sha256_input", "sha256_q", "sha256_k", "sha256_v", "sha256_weight", "sha256_bias"]) {
    assert.match(ref.metadata[key], /^[0-9a-f]{64}$/, key);
  }
  const bias = ref.params["c_attn.bias"];
  assert.equal(ref.params["c_attn.weight"].length, 768 * 2304);
  assert.equal(bias.length, 2304);
  assert.equal(ref.outputs.q.length, 2 * 8 * 768);
  // A nonzero bias, at GPT-2's init scale, so that "forgot the bias" shows in the numbers.
  const std = Math.sqrt(bias.reduce((s, b) => s + b * b, 0) / bias.length);
  assert.ok(std > 0.015 && std < 0.025, `bias std ${std}`);
});

test("npm run make-reference regenerates every step's stored file byte for byte", () => {
  for (const id of stepIds()) {
    const spec = loadStep(id);
    // The check builds the learner's class with new GPT2Config(): the reference must have its width.
    assert.equal(spec.reference.n_embd, new GPT2Config().n_embd, `step ${id}: the reference's n_embd is not GPT2Config()'s`);
    const file = path.join(tmp, `regenerated-${id}.safetensors`);
    writeReference(spec.reference, id, file);
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(spec.reference.file)), `step ${id}: regenerated file differs: run \`npm run make-reference\` and commit`);
    assert.ok(fs.statSync(spec.reference.file).size < 300_000, `step ${id}: keep the repository small`);
  }
});

test("the stored Q, K, V agree with numpy in float64 (skipped without Debian's python3-numpy)", (t) => {
  const probe = spawnSync("/usr/bin/python3", ["-c", "import numpy"], { encoding: "utf8" });
  if (probe.status !== 0) {
    t.skip("no /usr/bin/python3 with numpy");
    return;
  }
  const ref = loadReference();
  const dump = (name: string, a: Float32Array) => fs.writeFileSync(path.join(tmp, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  dump("w.f32", ref.params["c_attn.weight"]);
  dump("b.f32", ref.params["c_attn.bias"]);
  dump("x.f32", ref.input);
  dump("qkv.f32", Float32Array.from([...ref.outputs.q, ...ref.outputs.k, ...ref.outputs.v]));
  const script = `
import numpy as np, sys
d = sys.argv[1]
load = lambda n: np.fromfile(d + "/" + n, dtype="<f4").astype(np.float64)
W = load("w.f32").reshape(768, 2304); b = load("b.f32"); x = load("x.f32").reshape(16, 768)
q, k, v = np.split(x @ W + b, 3, axis=-1)
got = load("qkv.f32").reshape(3, 16, 768)
print(max(float(np.abs(got[i] - e).max()) for i, e in enumerate((q, k, v))))
`;
  const run = spawnSync("/usr/bin/python3", ["-c", script, tmp], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const maxdiff = Number(run.stdout.trim());
  // Only the one rounding to float32 when the file was written: |v| < 4, so < 4 · 2^-24 ≈ 2.4e-7.
  assert.ok(maxdiff < 3e-7, `numpy vs stored: maxdiff ${maxdiff}`);
});

test("a damaged reference is a clear error that says how to regenerate it, never a crash", async () => {
  const cases: [string, string, RegExp][] = [
    ["missing", path.join(tmp, "nope.safetensors"), /is missing/],
    ["one flipped byte in q", variant("flipped.safetensors", (h, data) => {
      data[h.q.data_offsets[0] + 100] ^= 0x40;
    }), /is corrupted: the checksum of "q" does not match/],
    ["truncated", (() => {
      const f = path.join(tmp, "truncated.safetensors");
      fs.writeFileSync(f, fs.readFileSync(REFERENCE_FILE).subarray(0, 50_000));
      return f;
    })(), /is corrupted \(.*not a valid safetensors file/],
    ["not safetensors at all", (() => {
      const f = path.join(tmp, "text.safetensors");
      fs.writeFileSync(f, "hello, this is not a tensor file\n");
      return f;
    })(), /is corrupted/],
    ["another format", variant("format.safetensors", (h) => void (h.__metadata__.format = "something-else")), /is not a step 07 reference/],
    ["a future version", variant("version.safetensors", (h) => void (h.__metadata__.version = "99")), /has version "99"; this checker reads version 1/],
    ["a seed whose weights do not match", variant("seed.safetensors", (h) => void (h.__metadata__.seed = "12345")), /regenerated checksum of "c_attn.weight" does not match/],
    ["a tensor missing", variant("no-v.safetensors", (h) => void delete h.v), /has no tensor "v"/],
    ["an edited checksum", variant("sum.safetensors", (h) => void (h.__metadata__.sha256_k = "0".repeat(64))), /checksum of "k" does not match/],
  ];
  for (const [label, file, problem] of cases) {
    assert.throws(() => loadReference(file), (err: unknown) => err instanceof ReferenceFileError && problem.test((err as Error).message), label);
    const before = tf.memory().numTensors;
    const r = await checkStep07(SingleHeadQKV, { display: "none", referenceFile: file });
    assert.equal(r.passed, false, label);
    assert.equal(r.results.length, 1, label);
    assert.equal(r.results[0].name, "reference");
    assert.match(r.results[0].message, problem, label);
    assert.match(r.results[0].message, /Regenerate it with `npm run make-reference`/, label);
    assert.equal(tf.memory().numTensors, before);
  }
});
