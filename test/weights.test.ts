// The real-weights path of the exploration notebook, on small files in Hugging Face's GPT-2
// layout that this test writes (with its own writer, not lib's saveSafetensors).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, selectBackend, layerNorm, GPT2SingleHeadQKV, GPT2Config } from "../lib/index";
import { mulberry32 } from "../checks/engine/seeded";
import { loadLayer0Weights, loadRealLayer0, standInLayer0, findWeightsFile, WEIGHTS_ENV, embed, tokenize } from "../notebook-helpers/index";

const C = 48;
const VOCAB = 4096; // covers "The cat sat on the mat" (ids up to 3797)
const POS = 16;

/** Uniforms in [-0.5, 0.5), from the checks' seeded generator. */
function seeded(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => uniform() - 0.5;
}

/** Write an F32 safetensors file the way Hugging Face does: sorted names, padded header, __metadata__. */
function writeHF(file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    const { shape, data } = tensors[name];
    const buf = Buffer.alloc(data.length * 4);
    data.forEach((v, i) => buf.writeFloatLE(v, 4 * i));
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + buf.length] };
    blobs.push(buf);
    offset += buf.length;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([len, json, ...blobs]));
}

function tinyTensors(prefix = "", overrides: Record<string, number[]> = {}): Record<string, { shape: number[]; data: Float32Array }> {
  const rnd = seeded(42);
  const make = (shape: number[], scale: number, offset = 0) => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * rnd()) });
  const shapes: Record<string, [number[], number, number?]> = {
    "wte.weight": [[VOCAB, C], 0.2],
    "wpe.weight": [[POS, C], 0.02],
    "h.0.ln_1.weight": [[C], 0.2, 1],
    "h.0.ln_1.bias": [[C], 0.1],
    "h.0.attn.c_attn.weight": [[C, 3 * C], 0.04],
    "h.0.attn.c_attn.bias": [[3 * C], 0.04],
    // present in a real checkpoint, and never read by the notebook:
    "h.0.mlp.c_fc.weight": [[C, 4 * C], 0.04],
    "h.1.attn.c_attn.weight": [[C, 3 * C], 0.04],
    "ln_f.weight": [[C], 0, 1],
  };
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, [shape, scale, offset]] of Object.entries(shapes)) out[prefix + name] = make(overrides[name] ?? shape, scale, offset ?? 0);
  return out;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-weights-"));
const plain = path.join(dir, "model.safetensors");
const prefixed = path.join(dir, "prefixed.safetensors");
writeHF(plain, tinyTensors());
writeHF(prefixed, tinyTensors("transformer."));

test.before(async () => {
  await selectBackend("cpu", { log: null }); // exact float32 arithmetic for the comparisons below
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("loads only layer 0's embeddings, ln_1 and c_attn from a Hugging Face-layout file", () => {
  const before = tf.memory().numTensors;
  const w = loadRealLayer0(plain);
  assert.equal(w.source, "real");
  assert.equal(tf.memory().numTensors - before, 6, "wte, wpe, ln_1 weight/bias, c_attn weight/bias; not the MLP, block 1 or ln_f");
  assert.equal(w.config.n_embd, C);
  assert.equal(w.config.vocab_size, VOCAB);
  assert.equal(w.config.n_positions, POS);
  assert.deepEqual(w.c_attn.weight.shape, [C, 3 * C]);
  assert.match(w.notice, /Using real GPT-2 weights from .*model\.safetensors/);
  w.dispose();
  assert.equal(tf.memory().numTensors, before, "dispose frees everything it loaded");
});

test("the transformer. prefix that some exports add is accepted", () => {
  const w = loadRealLayer0(prefixed);
  assert.deepEqual(w.ln_1.weight.shape, [C]);
  assert.deepEqual(Object.keys(w.stateDict), ["h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias"]);
  w.dispose();
});

test("embedding, ln_1 and c_attn give the numbers computed by hand", () => {
  const w = loadRealLayer0(plain);
  const ids = tokenize("The cat sat on the mat").ids;
  assert.deepEqual(ids, [464, 3797, 3332, 319, 262, 2603]);
  const x = embed(ids, w); // (1, T, C)
  const h = layerNorm(x, w.ln_1.weight, w.ln_1.bias, 1e-5);
  const attn = GPT2SingleHeadQKV.fromPretrained(w.stateDict, 0);
  const [q, k, v] = attn.forward(h);
  // By hand, in float64, for token t = 4 (" the"):
  const t = 4;
  const file = tinyTensors();
  const row = (name: string, r: number, width: number) => Array.from(file[name].data.subarray(r * width, (r + 1) * width), Number);
  const xe = row("wte.weight", ids[t], C).map((a, i) => a + row("wpe.weight", t, C)[i]);
  const mean = xe.reduce((a, b) => a + b, 0) / C;
  const variance = xe.reduce((a, b) => a + (b - mean) ** 2, 0) / C;
  const g = Array.from(file["h.0.ln_1.weight"].data, Number);
  const be = Array.from(file["h.0.ln_1.bias"].data, Number);
  const hn = xe.map((a, i) => ((a - mean) / Math.sqrt(variance + 1e-5)) * g[i] + be[i]);
  const W = file["h.0.attn.c_attn.weight"].data;
  const b = file["h.0.attn.c_attn.bias"].data;
  const out = Array.from({ length: 3 * C }, (_, j) => hn.reduce((acc, hi, i) => acc + hi * W[i * 3 * C + j], b[j]));
  const got = [q, k, v].flatMap((m) => Array.from(tf.tidy(() => tf.slice(m, [0, t, 0], [1, 1, C]).dataSync())));
  const worst = Math.max(...got.map((g2, j) => Math.abs(g2 - out[j]) - (1e-5 + 1e-4 * Math.abs(out[j]))));
  assert.ok(worst <= 0, `q, k, v of token ${t} differ from the float64 computation by more than atol 1e-5 + rtol 1e-4`);
  tf.dispose([x, h, q, k, v]);
  attn.dispose();
  w.dispose();
});

test("wrong shapes and out-of-range tokens are explained, not crashed on", () => {
  const bad = path.join(dir, "bad.safetensors");
  writeHF(bad, tinyTensors("", { "h.0.attn.c_attn.weight": [C, 2 * C] }));
  assert.throws(() => loadRealLayer0(bad), /"h\.0\.attn\.c_attn\.weight" has shape \[48, 96\], expected \[48, 144\]/);
  const w = loadRealLayer0(plain);
  assert.throws(() => embed([5000], w), /token id 5000 is outside the 4096 rows/);
  w.dispose();
  const notGpt2 = path.join(dir, "other.safetensors");
  writeHF(notGpt2, { "encoder.weight": { shape: [2], data: new Float32Array(2) } });
  assert.throws(() => loadRealLayer0(notGpt2), /no "wte\.weight"/);
});

test("where the file is looked for: argument, then GPT2_SAFETENSORS, then weights/gpt2/; a missing asked-for file is an error", () => {
  const saved = process.env[WEIGHTS_ENV];
  const cwd = process.cwd();
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-noweights-"));
  try {
    process.chdir(empty);
    delete process.env[WEIGHTS_ENV];
    assert.equal(findWeightsFile().file, null);
    const w = loadLayer0Weights();
    assert.equal(w.source, "stand-in");
    assert.match(w.notice, /No real GPT-2 weights \(GPT2_SAFETENSORS is not set and weights\/gpt2\/model\.safetensors does not exist\).*seeded random stand-in/);
    w.dispose();

    process.env[WEIGHTS_ENV] = plain;
    assert.equal(findWeightsFile().file, plain);
    assert.equal(findWeightsFile(prefixed).file, prefixed, "an explicit path wins over the variable");

    process.env[WEIGHTS_ENV] = path.join(empty, "nope.safetensors");
    assert.throws(() => findWeightsFile(), /GPT2_SAFETENSORS points at .*nope\.safetensors, which does not exist/);

    delete process.env[WEIGHTS_ENV];
    fs.mkdirSync(path.join(empty, "weights", "gpt2"), { recursive: true });
    fs.copyFileSync(plain, path.join(empty, "weights", "gpt2", "model.safetensors"));
    assert.equal(findWeightsFile().file, path.join(empty, "weights", "gpt2", "model.safetensors"));
    // GPT2_SAFETENSORS=stand-in asks for the stand-in even with real weights on disk.
    process.env[WEIGHTS_ENV] = "stand-in";
    assert.equal(findWeightsFile().file, null);
    const forced = loadLayer0Weights();
    assert.equal(forced.source, "stand-in");
    assert.match(forced.notice, /No real GPT-2 weights \(GPT2_SAFETENSORS=stand-in asks for the stand-in\)/);
    forced.dispose();
  } finally {
    process.chdir(cwd);
    if (saved === undefined) delete process.env[WEIGHTS_ENV];
    else process.env[WEIGHTS_ENV] = saved;
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test("the stand-in is seeded: the same token always gets the same vector", () => {
  const a = standInLayer0(new GPT2Config(), 7);
  const b = standInLayer0(new GPT2Config(), 7);
  const ea = a.tokenEmbedding([262, 464, 262]);
  const eb = b.tokenEmbedding([262]);
  const rows = ea.arraySync();
  assert.deepEqual(rows[0], rows[2], "token 262 twice, one vector");
  assert.deepEqual(rows[0], eb.arraySync()[0], "same seed, same vector");
  assert.notDeepEqual(rows[0], rows[1]);
  tf.dispose([ea, eb]);
  a.dispose();
  b.dispose();
});

test("tokenEmbedding leaves only its result behind, for real and stand-in weights", () => {
  for (const w of [loadRealLayer0(plain), standInLayer0(new GPT2Config({ n_embd: C, n_head: 4 }), 7)]) {
    const before = tf.memory().numTensors;
    const rows = w.tokenEmbedding([464, 3797, 3332]);
    assert.deepEqual(rows.shape, [3, C]);
    assert.equal(tf.memory().numTensors, before + 1, `${w.source}: only the (T, C) result`);
    rows.dispose();
    w.dispose();
  }
});
