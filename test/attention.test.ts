// Steps 08 and 09: causal attention and GPT-2's attention block against float64 references
// computed with plain loops (test/helpers.ts, no tfjs), on every backend this machine has; the
// causal rule itself, numerical stability, leaks, input errors, and loading from a checkpoint.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  tf, GPT2Config, causalAttention, causalAttentionParts, causalMask, GPT2SingleHeadAttention, GPT2Attention,
} from "../lib/index";
import { everyBackend, loadEntries, tensors } from "./backends";
import { normals, compare, causalAttentionF64, attentionBlockF64, attnWeights, attnEntries, maskBufferEntry } from "./helpers";

// Against a float64 reference, as for c_attn (test/forward.test.ts). Real bugs (no mask, a wrong
// scale, heads cut along the wrong axis) are 1e-2 or larger.
const ATOL = 1e-5;
const RTOL = 1e-4;

const backends = everyBackend();

function assertClose(actual: tf.Tensor, expected: ArrayLike<number>, what: string): void {
  const { maxDiff, firstBad } = compare(actual.dataSync(), expected, ATOL, RTOL);
  assert.equal(firstBad, -1, `${what}: max |diff| ${maxDiff} breaks atol ${ATOL} + rtol ${RTOL}`);
}

describe("causalAttention", () => {
  // [lead, Tq, Tk, hs, hv]: rank 2, 3 and 4; below and above the row count where the wasm
  // backend switches from one batched product to per-head 2-D products; Tq < Tk as with a KV cache.
  const cases: [number[], number, number, number, number][] = [
    [[], 4, 4, 8, 8],
    [[2], 17, 17, 6, 6],
    [[2, 3], 5, 5, 8, 8],
    [[1, 2], 20, 20, 8, 8],
    [[1, 2], 3, 7, 8, 8],
    [[1, 1], 16, 20, 4, 5],
    [[2, 2], 1, 9, 8, 8],
  ];
  test("matches float64 loops on every backend", async (t) => {
    assert.ok(backends.names.length >= 1);
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      for (const [lead, Tq, Tk, hs, hv] of cases) {
        await t.test(`${backend} q ${JSON.stringify([...lead, Tq, hs])} k ${JSON.stringify([...lead, Tk, hs])}`, () => {
          const N = lead.reduce((a, b) => a * b, 1);
          const qd = normals(N * Tq * hs, 1, 11), kd = normals(N * Tk * hs, 1, 12), vd = normals(N * Tk * hv, 1, 13);
          const q = tf.tensor(qd, [...lead, Tq, hs]), k = tf.tensor(kd, [...lead, Tk, hs]), v = tf.tensor(vd, [...lead, Tk, hv]);
          const y = causalAttention(q, k, v);
          assert.deepEqual(y.shape, [...lead, Tq, hv]);
          const ref = causalAttentionF64(qd, kd, vd, N, Tq, Tk, hs, hv);
          assertClose(y, ref.y, `${backend} y`);
          tf.dispose([q, k, v, y]);
        });
      }
    }
  });

  test("causalAttentionParts: scores, mask, weights and y, step by step", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const [N, T, hs] = [3, 6, 8];
      const qd = normals(N * T * hs, 1, 21), kd = normals(N * T * hs, 1, 22), vd = normals(N * T * hs, 1, 23);
      const q = tf.tensor3d(qd, [N, T, hs]), k = tf.tensor3d(kd, [N, T, hs]), v = tf.tensor3d(vd, [N, T, hs]);
      const parts = causalAttentionParts(q, k, v);
      const ref = causalAttentionF64(qd, kd, vd, N, T, T, hs, hs);
      assertClose(parts.scores, ref.scores, `${backend} scores`);
      assertClose(parts.weights, ref.weights, `${backend} weights`);
      assertClose(parts.y, ref.y, `${backend} y`);
      const masked = parts.masked.dataSync();
      const weights = parts.weights.dataSync();
      for (let n = 0; n < N; n++)
        for (let i = 0; i < T; i++) {
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const at = (n * T + i) * T + j;
            if (j > i) {
              assert.equal(masked[at], -Infinity, `masked[${n}, ${i}, ${j}] is a later position`);
              assert.equal(weights[at], 0);
            } else {
              assert.ok(Number.isFinite(masked[at]));
            }
            sum += weights[at];
          }
          assert.ok(Math.abs(sum - 1) < 1e-5, `row ${i} of the weights sums to ${sum}`);
        }
      const fast = causalAttention(q, k, v);
      assert.equal(compare(fast.dataSync(), parts.y.dataSync(), 1e-6, 1e-5).firstBad, -1, "causalAttention and causalAttentionParts agree");
      tf.dispose([q, k, v, fast, parts.scores, parts.masked, parts.weights, parts.y]);
    }
  });

  test("a position never sees a later one: changing the last key and value moves only the last output", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      for (const T of [6, 20]) {
        const hs = 8;
        const qd = normals(2 * T * hs, 1, 31), kd = normals(2 * T * hs, 1, 32), vd = normals(2 * T * hs, 1, 33);
        const k2 = kd.slice(), v2 = vd.slice();
        for (const n of [0, 1]) for (let d = 0; d < hs; d++) {
          k2[(n * T + T - 1) * hs + d] += 3;
          v2[(n * T + T - 1) * hs + d] -= 5;
        }
        const q = tf.tensor3d(qd, [2, T, hs]);
        const [a, b] = [[kd, vd], [k2, v2]].map(([kk, vv]) => {
          const k = tf.tensor3d(kk, [2, T, hs]), v = tf.tensor3d(vv, [2, T, hs]);
          const y = causalAttention(q, k, v).dataSync();
          tf.dispose([k, v]);
          return y;
        });
        for (let n = 0; n < 2; n++)
          for (let t = 0; t < T; t++) {
            const row = (n * T + t) * hs;
            const moved = Math.max(...Array.from({ length: hs }, (_, d) => Math.abs(a[row + d] - b[row + d])));
            if (t < T - 1) assert.ok(moved <= 1e-6, `${backend} T ${T}: position ${t} changed by ${moved} when only position ${T - 1} did`);
            else assert.ok(moved > 0.1, `${backend} T ${T}: the last position must see its own new value`);
          }
        q.dispose();
      }
    }
  });

  test("softmax stays finite for scores far beyond exp's float32 range", async () => {
    // Integer q and k, so the scores (up to ±1000, exp(1000) overflows float32) are exact and the
    // float64 reference is the right answer to float32 precision.
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      for (const T of [5, 18]) {
        const hs = 4;
        const qd = Float32Array.from({ length: T * hs }, (_, i) => ((i * 7) % 11) * 20 - 100);
        const kd = Float32Array.from({ length: T * hs }, (_, i) => ((i * 5) % 13) - 6);
        const vd = normals(T * hs, 1, 41);
        const q = tf.tensor3d(qd, [1, T, hs]), k = tf.tensor3d(kd, [1, T, hs]), v = tf.tensor3d(vd, [1, T, hs]);
        const ref = causalAttentionF64(qd, kd, vd, 1, T, T, hs, hs);
        assert.ok(Math.max(...Array.from(ref.scores).map(Math.abs)) > 100, "the scores really are large");
        const y = causalAttention(q, k, v);
        assert.ok(Array.from(y.dataSync()).every(Number.isFinite), `${backend}: no NaN or Infinity`);
        assertClose(y, ref.y, `${backend} T ${T}`);
        tf.dispose([q, k, v, y]);
      }
    }
  });

  test("causalMask: 0 where a query may look, -Infinity after, with earlier keys from a cache", () => {
    const m = causalMask(2, 4);
    assert.deepEqual(Array.from(m.dataSync()), [0, 0, 0, -Infinity, 0, 0, 0, 0]);
    m.dispose();
    assert.throws(() => causalMask(3, 2), /1 <= Tq <= Tk/);
  });

  test("bad inputs get a message naming the expected shapes, and leak nothing", () => {
    const start = tf.memory().numTensors;
    const q = tf.zeros([2, 4, 8]), k7 = tf.zeros([2, 4, 7]), k = tf.zeros([2, 4, 8]), kShort = tf.zeros([2, 3, 8]);
    const k4 = tf.zeros([1, 2, 4, 8]), vOther = tf.zeros([2, 5, 8]), ints = tf.zeros([2, 4, 8], "int32"), flat = tf.zeros([8]);
    const made = tf.memory().numTensors;
    assert.throws(() => causalAttention(q, k7, k), /same last axis \(head size\): got q \[2, 4, 8\], k \[2, 4, 7\]/);
    assert.throws(() => causalAttention(q, kShort, kShort), /fewer keys than queries/);
    assert.throws(() => causalAttention(q, k4, k4), /leading axes differ/);
    assert.throws(() => causalAttention(q, k, vOther), /k and v must have the same number of positions/);
    assert.throws(() => causalAttention(ints, k, k), /dtype int32: make it float32/);
    assert.throws(() => causalAttention(flat, k, k), /q \[\.\.\., Tq, hs\].*q is shape \[8\]/);
    assert.throws(() => causalAttention([[1]] as unknown as tf.Tensor, k, k), /q is a plain array/);
    assert.throws(() => causalAttentionParts(q, k7, k), /causalAttentionParts\(q, k, v\) takes/);
    assert.equal(tf.memory().numTensors, made, "a rejected call makes no tensors");
    tf.dispose([q, k7, k, kShort, k4, vOther, ints, flat]);
    assert.equal(tf.memory().numTensors, start);
  });
});

describe("GPT2SingleHeadAttention (step 08) and GPT2Attention (step 09)", () => {
  // [B, T, C, n_head]: T on both sides of the wasm per-head switch; GPT-2 small's width too.
  const cases: [number, number, number, number][] = [
    [2, 5, 48, 4],
    [1, 18, 24, 3],
    [1, 8, 768, 12],
  ];
  test("forward matches float64 loops on every backend", async (t) => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      for (const [B, T, C, nh] of cases) {
        await t.test(`${backend} [${B}, ${T}, ${C}], ${nh} heads`, () => {
          const xd = normals(B * T * C, 1, 51 + C);
          const x = tf.tensor3d(xd, [B, T, C]);
          const config = new GPT2Config({ n_embd: C, n_head: nh });

          const w1 = attnWeights(C, 60 + C, false);
          const single = loadEntries(new GPT2SingleHeadAttention(config), attnEntries(w1, C));
          const y1 = single.forward(x);
          assert.deepEqual(y1.shape, [B, T, C]);
          assertClose(y1, attentionBlockF64(xd, B, T, C, 1, w1), `${backend} single head`);

          const w = attnWeights(C, 70 + C);
          const attn = loadEntries(new GPT2Attention(config), attnEntries(w, C));
          const y = attn.forward(x);
          assert.deepEqual(y.shape, [B, T, C]);
          assertClose(y, attentionBlockF64(xd, B, T, C, nh, w), `${backend} ${nh} heads`);
          // The heads matter: the same weights read as one head give other numbers.
          if (nh > 1) assert.notEqual(compare(y.dataSync(), attentionBlockF64(xd, B, T, C, 1, w), ATOL, RTOL).firstBad, -1);

          tf.dispose([x, y1, y]);
          single.dispose();
          attn.dispose();
        });
      }
    }
  });

  test("parameters are named as in the checkpoint", () => {
    const config = new GPT2Config({ n_embd: 8, n_head: 2 });
    const attn = new GPT2Attention(config);
    const single = new GPT2SingleHeadAttention(config);
    assert.deepEqual(attn.namedParameters().map(([n, p]) => `${n} ${JSON.stringify(p.shape)}`), [
      "c_attn.weight [8,24]", "c_attn.bias [24]", "c_proj.weight [8,8]", "c_proj.bias [8]",
    ]);
    assert.deepEqual(single.namedParameters().map(([n]) => n), ["c_attn.weight", "c_attn.bias"]);
    assert.equal(attn.n_head, 2);
    attn.dispose();
    single.dispose();
  });

  test("forward leaks no tensors, on every backend and both formulations", async () => {
    for (const backend of backends.names) {
      await tf.setBackend(backend);
      const config = new GPT2Config({ n_embd: 16, n_head: 4 });
      const attn = new GPT2Attention(config, { seed: 1 });
      const single = new GPT2SingleHeadAttention(config, { seed: 2 });
      for (const T of [3, 20]) {
        const x = tf.randomNormal([2, T, 16]);
        const q = tf.randomNormal([2, 4, T, 4]);
        const start = tf.memory().numTensors;
        for (let i = 0; i < 5; i++) {
          for (const run of [() => attn.forward(x), () => single.forward(x), () => causalAttention(q, q, q)]) {
            const y = run();
            assert.equal(tf.memory().numTensors, start + 1, `${backend} T ${T}: exactly one output`);
            y.dispose();
          }
          const parts = causalAttentionParts(q, q, q);
          assert.equal(tf.memory().numTensors, start + 4);
          tf.dispose(Object.values(parts));
        }
        assert.equal(tf.memory().numTensors, start, `${backend} T ${T}: tensors leaked`);
        tf.dispose([x, q]);
      }
      attn.dispose();
      single.dispose();
    }
  });

  test("forward rejects a wrongly shaped input with a message naming the expected shape", () => {
    const attn = new GPT2Attention(new GPT2Config({ n_embd: 16, n_head: 4 }));
    const single = new GPT2SingleHeadAttention(new GPT2Config({ n_embd: 16, n_head: 4 }));
    const wide = tf.zeros([1, 3, 32]);
    const flat = tf.zeros([3, 16]);
    assert.throws(() => attn.forward(wide), /GPT2Attention\.forward expects x of shape \[batch, seq, 16\], got shape \[1, 3, 32\]/);
    assert.throws(() => attn.forward(flat), /\[batch, seq, 16\], got shape \[3, 16\]/);
    assert.throws(() => single.forward(wide), /GPT2SingleHeadAttention\.forward expects x of shape \[batch, seq, 16\]/);
    assert.throws(() => attn.forward(undefined as unknown as tf.Tensor), /got undefined/);
    tf.dispose([wide, flat]);
    attn.dispose();
    single.dispose();
  });
});

describe("GPT2Attention.fromPretrained", () => {
  const C = 16;
  const config = new GPT2Config({ n_embd: C, n_head: 4 });
  const w0 = attnWeights(C, 80);
  const w1 = attnWeights(C, 90);
  /** Two blocks in Hugging Face's layout, with the mask buffers older exports carry. */
  function checkpoint(prefix: string, buffers: boolean): Record<string, tf.Tensor> {
    const entries = { ...attnEntries(w0, C, `${prefix}h.0.attn.`), ...attnEntries(w1, C, `${prefix}h.1.attn.`) };
    if (buffers) {
      for (const i of [0, 1]) {
        entries[`${prefix}h.${i}.attn.bias`] = maskBufferEntry(1024);
        entries[`${prefix}h.${i}.attn.masked_bias`] = { shape: [], data: Float32Array.of(-1e4) };
      }
    }
    return tensors(entries);
  }

  for (const [prefix, buffers] of [["", false], ["transformer.", false], ["", true], ["transformer.", true]] as const) {
    test(`loads a block ${prefix ? "with" : "without"} the transformer. prefix, ${buffers ? "with" : "without"} the [1, 1, 1024, 1024] mask buffers`, () => {
      const sd = checkpoint(prefix, buffers);
      const before = tf.memory().numTensors;
      const attn = GPT2Attention.fromPretrained(sd, 1, config);
      assert.equal(tf.memory().numTensors, before + 4, "four parameters, nothing else kept");
      assert.deepEqual(Array.from(attn.c_proj.weight.dataSync()), Array.from(w1.cProjW!));
      assert.deepEqual(Array.from(attn.c_attn.bias!.dataSync()), Array.from(w1.cAttnB));
      const x = tf.tensor3d(normals(2 * 3 * C, 1, 5), [2, 3, C]);
      const y = attn.forward(x);
      assertClose(y, attentionBlockF64(x.dataSync(), 2, 3, C, 4, w1), "block 1");
      const single = GPT2SingleHeadAttention.fromPretrained(sd, 0);
      assert.deepEqual(Array.from(single.c_attn.weight.dataSync()), Array.from(w0.cAttnW));
      tf.dispose([x, y, ...Object.values(sd)]);
      attn.dispose();
      single.dispose();
    });
  }

  test("GPT-2 small's width needs no config: 12 heads", () => {
    const w = attnWeights(768, 7);
    const sd = tensors(attnEntries(w, 768, "h.0.attn."));
    const attn = GPT2Attention.fromPretrained(sd);
    assert.equal(attn.n_head, 12);
    attn.dispose();
    tf.dispose(Object.values(sd));
  });

  test("a missing block, a wrong shape, a missing tensor or a config that disagrees is a clear error, and leaks nothing", () => {
    const sd = checkpoint("", true);
    const start = tf.memory().numTensors;
    assert.throws(() => GPT2Attention.fromPretrained(sd, 3, config), /No "h\.3\.attn\.c_attn\.weight" in this state dict\. It has layers 0, 1; pass one of those as `layer`/);
    assert.throws(() => GPT2Attention.fromPretrained(sd, 0), /n_embd 16, which is not a released GPT-2 size.*pass the config/);
    assert.throws(() => GPT2Attention.fromPretrained(sd, 0, new GPT2Config({ n_embd: 32, n_head: 4 })), /is for n_embd 16, but the config has n_embd 32/);
    assert.throws(() => GPT2Attention.fromPretrained(sd, -1, config), /layer must be a block number/);

    const badProj = tf.zeros([C, 2 * C]);
    const bad = { ...sd, "h.0.attn.c_proj.weight": badProj };
    assert.throws(() => GPT2Attention.fromPretrained(bad, 0, config), /"h\.0\.attn\.c_proj\.weight" has shape \[16, 32\], expected \[16, 16\]/);
    const noBias: Record<string, tf.Tensor> = { ...sd };
    delete noBias["h.0.attn.c_proj.bias"];
    assert.throws(() => GPT2Attention.fromPretrained(noBias, 0, config), /"h\.0\.attn\.c_proj\.bias" is missing \(expected shape \[16\]\)/);
    const badAttn = { ...sd, "h.0.attn.c_attn.weight": badProj };
    assert.throws(() => GPT2Attention.fromPretrained(badAttn, 0, config), /"h\.0\.attn\.c_attn\.weight" has shape \[16, 32\]; a GPT-2 c_attn weight is \[n_embd, 3·n_embd\]/);
    assert.throws(() => GPT2Attention.fromPretrained({}, 0, config), /no GPT-2 block weights at all/);
    badProj.dispose();
    assert.equal(tf.memory().numTensors, start, "a failed load frees the module it started");
    tf.dispose(Object.values(sd));
  });
});
