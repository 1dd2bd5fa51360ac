// The whole model against Hugging Face's GPT2LMHeadModel written out in PyTorch (test/torch.ts).
// The test writes a small random model as a Hugging Face folder (config.json + model.safetensors
// with the mask buffers: 2 layers, 64 wide, 4 heads, a 200-token vocabulary); the kit loads it with
// GPT2LMHeadModel.fromPretrained. Logits must agree on every backend within atol = rtol = 1e-4,
// and greedy continuations must be the same tokens, with and without the KV cache.
// Where real GPT-2 weights are on disk (weights/gpt2/, or GPT2_WEIGHTS_DIR), the first greedy
// tokens of a fixed prompt are compared too; otherwise that test skips, saying so.
// Skipped, saying why, only where PyTorch is missing (never in CI).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf, GPT2LMHeadModel } from "../lib/index";
import { tokenize } from "../notebook-helpers/tokens";
import { everyBackend } from "./backends";
import { compare, gpt2Entries, writeModelFolder } from "./helpers";
import { torchFixture, torchRan, readF32, readI32, HF_GPT2_PY } from "./torch";

const ATOL = 1e-4;
const RTOL = 1e-4;
const SIZES = { n_embd: 64, n_head: 4, n_layer: 2, n_positions: 64, vocab_size: 200, layer_norm_epsilon: 1e-5 };
const LOGIT_IDS = [Array.from({ length: 20 }, (_, t) => (t * 37 + 5) % 200), Array.from({ length: 20 }, (_, t) => (t * 11 + 101) % 200)];
const PROMPTS = [[5, 17, 42, 99, 3], [150, 2, 77, 23, 190]];
const NEW_TOKENS = 12;
const REAL_DIR = process.env.GPT2_WEIGHTS_DIR || path.join("weights", "gpt2");
const REAL_PROMPT = "The meaning of life is";
const REAL_TOKENS = 8;
const hasRealWeights = ["config.json", "model.safetensors"].every((f) => fs.existsSync(path.join(REAL_DIR, f)));

const PYTHON = HF_GPT2_PY + `
d, real = sys.argv[1], sys.argv[2]
ids = lambda name, rows: torch.from_numpy(np.fromfile(f"{d}/{name}", dtype="<i4").astype("int64").reshape(rows, -1))
with torch.no_grad():
    cfg = json.load(open(d + "/model/config.json"))
    sd = load_safetensors(d + "/model/model.safetensors")
    gpt2_logits(ids("logit-ids.i32", 2), sd, cfg).numpy().astype("<f4").tofile(d + "/logits.f32")
    greedy(ids("prompts.i32", 2), sd, cfg, int(sys.argv[3])).numpy().astype("<i4").tofile(d + "/greedy.i32")
    if real != "-":
        cfg, sd = json.load(open(real + "/config.json")), load_safetensors(real + "/model.safetensors")
        greedy(ids("real-prompt.i32", 1), sd, cfg, int(sys.argv[4])).numpy().astype("<i4").tofile(d + "/real.i32")
print(torch.__version__)
`;

const i32 = (rows: number[][]) => Buffer.from(Int32Array.from(rows.flat()).buffer);

const backends = everyBackend();
const torch = torchFixture(PYTHON, (dir) => {
  writeModelFolder(path.join(dir, "model"), { ...SIZES, model_type: "gpt2", n_ctx: SIZES.n_positions }, gpt2Entries(SIZES, 900, { maskBuffers: true }), { format: "pt" });
  fs.writeFileSync(path.join(dir, "logit-ids.i32"), i32(LOGIT_IDS));
  fs.writeFileSync(path.join(dir, "prompts.i32"), i32(PROMPTS));
  if (hasRealWeights) fs.writeFileSync(path.join(dir, "real-prompt.i32"), i32([tokenize(REAL_PROMPT).ids]));
  return [dir, hasRealWeights ? path.resolve(REAL_DIR) : "-", String(NEW_TOKENS), String(REAL_TOKENS)];
});

test("logits and greedy tokens of a small Hugging Face-layout model match PyTorch on every backend", async (t) => {
  if (!torchRan(t, torch)) return;
  const expected = readF32(path.join(torch.dir, "logits.f32"));
  const greedy = readI32(path.join(torch.dir, "greedy.i32"));
  const L = PROMPTS[0].length + NEW_TOKENS;
  const expectedNew = PROMPTS.map((_, b) => greedy.slice(b * L + PROMPTS[0].length, (b + 1) * L));
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const model = GPT2LMHeadModel.fromPretrained(path.join(torch.dir, "model"));
    const logits = model.forward(LOGIT_IDS);
    const { maxDiff, firstBad } = compare(logits.dataSync(), expected, ATOL, RTOL);
    t.diagnostic(`${backend}: logits [2, 20, 200], max |tfjs - torch ${torch.version}| = ${maxDiff.toExponential(2)}`);
    assert.equal(firstBad, -1, `${backend}: max diff ${maxDiff} vs PyTorch breaks atol ${ATOL} + rtol ${RTOL}`);
    logits.dispose();
    for (const kvCache of [true, false]) {
      const tokens = await model.generate(PROMPTS, { maxNewTokens: NEW_TOKENS, temperature: 0, kvCache });
      assert.deepEqual(tokens, expectedNew, `${backend}, ${kvCache ? "with" : "without"} the KV cache: greedy tokens differ from PyTorch's`);
    }
    model.dispose();
  }
});

test(`real GPT-2 weights: the first ${REAL_TOKENS} greedy tokens of "${REAL_PROMPT}" match PyTorch`, async (t) => {
  if (!hasRealWeights) {
    t.skip(`no real weights at ${REAL_DIR} (config.json + model.safetensors); \`npm run weights\` downloads GPT-2 small there`);
    return;
  }
  if (!torchRan(t, torch)) return;
  const prompt = tokenize(REAL_PROMPT).ids;
  const expected = readI32(path.join(torch.dir, "real.i32")).slice(prompt.length);
  for (const backend of backends.names) {
    await tf.setBackend(backend);
    const model = GPT2LMHeadModel.fromPretrained(REAL_DIR);
    const [tokens] = await model.generate([prompt], { maxNewTokens: REAL_TOKENS, temperature: 0 });
    t.diagnostic(`${backend}: ${JSON.stringify(tokens)}`);
    assert.deepEqual(tokens, expected, `${backend}: greedy tokens differ from PyTorch's`);
    model.dispose();
  }
});
