// GPT2SingleHeadQKV.forward and Linear.forward against a float64 reference computed with plain
// loops (not tfjs), on every backend this machine has; plus input validation and tensor leaks.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { tf, GPT2Config, GPT2SingleHeadQKV, Linear } from "../lib/index";
import { everyBackend } from "./backends";
import { normals, linearF64, compare } from "./helpers";

// Against a float64 reference: measured max errors are 4e-7 (cpu) and 2.6e-6 (wasm)
// at this scale; real bugs (missing bias, wrong split) are 1e-2 or larger.
const ATOL = 1e-5;
const RTOL = 1e-4;

function qkvReference(B: number, T: number, C: number, seed: number) {
  const x = normals(B * T * C, 1, seed);
  const w = normals(C * 3 * C, 0.02, seed + 1);
  const b = normals(3 * C, 0.02, seed + 2);
  const y = linearF64(x, w, b, B * T, C, 3 * C); // (B*T, 3C) in float64
  const parts = [0, 1, 2].map((p) => {
    const out = new Float64Array(B * T * C);
    for (let r = 0; r < B * T; r++) for (let c = 0; c < C; c++) out[r * C + c] = y[r * 3 * C + p * C + c];
    return out;
  });
  return { x, w, b, q: parts[0], k: parts[1], v: parts[2] };
}

const backends = everyBackend();

describe("forward matches a float64 reference on every backend", () => {
  const cases: [number, number, number][] = [
    [2, 8, 768], // GPT-2 small width
    [1, 5, 48],
    [3, 1, 12],
  ];
  test("each available backend", async (t) => {
    assert.ok(backends.names.length >= 1, "at least one backend must be available");
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      for (const [B, T, C] of cases) {
        await t.test(`${backend} [${B}, ${T}, ${C}]`, () => {
          const ref = qkvReference(B, T, C, 1000 + C);
          const model = new GPT2SingleHeadQKV(GPT2Config.forWidth(C)); // the head count does not matter to this layer
          const w = tf.tensor2d(ref.w, [C, 3 * C]);
          const b = tf.tensor1d(ref.b);
          model.loadStateDict({ "c_attn.weight": w, "c_attn.bias": b });
          const x = tf.tensor3d(ref.x, [B, T, C]);
          const outs = model.forward(x);
          assert.equal(outs.length, 3);
          const names = ["q", "k", "v"] as const;
          outs.forEach((o, i) => {
            assert.deepEqual(o.shape, [B, T, C], `${names[i]} shape`);
            assert.equal(o.dtype, "float32");
            const { maxDiff, firstBad } = compare(o.dataSync(), ref[names[i]], ATOL, RTOL);
            assert.equal(firstBad, -1, `${backend} ${names[i]}: max |diff| ${maxDiff} breaks atol ${ATOL} + rtol ${RTOL}`);
          });
          tf.dispose([...outs, x, w, b]);
          model.dispose();
        });
      }
    }
  });
});

test("a missing bias would be caught at this tolerance (the test can fail)", () => {
  const ref = qkvReference(1, 4, 48, 7);
  const model = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 48, n_head: 4 }));
  const w = tf.tensor2d(ref.w, [48, 144]);
  const zeros = tf.zeros([144]);
  model.loadStateDict({ "c_attn.weight": w, "c_attn.bias": zeros });
  const x = tf.tensor3d(ref.x, [1, 4, 48]);
  const [q, k, v] = model.forward(x);
  assert.notEqual(compare(q.dataSync(), ref.q, ATOL, RTOL).firstBad, -1);
  tf.dispose([q, k, v, x, w, zeros]);
  model.dispose();
});

test("Linear works on any leading shape and without a bias", () => {
  const lin = new Linear(6, 4, { bias: false, seed: 3 });
  assert.equal(lin.bias, null);
  const x = tf.tensor(normals(2 * 3 * 5 * 6, 1, 9), [2, 3, 5, 6]);
  const y = lin.forward(x);
  assert.deepEqual(y.shape, [2, 3, 5, 4]);
  const ref = linearF64(x.dataSync() as Float32Array, lin.weight.dataSync() as Float32Array, null, 30, 6, 4);
  assert.equal(compare(y.dataSync(), ref, ATOL, RTOL).firstBad, -1);
  tf.dispose([x, y]);
  lin.dispose();
});

test("forward rejects a wrongly shaped input with a message naming the expected shape", () => {
  const model = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 48, n_head: 4 }));
  const bad = tf.zeros([2, 8, 64]);
  assert.throws(() => model.forward(bad), /expects x of shape \[batch, seq, 48\], got shape \[2, 8, 64\]/);
  const flat = tf.zeros([8, 48]);
  assert.throws(() => model.forward(flat), /\[batch, seq, 48\].*\[8, 48\]/);
  assert.throws(() => model.c_attn.forward(bad), /last axis of its input to be 48, got shape \[2, 8, 64\]/);
  assert.throws(() => model.forward(null as unknown as tf.Tensor), /expects x of shape/);
  tf.dispose([bad, flat]);
  model.dispose();
});

test("forward leaks no tensors, on every backend", async () => {
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const model = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 48, n_head: 4 }), { seed: 1 });
    const x = tf.randomNormal([2, 8, 48]);
    const start = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const outs = model.forward(x);
      assert.equal(tf.memory().numTensors, start + 3, `${backend}: forward must create exactly its 3 outputs`);
      tf.dispose(outs);
    }
    assert.equal(tf.memory().numTensors, start, `${backend}: tensors leaked`);
    x.dispose();
    model.dispose();
  }
});

test("module construction and dispose release every variable", () => {
  const start = tf.memory().numTensors;
  const model = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 48, n_head: 4 }));
  assert.equal(tf.memory().numTensors, start + 2, "weight and bias");
  model.dispose();
  assert.equal(tf.memory().numTensors, start);
});
