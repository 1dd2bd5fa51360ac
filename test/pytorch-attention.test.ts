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
import { torchFixture, torchRan, readF32, HF_GPT2_PY } from "./torch";

// Float32 against another framework's float32: atol = rtol = 1e-4, as for c_attn.
const ATOL = 1e-4;
const RTOL = 1e-4;
const [C, NH] = [768, 12];
const LENGTHS = [7, 40];
const B = 2;

const PYTHON = HF_GPT2_PY + `
d, B, C, nh = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
lengths = [int(t) for t in sys.argv[5].split(",")]
sd = load_safetensors(d + "/attn.safetensors")

with torch.no_grad():
    for T in lengths:
        x = torch.from_numpy(np.fromfile(f"{d}/x{T}.f32", dtype="<f4").reshape(B, T, C))
        gpt2_attention(x, sd, "h.0.attn.", nh).numpy().astype("<f4").tofile(f"{d}/y{T}.f32")
        gpt2_attention(x, sd, "h.0.attn.", 1, proj=False).numpy().astype("<f4").tofile(f"{d}/single{T}.f32")
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
