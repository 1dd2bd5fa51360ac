// GPT2Attention against Hugging Face's GPT2Attention written out in PyTorch (Debian's
// python3-torch; the transformers package is not needed). The test writes a GPT-2-small-width
// block in Hugging Face's layout to a safetensors file, including the causal-mask buffer
// `h.0.attn.bias` [1, 1, 1024, 1024] that older exports carry. PyTorch reads that file with its
// own small parser and runs HF's formulation, using the file's mask buffer as HF does; the kit
// loads it with loadSafetensors + GPT2Attention.fromPretrained. Compared on every backend, at a
// length on each side of the wasm backend's switch to per-head products. Skipped, saying why,
// only where PyTorch is missing (never in CI).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, GPT2Attention, GPT2SingleHeadAttention, loadSafetensors, saveSafetensors } from "../lib/index";
import { everyBackend } from "./backends";
import { normals, compare, attnWeights, attnEntries, maskBufferEntry } from "./helpers";
import { torchFixture, torchRan, readF32 } from "./torch";

// Float32 against another framework's float32: atol = rtol = 1e-4, as for c_attn.
const ATOL = 1e-4;
const RTOL = 1e-4;
const [C, NH] = [768, 12];
const LENGTHS = [7, 40];
const B = 2;

const PYTHON = `
import sys, json, struct, numpy as np, torch
d, B, C, nh = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lengths = [int(t) for t in sys.argv[5].split(",")]

def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    out = {}
    for name, e in json.loads(raw[8:8 + n]).items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        a, b = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").copy()).view(e["shape"])
    return out

sd = load_safetensors(d + "/attn.safetensors")

def conv1d(x, w, b):  # transformers.pytorch_utils.Conv1D.forward
    size_out = x.size()[:-1] + (w.size(1),)
    return torch.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)

def gpt2_attention(x, nh, proj=True):  # transformers' GPT2Attention.forward (eval mode: no dropout)
    B, T, C = x.shape
    hs = C // nh
    query, key, value = conv1d(x, sd["h.0.attn.c_attn.weight"], sd["h.0.attn.c_attn.bias"]).split(C, dim=2)
    split_heads = lambda t: t.view(B, T, nh, hs).permute(0, 2, 1, 3)   # _split_heads: (B, nh, T, hs)
    query, key, value = split_heads(query), split_heads(key), split_heads(value)
    attn = torch.matmul(query, key.transpose(-1, -2))                    # _attn
    attn = attn / torch.full([], value.size(-1) ** 0.5, dtype=attn.dtype)
    q_len, k_len = query.size(-2), key.size(-2)
    causal_mask = sd["h.0.attn.bias"][:, :, k_len - q_len:k_len, :k_len].bool()
    mask_value = torch.full([], torch.finfo(attn.dtype).min, dtype=attn.dtype)
    attn = torch.where(causal_mask, attn, mask_value)
    attn = torch.nn.functional.softmax(attn, dim=-1)
    y = torch.matmul(attn, value)
    y = y.permute(0, 2, 1, 3).contiguous().view(B, T, C)                 # _merge_heads
    return conv1d(y, sd["h.0.attn.c_proj.weight"], sd["h.0.attn.c_proj.bias"]) if proj else y

with torch.no_grad():
    for T in lengths:
        x = torch.from_numpy(np.fromfile(f"{d}/x{T}.f32", dtype="<f4").reshape(B, T, C))
        gpt2_attention(x, nh).numpy().astype("<f4").tofile(f"{d}/y{T}.f32")
        gpt2_attention(x, 1, proj=False).numpy().astype("<f4").tofile(f"{d}/single{T}.f32")
print(torch.__version__)
`;

const backends = everyBackend();
const torch = torchFixture(PYTHON, (dir) => {
  saveSafetensors(
    path.join(dir, "attn.safetensors"),
    {
      ...attnEntries(attnWeights(C, 301), C, "h.0.attn."),
      "h.0.attn.bias": maskBufferEntry(1024),
      "h.0.attn.masked_bias": { shape: [], data: Float32Array.of(-1e4) },
    },
    { format: "pt" },
  );
  for (const T of LENGTHS) {
    const x = normals(B * T * C, 1, 310 + T);
    fs.writeFileSync(path.join(dir, `x${T}.f32`), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  }
  return [dir, String(B), String(C), String(NH), LENGTHS.join(",")];
});
const inDir = (name: string) => path.join(torch.dir, name);

test("GPT2Attention and GPT2SingleHeadAttention loaded from a Hugging Face file match PyTorch on every backend", async (t) => {
  if (!torchRan(t, torch)) return;
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const sd = loadSafetensors(inDir("attn.safetensors"));
    assert.deepEqual(sd["h.0.attn.bias"].shape, [1, 1, 1024, 1024], "the file carries the mask buffer");
    const attn = GPT2Attention.fromPretrained(sd, 0); // GPT-2 small's width: 12 heads, no config needed
    const single = GPT2SingleHeadAttention.fromPretrained(sd, 0);
    tf.dispose(Object.values(sd));
    assert.equal(attn.n_head, NH);
    for (const T of LENGTHS) {
      const x = tf.tensor3d(readF32(inDir(`x${T}.f32`)), [B, T, C]);
      for (const [name, model, file] of [["12 heads", attn, `y${T}.f32`], ["single head", single, `single${T}.f32`]] as const) {
        const y = model.forward(x);
        const expected = readF32(inDir(file));
        const { maxDiff, firstBad } = compare(y.dataSync(), expected, ATOL, RTOL);
        t.diagnostic(`${backend} ${name} T ${T}: max |tfjs - torch ${torch.version}| = ${maxDiff.toExponential(2)}`);
        assert.equal(firstBad, -1, `${backend} ${name} T ${T}: max diff ${maxDiff} vs PyTorch breaks atol ${ATOL} + rtol ${RTOL}`);
        y.dispose();
      }
      // The comparison can fail: the same weights without c_proj are far outside the tolerance.
      const noProj = single.forward(x);
      assert.notEqual(compare(noProj.dataSync(), readF32(inDir(`y${T}.f32`)), ATOL, RTOL).firstBad, -1);
      tf.dispose([x, noProj]);
    }
    attn.dispose();
    single.dispose();
  }
});
