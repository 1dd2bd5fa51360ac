// For the cross-checks against PyTorch (Debian's python3-torch): run a Python script, and skip a
// test only where torch itself is missing, never in CI (.ci/run installs it) and never because a
// script failed: a failing script is a failing test.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, after, type TestContext } from "node:test";

const PYTHON = "/usr/bin/python3";

/** null when numpy and torch import; otherwise the reason, for the skip message. */
function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ["-c", "import numpy, torch"], { encoding: "utf8", timeout: 120_000 });
  if (probe.status === 0) return null;
  return (probe.stderr || String(probe.error)).trim().split("\n").pop() ?? "python failed";
}

/** Run `script` with `args`; its stdout, trimmed. A non-zero exit fails the calling test with the script's stderr. */
function runPython(script: string, args: string[]): string {
  const run = spawnSync(PYTHON, ["-c", script, ...args], { encoding: "utf8", timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  assert.equal(run.status, 0, `the PyTorch side failed: ${run.stderr || String(run.error)}`);
  return run.stdout.trim();
}

export interface TorchRun {
  /** A temporary folder for the inputs and the script's outputs; removed after the file's tests. */
  dir: string;
  /** torch.__version__, as the script printed it; null when PyTorch is missing. */
  version: string | null;
  /** Why PyTorch could not be imported; null when it could. */
  missing: string | null;
}

/**
 * Registers hooks for a file that compares with PyTorch: a temporary folder, `prepare(dir)`
 * writing the inputs there and returning the script's arguments, then the script itself, only
 * where torch imports. Read the fields inside tests.
 */
export function torchFixture(script: string, prepare: (dir: string) => string[]): TorchRun {
  const run: TorchRun = { dir: "", version: null, missing: null };
  before(() => {
    run.dir = fs.mkdtempSync(path.join(os.tmpdir(), "torch-check-"));
    const args = prepare(run.dir);
    // Skip only when PyTorch itself is missing; any failure of the script is a test failure.
    run.missing = torchMissing();
    if (run.missing === null) run.version = runPython(script, args);
  });
  after(() => {
    if (run.dir) fs.rmSync(run.dir, { recursive: true, force: true });
  });
  return run;
}

/** In a test: true when torch ran; otherwise fails in CI and skips elsewhere, saying why. */
export function torchRan(t: TestContext, { version, missing }: TorchRun): boolean {
  if (version !== null) return true;
  // CI installs python3-torch (.ci/run), so there a missing torch is a failure, not a skip.
  assert.ok(!process.env.CI, `PyTorch unavailable in CI (${missing}); .ci/run must install python3-torch`);
  t.skip(`PyTorch unavailable (${missing}); install Debian's python3-torch`);
  return false;
}

/** Little-endian float32 values of a file written by numpy's tofile. */
export function readF32(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

/** Little-endian int32 values of a file written by numpy's tofile, as plain numbers. */
export function readI32(file: string): number[] {
  const buf = fs.readFileSync(file);
  return Array.from(new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
}

/**
 * Hugging Face's GPT-2 written out in PyTorch, for the scripts to build on (the transformers package
 * is not needed): a safetensors reader of its own, Conv1D, GPT2Attention (eval mode: no dropout;
 * the causal mask from the file's h.{i}.attn.bias buffer, as HF does), gelu_new, and
 * GPT2LMHeadModel's forward pass without a cache (lm_head tied to wte).
 */
export const HF_GPT2_PY = `
import sys, json, math, struct, numpy as np, torch

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

def conv1d(x, w, b):  # transformers.pytorch_utils.Conv1D.forward
    size_out = x.size()[:-1] + (w.size(1),)
    return torch.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)

def gpt2_attention(x, sd, p, nh, proj=True):  # transformers' GPT2Attention.forward, p = "h.0.attn."
    B, T, C = x.shape
    hs = C // nh
    query, key, value = conv1d(x, sd[p + "c_attn.weight"], sd[p + "c_attn.bias"]).split(C, dim=2)
    split_heads = lambda t: t.view(B, T, nh, hs).permute(0, 2, 1, 3)   # _split_heads: (B, nh, T, hs)
    query, key, value = split_heads(query), split_heads(key), split_heads(value)
    attn = torch.matmul(query, key.transpose(-1, -2))                    # _attn
    attn = attn / torch.full([], value.size(-1) ** 0.5, dtype=attn.dtype)
    q_len, k_len = query.size(-2), key.size(-2)
    causal_mask = sd[p + "bias"][:, :, k_len - q_len:k_len, :k_len].bool()
    mask_value = torch.full([], torch.finfo(attn.dtype).min, dtype=attn.dtype)
    attn = torch.where(causal_mask, attn, mask_value)
    attn = torch.nn.functional.softmax(attn, dim=-1)
    y = torch.matmul(attn, value)
    y = y.permute(0, 2, 1, 3).contiguous().view(B, T, C)                 # _merge_heads
    return conv1d(y, sd[p + "c_proj.weight"], sd[p + "c_proj.bias"]) if proj else y

def gelu_new(x):  # transformers.activations.NewGELUActivation
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

def gpt2_logits(ids, sd, cfg):  # GPT2LMHeadModel.forward, no cache; ids (B, T) int64
    sd = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in sd.items()}
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (x.size(-1),), sd[p + ".weight"], sd[p + ".bias"], eps)
    h = sd["wte.weight"][ids] + sd["wpe.weight"][torch.arange(ids.size(1))]
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        h = h + gpt2_attention(ln(h, p + "ln_1"), sd, p + "attn.", cfg["n_head"])
        m = conv1d(ln(h, p + "ln_2"), sd[p + "mlp.c_fc.weight"], sd[p + "mlp.c_fc.bias"])
        h = h + conv1d(gelu_new(m), sd[p + "mlp.c_proj.weight"], sd[p + "mlp.c_proj.bias"])
    return torch.matmul(ln(h, "ln_f"), sd["wte.weight"].t())          # lm_head, tied to wte

def greedy(ids, sd, cfg, n):  # the next n tokens, each the argmax of the logits so far
    for _ in range(n):
        ids = torch.cat([ids, gpt2_logits(ids, sd, cfg)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return ids
`;
