import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, selectBackend, Module, Linear, GPT2Config, GPT2SingleHeadQKV } from "../lib/index";

before(async () => {
  await selectBackend(undefined, { log: null });
});

class Block extends Module {
  attn = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 8, n_head: 2 }));
  proj = new Linear(8, 8, { bias: false });
  label = "not a parameter";
}
class Stack extends Module {
  h = [new Block(), new Block()];
  head = new Linear(8, 3);
}

test("namedParameters finds nested modules and arrays with dotted names", () => {
  const s = new Stack();
  const names = s.namedParameters().map(([n, p]) => `${n}:${p.shape.join("x")}`);
  assert.deepEqual(names, [
    "h.0.attn.c_attn.weight:8x24", "h.0.attn.c_attn.bias:24", "h.0.proj.weight:8x8",
    "h.1.attn.c_attn.weight:8x24", "h.1.attn.c_attn.bias:24", "h.1.proj.weight:8x8",
    "head.weight:8x3", "head.bias:3",
  ]);
  assert.equal(s.parameterCount(), 2 * (8 * 24 + 24 + 64) + 24 + 3);
  assert.deepEqual(new GPT2SingleHeadQKV().namedParameters().map(([n]) => n), ["c_attn.weight", "c_attn.bias"]);
  s.dispose();
});

test("loadStateDict assigns by name and leaves the caller's tensors alive", () => {
  const m = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 4, n_head: 1 }));
  const w = tf.ones([4, 12]);
  const b = tf.fill([12], 0.5);
  m.loadStateDict({ "c_attn.weight": w, "c_attn.bias": b });
  assert.deepEqual(Array.from(m.c_attn.bias!.dataSync()), new Array(12).fill(0.5));
  assert.equal(w.isDisposed, false);
  tf.dispose([w, b]);
  assert.equal(m.c_attn.weight.dataSync()[0], 1, "the module keeps its own copy");
  m.dispose();
});

test("loadStateDict names missing, unexpected and misshapen entries with both shapes, and loads nothing", () => {
  const m = new GPT2SingleHeadQKV(new GPT2Config({ n_embd: 4, n_head: 1 }));
  const before = Array.from(m.c_attn.weight.dataSync());
  const wT = tf.ones([12, 4]);
  const extra = tf.ones([3]);
  assert.throws(
    () => m.loadStateDict({ "c_attn.weight": wT, "c_attn.bais": extra }),
    (err: Error) => {
      assert.match(err.message, /"c_attn\.weight" has shape \[12, 4\] but the module expects \[4, 12\] \(it looks transposed/);
      assert.match(err.message, /missing "c_attn\.bias" \(expected shape \[12\]\)/);
      assert.match(err.message, /unexpected "c_attn\.bais"/);
      return true;
    },
  );
  assert.deepEqual(Array.from(m.c_attn.weight.dataSync()), before, "nothing was half-loaded");
  const wrong = tf.ones([4, 9]);
  const bias = tf.zeros([12]);
  assert.throws(() => m.loadStateDict({ "c_attn.weight": wrong, "c_attn.bias": bias }), /"c_attn\.weight" has shape \[4, 9\] but the module expects \[4, 12\]\.$/);
  const ok = tf.ones([4, 12]);
  m.loadStateDict({ "c_attn.weight": ok, "c_attn.bias": bias, ignored: extra }, { strict: false });
  ok.dispose();
  tf.dispose([wT, extra, wrong, bias]);
  m.dispose();
});

test("loadStateDict rejects a disposed tensor and casts int32 to float32", () => {
  const m = new Linear(2, 2);
  const w = tf.tensor2d([[1, 2], [3, 4]], [2, 2], "int32");
  const b = tf.zeros([2]);
  m.loadStateDict({ weight: w, bias: b });
  assert.equal(m.weight.dtype, "float32");
  assert.deepEqual(Array.from(m.weight.dataSync()), [1, 2, 3, 4]);
  b.dispose();
  assert.throws(() => m.loadStateDict({ weight: w, bias: b }), /"bias" has been disposed/);
  w.dispose();
  m.dispose();
});

test("Linear rejects impossible sizes", () => {
  assert.throws(() => new Linear(0, 4), /inFeatures must be a positive integer, got 0/);
  assert.throws(() => new Linear(4, 2.5), /outFeatures must be a positive integer, got 2.5/);
});

test("fromPretrained explains a file with no GPT-2 blocks and a misshapen c_attn", () => {
  const wte = tf.zeros([5, 4]);
  assert.throws(() => GPT2SingleHeadQKV.fromPretrained({ "wte.weight": wte }), /no GPT-2 block weights at all.*First keys: wte\.weight/);
  const w = tf.zeros([4, 4]);
  const b = tf.zeros([4]);
  assert.throws(() => GPT2SingleHeadQKV.fromPretrained({ "h.0.attn.c_attn.weight": w, "h.0.attn.c_attn.bias": b }), /has shape \[4, 4\]; a GPT-2 c_attn weight is \[n_embd, 3·n_embd\]/);
  const w3 = tf.zeros([4, 12]);
  assert.throws(() => GPT2SingleHeadQKV.fromPretrained({ "h.0.attn.c_attn.weight": w3 }), /"h\.0\.attn\.c_attn\.bias" is missing/);
  tf.dispose([wte, w, b, w3]);
});
