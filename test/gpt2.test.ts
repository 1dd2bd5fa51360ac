// The whole model: GPT2LMHeadModel against a float64 forward pass written with plain loops
// (test/helpers.ts, no tfjs) on every backend; the KV cache against recomputing; generation
// (greedy, seeded sampling, top-k, streaming, stopping); loading a Hugging Face folder; leaks
// and input errors.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, GPT2Config, gpt2ParameterShapes, GPT2LMHeadModel, KVCache, geluNew, geluNewTanh, pickToken, seededRandom, readSafetensorsHeader } from "../lib/index";
import { everyBackend, loadEntries, tensors } from "./backends";
import { compare, geluF64, gpt2Entries, gpt2F64, writeModelFolder } from "./helpers";
import { kthLargest } from "../lib/gpt2";

// Against float64: as for the layers. A whole model accumulates more rounding than one layer,
// so the absolute tolerance is a little wider; real bugs (a missing residual, gelu's erf form, an
// untied head) move logits by 1e-2 or more.
const ATOL = 2e-5;
const RTOL = 1e-4;

const SIZES = { n_embd: 32, n_head: 4, n_layer: 2, n_positions: 24, vocab_size: 50, layer_norm_epsilon: 1e-5 };
const config = new GPT2Config(SIZES);
const entries = gpt2Entries(SIZES, 500);
const backends = everyBackend();

/** The test model, loaded by a plain name-to-name copy. */
const model = (): GPT2LMHeadModel => loadEntries(new GPT2LMHeadModel(config), entries);

const ids = (B: number, T: number, seed: number) =>
  Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (b * 17 + t * 7 + seed) % SIZES.vocab_size));

describe("GPT2LMHeadModel.forward", () => {
  test("logits match float64 loops on every backend", async (t) => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const m = model();
      for (const [B, T] of [[2, 5], [1, 18]]) {
        await t.test(`${backend} [${B}, ${T}]`, () => {
          const x = ids(B, T, 3);
          const logits = m.forward(x);
          assert.deepEqual(logits.shape, [B, T, SIZES.vocab_size]);
          const { maxDiff, firstBad } = compare(logits.dataSync(), gpt2F64(x, SIZES, entries), ATOL, RTOL);
          t.diagnostic(`${backend} [${B}, ${T}]: max |diff| vs float64 ${maxDiff.toExponential(2)}`);
          assert.equal(firstBad, -1, `max |diff| ${maxDiff}`);
          logits.dispose();
        });
      }
      // A tensor of ids gives the same logits.
      const idsTensor = tf.tensor2d(ids(2, 5, 3), [2, 5], "int32");
      const [a, b] = [m.forward(idsTensor), m.forward(ids(2, 5, 3))];
      assert.deepEqual(a.dataSync(), b.dataSync());
      tf.dispose([idsTensor, a, b]);
      m.dispose();
    }
  });

  test("the comparison can fail: 1% more in one block's c_fc weights is outside the tolerance", () => {
    const m = model();
    const x = ids(1, 6, 1);
    const wrong = { ...entries };
    wrong["h.0.mlp.c_fc.weight"] = { shape: entries["h.0.mlp.c_fc.weight"].shape, data: entries["h.0.mlp.c_fc.weight"].data.map((v) => v * 1.01) };
    const logits = m.forward(x);
    assert.notEqual(compare(logits.dataSync(), gpt2F64(x, SIZES, wrong), ATOL, RTOL).firstBad, -1);
    logits.dispose();
    m.dispose();
  });

  test("geluNew (computed as x·σ(2u)) is GPT-2's tanh form, as geluNewTanh writes it, on every backend", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const xs = Float32Array.from([-12, -6, -3, -2, -1, -0.5, -1e-3, 0, 0.3, 1, 2.5, 6, 20]);
      const x = tf.tensor1d(xs);
      const ref = Array.from(xs, geluF64);
      for (const f of [geluNew, geluNewTanh]) {
        const y = f(x);
        const { maxDiff, firstBad } = compare(y.dataSync(), ref, 1e-6, 1e-5);
        assert.equal(firstBad, -1, `${backend} ${f.name}: max |diff| ${maxDiff}`);
        y.dispose();
      }
      x.dispose();
    }
  });

  test("a KV cache gives the logits of recomputing the whole prefix, on every backend", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const m = model();
      const x = ids(2, 20, 5);
      const full = m.forward(x);
      const cache = new KVCache(SIZES.n_layer);
      const parts: tf.Tensor[] = [m.forward(x.map((r) => r.slice(0, 17)), cache)]; // the prompt, past the per-head switch
      for (let t = 17; t < 20; t++) parts.push(m.forward(x.map((r) => [r[t]]), cache)); // then one position at a time
      assert.equal(cache.length, 20);
      const stitched = tf.concat(parts, 1);
      const { maxDiff, firstBad } = compare(stitched.dataSync(), full.dataSync(), 1e-5, 1e-4);
      assert.equal(firstBad, -1, `${backend}: cached vs recomputed max |diff| ${maxDiff}`);
      assert.throws(() => m.forward([[1]], cache), /KV cache holds 2 sequences but the ids have 1/);
      assert.throws(() => m.forward(ids(2, 5, 0), cache), /20 cached positions \+ 5 tokens is more than the model's 24 positions/);
      const wrong = new KVCache(SIZES.n_layer + 1);
      assert.throws(() => m.forward([[1]], wrong), /the KV cache has 3 layers but the model 2/);
      const badX = tf.zeros([1, 2, 7]);
      assert.throws(() => m.h[0].forward(badX), /Block\.forward expects x of shape \[batch, seq, 32\], got shape \[1, 2, 7\]/);
      assert.throws(() => m.h[0].mlp.forward(badX), /MLP\.forward expects x of shape \[batch, seq, 32\]/);
      badX.dispose();
      cache.dispose();
      tf.dispose([full, stitched, ...parts]);
      m.dispose();
    }
  });

  test("parameter names are the checkpoint's, and the head is tied to wte (no parameter of its own)", () => {
    const m = new GPT2LMHeadModel(config);
    const names = m.namedParameters().map(([n]) => n);
    assert.deepEqual(names.sort(), Object.keys(entries).sort());
    assert.deepEqual(Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.shape])), gpt2ParameterShapes(config), "the shape table checkGPT2File uses");
    assert.equal(m.parameterCount(), Object.values(entries).reduce((n, e) => n + e.data.length, 0));
    m.dispose();
    const small = new GPT2LMHeadModel(new GPT2Config(), { initStd: 0 });
    assert.equal(small.parameterCount(), 124_439_808, "GPT-2 small: 124.4 M parameters");
    small.dispose();
  });

  test("bad ids get a message saying what is expected", () => {
    const m = model();
    const start = tf.memory().numTensors;
    assert.throws(() => m.forward([[1, 2], [3]]), /different lengths \(2, 1\)/);
    assert.throws(() => m.forward([[1, 50]]), /sequence 0 has 50 at position 1, not a token id in \[0, 50\)/);
    assert.throws(() => m.forward([[1.5]]), /not a token id/);
    assert.throws(() => m.forward([[]]), /empty/);
    assert.throws(() => m.forward([1, 2] as unknown as number[][]), /For one sequence use \[ids\]/);
    const flat = tf.tensor1d([1, 2], "int32");
    assert.throws(() => m.forward(flat), /got a tensor of shape \[2\]/);
    assert.throws(() => m.forward(ids(1, 25, 0)), /25 tokens is more than the model's 24 positions/);
    flat.dispose();
    assert.equal(tf.memory().numTensors, start);
    m.dispose();
  });

  test("embed is wte[ids] + wpe at the positions after the cache's, with forward's checks", () => {
    const m = model();
    const rowOf = (name: string, i: number) => entries[name].data.subarray(i * SIZES.n_embd, (i + 1) * SIZES.n_embd);
    const expected = (row: number[], from: number) => row.flatMap((id, t) => Array.from(rowOf("wte.weight", id), (w, c) => Math.fround(w + rowOf("wpe.weight", from + t)[c])));
    const x = m.embed([[5, 9, 2]]);
    assert.deepEqual(x.shape, [1, 3, SIZES.n_embd]);
    assert.deepEqual(Array.from(x.dataSync()), expected([5, 9, 2], 0));
    const cache = new KVCache(SIZES.n_layer);
    m.forward([[1, 2]], cache).dispose();
    const y = m.embed([[7]], cache);
    assert.deepEqual(Array.from(y.dataSync()), expected([7], 2));
    assert.equal(cache.length, 2, "embed leaves the cache as it was");
    assert.throws(() => m.embed([[1, 50]]), /GPT2LMHeadModel\.embed .*not a token id in \[0, 50\)/);
    tf.dispose([x, y]);
    cache.dispose();
    m.dispose();
  });
});

describe("GPT2LMHeadModel.generate", () => {
  test("greedy: each token is the argmax of the float64 logits of the sequence so far, with and without the KV cache", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const m = model();
      const prompt = ids(2, 4, 9);
      const [cached, recomputed] = [await m.generate(prompt, { maxNewTokens: 8, temperature: 0 }), await m.generate(prompt, { maxNewTokens: 8, temperature: 0, kvCache: false })];
      assert.deepEqual(cached, recomputed, `${backend}: the KV cache changes nothing`);
      const sequences = prompt.map((r, b) => [...r, ...cached[b]]);
      const logits = gpt2F64(sequences.map((s) => s.slice(0, -1)), SIZES, entries);
      const V = SIZES.vocab_size;
      for (const [b, s] of sequences.entries())
        for (let t = prompt[0].length; t < s.length; t++) {
          const row = logits.subarray((b * (s.length - 1) + t - 1) * V, (b * (s.length - 1) + t) * V);
          const sorted = Array.from(row).sort((x, y) => y - x);
          if (sorted[0] - sorted[1] > 1e-4) assert.equal(s[t], row.indexOf(sorted[0]), `${backend}: sequence ${b}, position ${t}`);
        }
      m.dispose();
    }
  });

  test("sampling: the same seed gives the same tokens, another seed others; topK 1 is greedy", async () => {
    const m = model();
    const prompt = [ids(1, 3, 2)[0]];
    const a = await m.generate(prompt, { maxNewTokens: 12, temperature: 1.5, seed: 7 });
    const b = await m.generate(prompt, { maxNewTokens: 12, temperature: 1.5, seed: 7, kvCache: false });
    const c = await m.generate(prompt, { maxNewTokens: 12, temperature: 1.5, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const greedy = await m.generate(prompt, { maxNewTokens: 12, temperature: 0 });
    assert.deepEqual(await m.generate(prompt, { maxNewTokens: 12, temperature: 1.5, topK: 1, seed: 3 }), greedy);
    // One sequence may be given as a plain array.
    assert.deepEqual(await m.generate(prompt[0], { maxNewTokens: 12, temperature: 0 }), greedy);
    m.dispose();
  });

  test("streams each token as it comes, stops at n_positions, and leaks nothing, even when the caller stops early", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const m = model();
      const params = tf.memory().numTensors;
      await m.generate([[1]], { maxNewTokens: 1 }); // on wasm this makes the kept wteᵀ
      const kept = tf.memory().numTensors - params;
      assert.equal(kept, backend === "wasm" ? 1 : 0, `${backend}: only wteᵀ, and only on wasm, outlives a call`);
      const start = tf.memory().numTensors;
      const seen: [number[], number][] = [];
      const out = await m.generate(ids(2, 20, 1), { maxNewTokens: 50, temperature: 0.8, seed: 1, onToken: (t, step) => seen.push([t, step]) });
      assert.equal(out[0].length, 4, "20 + 4 = 24 = n_positions");
      assert.deepEqual(seen.map(([, s]) => s), [0, 1, 2, 3]);
      assert.deepEqual(seen.map(([t]) => t[1]), out[1]);
      assert.deepEqual(await m.generate(ids(1, 24, 1), { maxNewTokens: 5 }), [[]]);
      assert.deepEqual(await m.generate(ids(1, 3, 1), { maxNewTokens: 0 }), [[]]);
      const streamed: number[] = [];
      for await (const [token] of m.stream([[3, 4]], { maxNewTokens: 10, temperature: 0 })) {
        streamed.push(token);
        if (streamed.length === 3) break; // the cache is freed when the loop stops early
      }
      assert.deepEqual(streamed, (await m.generate([[3, 4]], { maxNewTokens: 3, temperature: 0 }))[0]);
      assert.equal(tf.memory().numTensors, start, `${backend}: tensors leaked`);
      m.dispose();
      assert.equal(tf.memory().numTensors, params - Object.keys(entries).length, `${backend}: dispose frees the parameters and wteᵀ`);
    }
  });

  test("bad options are refused before anything runs", async () => {
    const m = model();
    await assert.rejects(m.generate([[1]], { temperature: -1 }), /temperature must be a number >= 0/);
    await assert.rejects(m.generate([[1]], { topK: 2.5 }), /topK must be a whole number/);
    await assert.rejects(m.generate([[1]], { maxNewTokens: -3 }), /maxNewTokens must be a whole number >= 0/);
    await assert.rejects(m.generate([[1]], { seed: -1 }), /seed must be a whole number/);
    await assert.rejects(m.generate([[99]]), /not a token id in \[0, 50\)/);
    m.dispose();
  });

  test("pickToken draws in proportion to softmax(logits / temperature), among the top k only", () => {
    const logits = Float32Array.from([2, 1, 0, -1, 0.5]);
    const random = seededRandom(42);
    for (const [temperature, topK] of [[1, 0], [0.5, 0], [1, 3]]) {
      const keep = topK ? [0, 1, 4] : [0, 1, 2, 3, 4];
      const w = Array.from(logits, (l, i) => (keep.includes(i) ? Math.exp(l / temperature) : 0));
      const sum = w.reduce((a, b) => a + b);
      const counts = new Array(5).fill(0);
      const n = 20000;
      for (let i = 0; i < n; i++) counts[pickToken(logits, temperature, topK, random)]++;
      counts.forEach((c, i) => {
        const p = w[i] / sum;
        const sd = Math.sqrt((n * p * (1 - p)) || 1);
        assert.ok(Math.abs(c - n * p) < 5 * sd, `T ${temperature} k ${topK}: token ${i} drawn ${c} times, expected ${(n * p).toFixed(0)}`);
      });
    }
    assert.equal(pickToken(Float32Array.from([1, 3, 3, 0]), 0, 0, random), 1, "greedy takes the first of equals");
    const r1 = seededRandom(9), r2 = seededRandom(9);
    assert.deepEqual([r1(), r1(), r1()], [r2(), r2(), r2()]);
  });

  test("top-k's floor (kthLargest) is the sorted logits' k-th largest, with ties, NaN and -0", () => {
    const random = seededRandom(5);
    const pool = [0, -0, 1, -1, 2.5, NaN, Infinity, -Infinity];
    for (let trial = 0; trial < 2000; trial++) {
      const n = 1 + Math.floor(random() * 30);
      const values = Float32Array.from({ length: n }, () => (random() < 0.4 ? pool[Math.floor(random() * pool.length)] : Math.round(random() * 8 - 4) / 2));
      const sorted = Float32Array.from(values).sort();
      for (let k = 1; k <= n; k++) assert.ok(Object.is(kthLargest(values, k), sorted[n - k]), `[${values.join(", ")}], k ${k}`);
    }
  });
});

describe("GPT2LMHeadModel.fromPretrained", () => {
  let dir = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gpt2-load-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A Hugging Face model folder: config.json + model.safetensors. */
  const folder = (name: string, e: Record<string, { shape: number[]; data: Float32Array }>, json: object | null = { ...SIZES, model_type: "gpt2" }): string =>
    writeModelFolder(path.join(dir, name), json, e, { format: "pt" });

  test("a folder, with or without the transformer. prefix and with the mask buffers, loads to the same model; the buffers are never read", async () => {
    const reference = model();
    const x = ids(2, 6, 4);
    const expected = reference.forward(x);
    const plain = folder("plain", gpt2Entries(SIZES, 500, { maskBuffers: true }));
    const prefixed = folder("prefixed", gpt2Entries(SIZES, 500, { prefix: "transformer.", maskBuffers: true }));
    // Record every byte range read from the files: none may touch a mask buffer.
    // (On node:fs itself: the lib's `import * as fs` reads its functions from there at each call.)
    const nodeFs: { readSync: (fd: number, buf: Uint8Array, off: number, len: number, pos: number) => number } = require("node:fs");
    const reads: [number, number][] = [];
    const readSync = nodeFs.readSync;
    nodeFs.readSync = (fd, buf, off, len, pos) => {
      reads.push([pos, pos + len]);
      return readSync(fd, buf, off, len, pos);
    };
    let fromPlain: GPT2LMHeadModel;
    try {
      fromPlain = GPT2LMHeadModel.fromPretrained(plain);
    } finally {
      nodeFs.readSync = readSync;
    }
    const loaded = [fromPlain, GPT2LMHeadModel.fromPretrained(path.join(prefixed, "model.safetensors"))];
    assert.ok(reads.length >= Object.keys(entries).length, "every parameter was read (the spy sees the reads)");
    const header = readSafetensorsHeader(path.join(plain, "model.safetensors"));
    const masks = header.entries.filter((e) => /attn\.bias$/.test(e.name) && !/c_attn|c_proj/.test(e.name));
    assert.equal(masks.length, SIZES.n_layer);
    const dataStart = header.dataStart;
    for (const m of masks) for (const [a, b] of reads) if (a >= dataStart) assert.ok(b <= m.begin || a >= m.end, `read [${a}, ${b}) overlaps ${m.name}`);
    for (const m of loaded) {
      const y = m.forward(x);
      assert.deepEqual(y.dataSync(), expected.dataSync());
      y.dispose();
      m.dispose();
    }
    // From tensors in memory, without a config: sizes from the tensors, heads given.
    const sd = tensors(gpt2Entries(SIZES, 500, { maskBuffers: true }));
    assert.throws(() => GPT2LMHeadModel.fromPretrained(sd), /n_embd 32, which is not a released GPT-2 size/);
    const fromSd = GPT2LMHeadModel.fromPretrained(sd, config);
    const y = fromSd.forward(x);
    assert.deepEqual(y.dataSync(), expected.dataSync());
    tf.dispose([y, expected, ...Object.values(sd)]);
    fromSd.dispose();
    reference.dispose();
  });

  test("problems name the file, the tensor and both shapes, and leave nothing behind", () => {
    const wrong = gpt2Entries(SIZES, 500);
    wrong["h.1.mlp.c_fc.weight"] = { shape: [32, 100], data: new Float32Array(3200) };
    delete wrong["ln_f.bias"];
    const bad = folder("bad", wrong);
    const extra = folder("extra", { ...gpt2Entries(SIZES, 500), "score.weight": { shape: [2, 32], data: new Float32Array(64) } });
    const noConfig = folder("no-config", gpt2Entries(SIZES, 500), null);
    const start = tf.memory().numTensors;
    assert.throws(
      () => GPT2LMHeadModel.fromPretrained(bad),
      (err: Error) =>
        err.message.includes(path.join(bad, "model.safetensors")) &&
        /"h\.1\.mlp\.c_fc\.weight" has shape \[32, 100\], expected \[32, 128\]/.test(err.message) &&
        /"ln_f\.bias" is missing \(expected shape \[32\]\)/.test(err.message),
    );
    assert.throws(() => GPT2LMHeadModel.fromPretrained(extra), /tensors this GPT-2 \(n_layer 2, n_embd 32.*\) does not have: score\.weight/);
    assert.throws(() => GPT2LMHeadModel.fromPretrained(noConfig), /config\.json does not exist/);
    assert.throws(() => GPT2LMHeadModel.fromPretrained(path.join(dir, "nowhere")), /does not exist\. Download GPT-2 small with `npm run weights`/);
    const wrongConfig = folder("wrong-config", gpt2Entries(SIZES, 500), { ...SIZES, n_layer: 3 });
    assert.throws(() => GPT2LMHeadModel.fromPretrained(wrongConfig), /"h\.2\.ln_1\.weight" is missing/);
    assert.equal(tf.memory().numTensors, start);
  });
});

test("the float64 reference itself: a model with zero weights but wte and wpe gives logits h·wteᵀ of ln_f(wte + wpe)", () => {
  // A check of the check: with every block's output projection at zero the blocks add nothing.
  const e = gpt2Entries(SIZES, 700);
  for (let l = 0; l < SIZES.n_layer; l++) for (const n of ["attn.c_proj", "mlp.c_proj"]) {
    e[`h.${l}.${n}.weight`] = { shape: e[`h.${l}.${n}.weight`].shape, data: new Float32Array(e[`h.${l}.${n}.weight`].data.length) };
    e[`h.${l}.${n}.bias`] = { shape: e[`h.${l}.${n}.bias`].shape, data: new Float32Array(e[`h.${l}.${n}.bias`].data.length) };
  }
  const logits = gpt2F64([[3]], SIZES, e);
  const C = SIZES.n_embd;
  const x = Array.from({ length: C }, (_, i) => e["wte.weight"].data[3 * C + i] + e["wpe.weight"].data[i]);
  const mean = x.reduce((a, b) => a + b) / C;
  const sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / C + 1e-5);
  const h = x.map((v, i) => ((v - mean) / sd) * e["ln_f.weight"].data[i] + e["ln_f.bias"].data[i]);
  const expect7 = h.reduce((a, v, i) => a + v * e["wte.weight"].data[7 * C + i], 0);
  assert.ok(Math.abs(logits[7] - expect7) < 1e-9);
});
