// Engineers want the TypeScript numbers to match PyTorch's. This runs Hugging Face's GPT-2
// c_attn formulation in PyTorch (Debian's python3-torch): Conv1D is
// `torch.addmm(bias, x.view(-1, C), weight)` with weight [C, 3C], then
// `.split(C, dim=2)` into query, key, value. Same float32 inputs on both sides; compared on
// every tfjs backend this machine has. Skipped, saying why, where python3-torch is missing
// (CI installs it: see .ci/run).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, GPT2SingleHeadQKV, GPT2Config } from "../lib/index";
import { everyBackend } from "./backends";
import { normals, compare } from "./helpers";
import { torchFixture, torchRan, readF32 } from "./torch";

// Against float32 output of another framework both sides round differently, so the tolerance
// is atol = rtol = 1e-4 (measured differences: about 2.6e-6 on wasm, 1.1e-6 on cpu). Real bugs
// (missing bias, wrong split) are 1e-2 or larger.
const ATOL = 1e-4;
const RTOL = 1e-4;
const [B, T, C] = [2, 16, 768];

const PYTHON = `
import sys, numpy as np, torch
d, B, T, C = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = torch.from_numpy(np.fromfile(d + "/x.f32", dtype="<f4").reshape(B, T, C))
w = torch.from_numpy(np.fromfile(d + "/w.f32", dtype="<f4").reshape(C, 3 * C))
b = torch.from_numpy(np.fromfile(d + "/b.f32", dtype="<f4"))
with torch.no_grad():
    qkv = torch.addmm(b, x.view(-1, C), w).view(B, T, 3 * C)   # transformers' Conv1D.forward
    q, k, v = qkv.split(C, dim=2)                                # GPT2Attention: split(split_size, dim=2)
for name, t in (("q", q), ("k", k), ("v", v)):
    t.contiguous().numpy().astype("<f4").tofile(d + "/" + name + ".f32")
print(torch.__version__)
`;

const backends = everyBackend();
const torch = torchFixture(PYTHON, (dir) => {
  const x = normals(B * T * C, 1, 71);
  const w = normals(C * 3 * C, 0.02, 72);
  const b = normals(3 * C, 0.02, 73);
  fs.writeFileSync(path.join(dir, "x.f32"), Buffer.from(x.buffer));
  fs.writeFileSync(path.join(dir, "w.f32"), Buffer.from(w.buffer));
  fs.writeFileSync(path.join(dir, "b.f32"), Buffer.from(b.buffer));
  return [dir, String(B), String(T), String(C)];
});

const f32 = (name: string) => readF32(path.join(torch.dir, name));

test("GPT2SingleHeadQKV matches PyTorch's c_attn + split on every backend", async (t) => {
  if (!torchRan(t, torch)) return;
  const x = f32("x.f32"), w = f32("w.f32"), b = f32("b.f32");
  const expected = { q: f32("q.f32"), k: f32("k.f32"), v: f32("v.f32") };
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const model = new GPT2SingleHeadQKV(new GPT2Config());
    const wt = tf.tensor2d(w, [C, 3 * C]);
    const bt = tf.tensor1d(b);
    model.loadStateDict({ "c_attn.weight": wt, "c_attn.bias": bt });
    const xt = tf.tensor3d(x, [B, T, C]);
    const outs = model.forward(xt);
    (["q", "k", "v"] as const).forEach((name, i) => {
      const { maxDiff, firstBad } = compare(outs[i].dataSync(), expected[name], ATOL, RTOL);
      t.diagnostic(`${backend} ${name}: max |tfjs - torch ${torch.version}| = ${maxDiff.toExponential(2)}`);
      assert.equal(firstBad, -1, `${backend} ${name}: max diff ${maxDiff} vs PyTorch breaks atol ${ATOL} + rtol ${RTOL}`);
    });
    // And the comparison can fail: swapping q and k is far outside the tolerance.
    assert.notEqual(compare(outs[1].dataSync(), expected.q, ATOL, RTOL).firstBad, -1);
    tf.dispose([...outs, xt, wt, bt]);
    model.dispose();
  }
});
