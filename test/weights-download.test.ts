// npm run weights against a server on 127.0.0.1 that this test starts (nothing here reaches the
// internet). It serves a small model in Hugging Face's layout the way the hub does: the repo URL
// redirects to a "CDN" path, announcing the sha256 (X-Linked-Etag, quoted) and size of large files;
// the CDN honours Range requests. Modes make it misbehave: cut the connection mid-file, go quiet
// mid-file, corrupt a byte, serve a file with a wrong tensor shape, disagree about the size.
import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { encodeSafetensors } from "../lib/safetensors-file";
import { GPT2LMHeadModel, selectBackend } from "../lib/index";
import { downloadGPT2, DownloadError } from "../scripts/download";
import { gpt2Entries } from "./helpers";

const SIZES = { n_embd: 16, n_head: 2, n_layer: 2, n_positions: 32, vocab_size: 64, layer_norm_epsilon: 1e-5 };
const CONFIG = Buffer.from(JSON.stringify({ ...SIZES, model_type: "gpt2", architectures: ["GPT2LMHeadModel"] }));
const encode = (e: Record<string, { shape: number[]; data: Float32Array }>) =>
  encodeSafetensors(Object.entries(e).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, t]) => ({ name, ...t })), { format: "pt" });
const WEIGHTS = encode(gpt2Entries(SIZES, 77, { maskBuffers: true }));
const SHA = createHash("sha256").update(WEIGHTS).digest("hex");
const wrongShape = gpt2Entries(SIZES, 77, { maskBuffers: true });
wrongShape["h.1.mlp.c_fc.weight"] = { shape: [16, 60], data: new Float32Array(16 * 60) };
const WRONG_SHAPE = encode(wrongShape);
const CORRUPT = Buffer.from(WEIGHTS);
CORRUPT[CORRUPT.length - 5] ^= 0xff; // in the last tensor's data: the header still reads fine

type Mode = "normal" | "cut-once" | "quiet-once" | "corrupt" | "wrong-shape" | "size-lie" | "no-range";
const server = { mode: "normal" as Mode, requests: [] as { url: string; range: string | undefined }[], served: 0, endpoint: "", pending: new Set<http.ServerResponse>() };

const httpServer = http.createServer((req, res) => {
  server.requests.push({ url: req.url ?? "", range: req.headers.range });
  const repo = "/openai-community/gpt2/resolve/main/";
  if (req.url === `${repo}config.json`) return res.writeHead(302, { Location: "/cdn/config.json" }).end();
  const body = server.mode === "wrong-shape" ? WRONG_SHAPE : server.mode === "corrupt" ? CORRUPT : WEIGHTS;
  if (req.url === `${repo}model.safetensors`) {
    // The hub announces the file it has: a corrupted copy is announced with the right sha256.
    const sha = createHash("sha256").update(server.mode === "corrupt" ? WEIGHTS : body).digest("hex");
    const size = server.mode === "size-lie" ? body.length + 1 : body.length;
    return res.writeHead(302, { Location: `${server.endpoint}/cdn/model.safetensors`, "X-Linked-Etag": `"${sha}"`, "X-Linked-Size": String(size) }).end();
  }
  if (req.url === "/cdn/config.json") return res.writeHead(200, { "Content-Length": CONFIG.length }).end(CONFIG);
  if (req.url !== "/cdn/model.safetensors") return res.writeHead(404).end("Entry not found");
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const from = range && server.mode !== "no-range" ? Number(range[1]) : 0;
  if (from >= body.length) return res.writeHead(416, { "Content-Range": `bytes */${body.length}` }).end();
  const headers = { "Content-Length": body.length - from, ...(from > 0 ? { "Content-Range": `bytes ${from}-${body.length - 1}/${body.length}` } : {}) };
  res.writeHead(from > 0 ? 206 : 200, headers);
  server.served++;
  const half = Math.floor(body.length / 2);
  if ((server.mode === "cut-once" || server.mode === "quiet-once") && server.served === 1) {
    return send(res, body.subarray(from, half), () => {
      if (server.mode === "cut-once") setTimeout(() => res.destroy(), 20); // the server stops mid-file
      else server.pending.add(res); // goes quiet, connection open
    });
  }
  send(res, body.subarray(from), () => res.end());
});

/** Write `data` in 4 kB pieces, one per turn of the event loop, as a network would deliver it; then `done`. */
function send(res: http.ServerResponse, data: Buffer, done: () => void): void {
  let at = 0;
  const next = () => {
    if (res.destroyed) return;
    if (at >= data.length) return done();
    res.write(data.subarray(at, (at += 4096)));
    setImmediate(next);
  };
  next();
}

let root = "";
let dir = "";
let logged = "";
// The server runs in this process, so a busy machine can stall both sides at once: downloads that
// must succeed get a generous idle timeout; only the test of a server going quiet sets a short one.
const run = (extra: Partial<Parameters<typeof downloadGPT2>[0]> = {}) =>
  downloadGPT2({ endpoint: server.endpoint, dir, progress: "lines", idleTimeoutMs: 60_000, write: (t) => (logged += t), ...extra });
const files = () => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

before(async () => {
  await selectBackend(undefined, { log: null });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  server.endpoint = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  root = fs.mkdtempSync(path.join(os.tmpdir(), "weights-download-"));
});
after(async () => {
  for (const res of server.pending) res.destroy();
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});
let n = 0;
beforeEach(() => {
  dir = path.join(root, `case-${n++}`, "gpt2");
  server.mode = "normal";
  server.requests = [];
  server.served = 0;
  logged = "";
});

describe("npm run weights", () => {
  test("downloads both files through the hub's redirect, checks them, reports progress, and the next run uses them as they are", async () => {
    await run();
    assert.deepEqual(files(), ["config.json", "model.safetensors"], "no .part left");
    assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(WEIGHTS));
    assert.ok(fs.readFileSync(path.join(dir, "config.json")).equals(CONFIG));
    assert.match(logged, /model\.safetensors: 50% \([\d.]+ kB of [\d.]+ kB, [\d.]+ [kM]B\/s, \d+ s left\)/);
    assert.match(logged, /model\.safetensors: 100%/);
    assert.match(logged, /GPT-2 small is in .*gpt2\/: config\.json and model\.safetensors/);
    const model = GPT2LMHeadModel.fromPretrained(dir); // what npm run generate will do with it
    assert.equal(model.config.n_layer, SIZES.n_layer);
    model.dispose();
    const before = server.requests.length;
    await run();
    assert.equal(server.requests.length, before, "nothing fetched again");
    assert.match(logged, /already has config\.json and model\.safetensors \(every tensor checked\)/);
  });

  test("a transfer cut mid-file keeps its .part, and the next run resumes it with a Range request", async () => {
    server.mode = "cut-once";
    await assert.rejects(run(), (err: Error) => err instanceof DownloadError && /Run again to resume from there/.test(err.message));
    assert.deepEqual(files(), ["config.json.part", "model.safetensors.part"], "nothing under a final name");
    const partial = fs.statSync(path.join(dir, "model.safetensors.part")).size;
    assert.ok(partial > 0 && partial < WEIGHTS.length);
    await run();
    assert.ok(server.requests.some((r) => r.url === "/cdn/model.safetensors" && r.range === `bytes=${partial}-`), "resumed where it stopped");
    assert.match(logged, /resuming at/);
    assert.deepEqual(files(), ["config.json", "model.safetensors"]);
    assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(WEIGHTS), "the resumed file is whole and right (its sha256 was checked)");
  });

  test("a server that goes quiet mid-file is given up after the idle timeout, and the download resumes", async () => {
    server.mode = "quiet-once";
    await assert.rejects(run({ idleTimeoutMs: 300 }), /no data for 0\.3 s at [\d.]+ kB of [\d.]+ kB\. Run again to resume/);
    assert.ok(files().includes("model.safetensors.part"));
    await run();
    assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(WEIGHTS));
  });

  test("a server that ignores Range starts again from the first byte, and the file is still right", async () => {
    server.mode = "cut-once";
    await assert.rejects(run());
    server.mode = "no-range";
    await run();
    assert.match(logged, /does not resume downloads; starting again/);
    assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(WEIGHTS));
  });

  test("a corrupted file is rejected by its sha256, and nothing of it is kept", async () => {
    server.mode = "corrupt";
    await assert.rejects(run(), new RegExp(`corrupted: its sha256 is [0-9a-f]{64}, the hub announced ${SHA}\\. Deleted it`));
    assert.ok(!files().includes("model.safetensors") && !files().includes("model.safetensors.part"));
  });

  test("a file without the tensors GPT-2 needs in their shapes is rejected from its header", async () => {
    server.mode = "wrong-shape";
    await assert.rejects(run(), /not GPT-2's weights: .*"h\.1\.mlp\.c_fc\.weight" has shape \[16, 60\], expected \[16, 64\].*deleted it/);
    assert.ok(!files().some((f) => f.startsWith("model.safetensors")));
  });

  test("a size that disagrees with the hub's is an error", async () => {
    server.mode = "size-lie";
    await assert.rejects(run(), /the hub says \d+ bytes but the download is \d+/);
    assert.ok(!files().includes("model.safetensors"));
  });

  test("a 404 names the URL and the endpoint", async () => {
    await assert.rejects(run({ endpoint: `${server.endpoint}/nothing-here` }), /nothing-here\/openai-community\/gpt2\/resolve\/main\/config\.json: not found \(HTTP 404\)\. Is HF_ENDPOINT right/);
    assert.deepEqual(files(), []);
  });

  test("no server at all reads as offline", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(run({ endpoint: `http://127.0.0.1:${port}` }), /cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): offline\? Set HF_ENDPOINT/);
  });

  test("a full disk is a clear error, and the partial file is deleted", async (t) => {
    if (!fs.existsSync("/dev/full")) {
      t.skip("no /dev/full");
      return;
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync("/dev/full", path.join(dir, "model.safetensors.part")); // every write to it fails with ENOSPC
    await assert.rejects(run(), /disk full while writing .*model\.safetensors\.part: GPT-2 small needs 548 MB free.*Deleted the partial file/);
    assert.ok(!files().some((f) => f.startsWith("model.safetensors")));
  });

  test("a TTY gets one progress line redrawn with bytes, rate and time left", async () => {
    await run({ progress: "bar" });
    assert.match(logged, /\rmodel\.safetensors \[#*-*\] +\d+% [\d.]+ kB of [\d.]+ kB, [\d.]+ [kM]B\/s, \d+ s left/);
    assert.ok(!/: 50% \(/.test(logged), "no per-10% lines on a terminal");
  });

  test("the command: exit 0 with the folder filled, exit 1 with the message on a failure, exit 2 on a bad argument", async () => {
    // Asynchronously: the server answering it runs in this process.
    const cli = (args: string[], endpoint = server.endpoint) =>
      new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "scripts/weights.ts", ...args], { env: { ...process.env, HF_ENDPOINT: endpoint }, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill(), 120_000);
        child.on("close", (status) => {
          clearTimeout(timer);
          resolve({ status, stderr });
        });
      });
    const ok = await cli(["--dir", dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /model\.safetensors: 100%/, "not a TTY: a line per 10%");
    assert.deepEqual(files(), ["config.json", "model.safetensors"]);
    const missing = await cli(["--dir", path.join(root, "cli-404")], `${server.endpoint}/nothing-here`);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /weights: .*not found \(HTTP 404\)/);
    assert.equal((await cli(["--bogus"])).status, 2);
  });
});
