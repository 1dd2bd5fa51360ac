// notebook-helpers/patterns.ts: the block-by-block pass that the exploration notebooks use to see
// every layer's attention weights. It must be the model's own forward (same logits, same output of
// every block), its weights must be causal attention's (rows summing to 1, zeros in the future, the
// same numbers as float64 loops on the same q and k), and it must free everything.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { tf, GPT2Config, GPT2LMHeadModel } from "../lib/index";
import {
  attentionPatterns, forwardWithAttention, blockWithWeights,
  entropyBits, meanEntropyBits, uniformEntropyBits, futureMask,
} from "../notebook-helpers/patterns";
import { everyBackend } from "./backends";
import { causalAttentionF64, compare } from "./helpers";

const SIZES = { n_embd: 32, n_head: 4, n_layer: 2, vocab_size: 100, n_positions: 16 };
const IDS = [5, 17, 99, 0, 42, 17, 63, 8, 5, 71, 30]; // T = 11, a repeated token, the first and last ids
const backends = everyBackend();

/** A tiny random model; its LayerNorms get non-trivial weights so that a skipped ln shows. */
function tinyModel(): GPT2LMHeadModel {
  const m = new GPT2LMHeadModel(new GPT2Config(SIZES));
  for (const [name, p] of m.namedParameters()) {
    if (/ln_\w+\.(weight|bias)$/.test(name)) {
      const t = tf.tidy(() => tf.add(tf.randomNormal(p.shape, 0, 0.2, "float32", name.length), name.endsWith("weight") ? 1 : 0));
      p.assign(t);
      t.dispose();
    }
  }
  return m;
}

const flat = (t: tf.Tensor) => Array.from(t.dataSync());

describe("forwardWithAttention", () => {
  test("gives the model's own logits (within 1e-5) on every backend", async (t) => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const m = tinyModel();
      await t.test(backend, () => {
        const { patterns, hidden } = forwardWithAttention(m, IDS);
        const [mine, theirs] = [m.lmHead(hidden), m.forward([IDS])];
        assert.deepEqual(hidden.shape, [1, IDS.length, SIZES.n_embd]);
        const { maxDiff, firstBad } = compare(flat(mine), flat(theirs), 1e-5, 0);
        t.diagnostic(`${backend}: max |logits difference| ${maxDiff.toExponential(2)}`);
        assert.equal(firstBad, -1, `max |diff| ${maxDiff}`);
        assert.equal(patterns.length, SIZES.n_layer);
        tf.dispose([hidden, mine, theirs]);
      });
      m.dispose();
    }
    await tf.setBackend(backends.original);
  });

  test("each block's output is Block.forward's (within 1e-5)", () => {
    const m = tinyModel();
    let x = tf.randomNormal([1, 9, SIZES.n_embd], 0, 1, "float32", 7) as tf.Tensor3D;
    for (const [l, block] of m.h.entries()) {
      const mine = blockWithWeights(block, x);
      const theirs = block.forward(x);
      const { maxDiff, firstBad } = compare(flat(mine.x), flat(theirs), 1e-5, 0);
      assert.equal(firstBad, -1, `block ${l}: max |diff| ${maxDiff}`);
      assert.deepEqual(mine.weights.shape, [1, SIZES.n_head, 9, 9]);
      tf.dispose([x, mine.weights, theirs]);
      x = mine.x;
    }
    x.dispose();
    m.dispose();
  });
});

describe("attentionPatterns", () => {
  test("[layer][head][t][s]: rows sum to 1, exact zeros in the future, nothing negative", () => {
    const m = tinyModel();
    const patterns = attentionPatterns(m, IDS);
    const T = IDS.length;
    assert.equal(patterns.length, SIZES.n_layer);
    for (const [l, layer] of patterns.entries()) {
      assert.equal(layer.length, SIZES.n_head, `layer ${l}: heads`);
      for (const [h, p] of layer.entries()) {
        assert.equal(p.length, T);
        p.forEach((row, t) => {
          assert.equal(row.length, T);
          const sum = row.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-5, `layer ${l} head ${h} row ${t} sums to ${sum}`);
          row.forEach((w, s) => {
            if (s > t) assert.equal(w, 0, `layer ${l} head ${h}: query ${t} sees the later key ${s}`);
            else assert.ok(w >= 0, `layer ${l} head ${h} [${t}][${s}] = ${w}`);
          });
        });
        assert.equal(p[0][0], 1, "the first token can only attend to itself");
      }
    }
    m.dispose();
  });

  test("layer 0's weights are causal attention's on its own q and k (float64 loops), head by head", () => {
    const m = tinyModel();
    const [T, C, nh] = [IDS.length, SIZES.n_embd, SIZES.n_head];
    const hs = C / nh;
    const [patterns] = attentionPatterns(m, IDS, [0]);
    // q and k of block 0 from its own modules, cut into heads here with plain index arithmetic.
    const [q, k] = tf.tidy(() => {
      const x = tf.add(tf.gather(m.wte.weight, tf.tensor1d(IDS, "int32")), tf.slice(m.wpe.weight, [0, 0], [T, C])); // (T, C)
      const qkv = m.h[0].attn.c_attn.forward(m.h[0].ln_1.forward(x)); // (T, 3C)
      return [flat(tf.slice(qkv, [0, 0], [T, C])), flat(tf.slice(qkv, [0, C], [T, C]))];
    });
    for (let h = 0; h < nh; h++) {
      const head = (a: number[]) => Array.from({ length: T * hs }, (_, i) => a[Math.floor(i / hs) * C + h * hs + (i % hs)]); // (T, hs)
      const ref = causalAttentionF64(head(q), head(k), head(k), 1, T, T, hs, hs).weights; // v does not change the weights
      const { maxDiff, firstBad } = compare(patterns[h].flat(), ref, 1e-6, 1e-5);
      assert.equal(firstBad, -1, `head ${h}: max |diff| ${maxDiff}`);
    }
    m.dispose();
  });

  test("a subset of layers, in the order asked, is the same as from the full pass", () => {
    const m = tinyModel();
    const all = attentionPatterns(m, IDS);
    const some = attentionPatterns(m, IDS, [1, 0]);
    assert.deepEqual(some, [all[1], all[0]]);
    const { patterns, hidden } = forwardWithAttention(m, IDS, [1]);
    hidden.dispose();
    assert.deepEqual(patterns, [all[1]]);
    m.dispose();
  });

  test("frees every tensor it makes, and makes none when the request is wrong", () => {
    const m = tinyModel();
    const start = tf.memory().numTensors;
    attentionPatterns(m, IDS);
    attentionPatterns(m, IDS, [0]);
    forwardWithAttention(m, IDS).hidden.dispose();
    assert.equal(tf.memory().numTensors, start, "tensors leaked");
    const cases: [number[], number[] | undefined, RegExp][] = [
      [[], undefined, /1 to 16 token ids/],
      [Array(17).fill(1), undefined, /1 to 16 token ids/],
      [[1, 100], undefined, /100 at position 1 is not a token id in \[0, 100\)/],
      [[1, 2.5], undefined, /2\.5 at position 1/],
      [[1, 2], [2], /layer 2 is not one of the model's layers 0 … 1/],
    ];
    for (const [ids, layers, message] of cases) {
      assert.throws(() => attentionPatterns(m, ids, layers), message);
      assert.throws(() => forwardWithAttention(m, ids, layers), message);
    }
    assert.equal(tf.memory().numTensors, start, "a rejected call made tensors");
    m.dispose();
  });
});

describe("entropy and the mask", () => {
  test("entropyBits: 0 for one key, log₂ n for n equal weights", () => {
    assert.equal(entropyBits([1, 0, 0]), 0);
    assert.equal(entropyBits([0.5, 0.5, 0]), 1);
    assert.ok(Math.abs(entropyBits([0.25, 0.25, 0.25, 0.25]) - 2) < 1e-12);
    assert.ok(Math.abs(entropyBits([0.9, 0.1]) - 0.4690) < 1e-4);
  });

  test("uniform causal attention has meanEntropyBits = uniformEntropyBits, the most a causal pattern can have", () => {
    const T = 6;
    const uniform = Array.from({ length: T }, (_, t) => Array.from({ length: T }, (_, s) => (s <= t ? 1 / (t + 1) : 0)));
    const expected = [1, 2, 3, 4, 5, 6].reduce((a, n) => a + Math.log2(n), 0) / T;
    assert.ok(Math.abs(uniformEntropyBits(T) - expected) < 1e-12);
    assert.ok(Math.abs(meanEntropyBits(uniform) - expected) < 1e-12);
    const peaked = uniform.map((row, t) => row.map((_, s) => (s === t ? 1 : 0)));
    assert.equal(meanEntropyBits(peaked), 0);
    assert.equal(uniformEntropyBits(1), 0);
  });

  test("futureMask: true exactly where the key comes after the query", () => {
    assert.deepEqual(futureMask(3), [[false, true, true], [false, false, true], [false, false, false]]);
  });
});
