// npm run bench:generate: generation speed and loading memory for GPT-2 small's shapes, with
// random weights (the speed does not depend on the values).
//
// 1. Writes a GPT-2-small-shaped Hugging Face folder (config.json + a 548 MB model.safetensors
//    holding the 12 causal-mask buffers, as the hub's file does) to /tmp/gpt2-random-small/, once.
// 2. Loading memory: a fresh process per backend loads it with GPT2LMHeadModel.fromPretrained and
//    reports its peak resident memory (VmHWM) against the file's size.
// 3. Generation: tokens per second on every backend at 16 and 256 tokens of context, with and
//    without the KV cache (greedy; the time of the prompt's pass is reported apart). The time per
//    token is both elapsed and CPU time of this process (the cores here are shared).
// 4. Pieces in the formulations tried: the language-model head for one position (x·wteᵀ), and
//    GPT-2's GELU on a 256-token prompt's MLP activations.
// Options: --quick (fewer tokens), --max-seconds S (skip a run estimated to take longer; default
// 60), --full (skip nothing), --backend NAME,
// --dir DIR (where the random model goes), --json FILE.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, availableBackends, selectBackend, parseBackendName, GPT2Config, GPT2LMHeadModel, geluNew, geluNewTanh } from "../lib/index";
import { GPT2_SAFETENSORS_BYTES, writeRandomGPT2 } from "./random-gpt2";
import { timeRounds, median, cpuMs } from "./timing";

const argv = process.argv.slice(2);
const option = (name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes("--quick");
const full = argv.includes("--full");
const DIR = option("--dir") ?? path.join(os.tmpdir(), "gpt2-random-small");
const NEW_TOKENS = quick ? 4 : 16;
const SKIP_OVER_S = Number(option("--max-seconds") ?? 60);

/** Child mode: load the model, print peak memory as JSON, exit. */
async function loadOnly(backend: string): Promise<void> {
  await selectBackend(backend, { log: null });
  const rssBefore = process.memoryUsage().rss;
  const t = performance.now();
  const model = GPT2LMHeadModel.fromPretrained(DIR);
  const ms = performance.now() - t;
  const peakRss = peakRssBytes();
  const rssAfter = process.memoryUsage().rss;
  await model.generate([[464, 3290]], { maxNewTokens: 2, temperature: 0 }); // and once it has generated
  console.log(JSON.stringify({ backend, loadMs: ms, rssBefore, peakRss, rssAfter, peakRssGenerating: peakRssBytes(), params: model.parameterCount() }));
}

/** The most resident memory this process has had (Linux: VmHWM). */
function peakRssBytes(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]) * 1024;
}

interface GenRow { backend: string; context: number; kvCache: boolean; promptMs: number | null; tokenMs: number | null; tokenCpuMs: number | null; tokens: number; note?: string }

async function main(): Promise<void> {
  const child = option("--load-only");
  if (child) return loadOnly(child);
  await selectBackend(undefined, { log: (l) => console.log(`# ${l}`) });
  const only = option("--backend");
  const backends = only ? [parseBackendName(only)] : await availableBackends();
  console.log(`# ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, tfjs-core ${tf.version_core}; load average ${os.loadavg()[0].toFixed(1)}`);

  // 1. The random GPT-2 small folder.
  const file = path.join(DIR, "model.safetensors");
  if (!fs.existsSync(file) || fs.statSync(file).size !== GPT2_SAFETENSORS_BYTES) {
    const t = performance.now();
    writeRandomGPT2(DIR, new GPT2Config(), 1);
    console.log(`wrote ${DIR} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const size = fs.statSync(file).size;

  // 2. Loading memory, in a fresh process per backend.
  const memory: Record<string, unknown>[] = [];
  for (const backend of backends) {
    const run = spawnSync(process.execPath, [...process.execArgv, __filename, "--load-only", backend, "--dir", DIR], { encoding: "utf8", timeout: 600_000 });
    if (run.status !== 0) throw new Error(`loading on ${backend} failed: ${run.stderr}`);
    const r = JSON.parse(run.stdout.trim().split("\n").pop()!);
    memory.push(r);
    console.log(
      `load ${backend.padEnd(5)} ${(size / 1e6).toFixed(1)} MB file: ${(r.loadMs / 1000).toFixed(1)} s, peak RSS ${(r.peakRss / 1e6).toFixed(0)} MB = ${(r.peakRss / size).toFixed(2)} × the file ` +
        `(RSS before loading ${(r.rssBefore / 1e6).toFixed(0)} MB, after ${(r.rssAfter / 1e6).toFixed(0)} MB; peak once it has generated ${(r.peakRssGenerating / 1e6).toFixed(0)} MB)`,
    );
  }

  // 3. Generation speed.
  const rows: GenRow[] = [];
  for (const backend of backends) {
    await selectBackend(backend, { log: null }); // not tf.setBackend: this also keeps the cpu backend's install banner away
    const model = GPT2LMHeadModel.fromPretrained(DIR);
    await model.generate([[464, 3290]], { maxNewTokens: 2, temperature: 0 }); // first use: wteᵀ made, weights packed by the backend
    let sPerPosition = 0; // the slowest measured seconds per position processed, to skip what would take too long
    for (const context of [16, 256]) {
      for (const kvCache of [true, false]) {
        const positions = kvCache ? context + NEW_TOKENS : NEW_TOKENS * (context + NEW_TOKENS / 2);
        const estimate = sPerPosition * positions;
        if (estimate > SKIP_OVER_S && !full) {
          rows.push({ backend, context, kvCache, promptMs: null, tokenMs: null, tokenCpuMs: null, tokens: 0, note: `estimated ${estimate.toFixed(0)} s; --full runs it` });
          report(rows[rows.length - 1]);
          continue;
        }
        const prompt = [Array.from({ length: context }, (_, i) => (i * 7919) % 50257)];
        const wall: number[] = [performance.now()];
        const cpu: number[] = [cpuMs()];
        await model.generate(prompt, {
          maxNewTokens: NEW_TOKENS, temperature: 0, kvCache,
          onToken: () => {
            wall.push(performance.now());
            cpu.push(cpuMs());
          },
        });
        const steps = (xs: number[]) => xs.slice(2).map((x, i) => x - xs[i + 1]); // each token after the first
        const row: GenRow = { backend, context, kvCache, promptMs: wall[1] - wall[0], tokenMs: median(steps(wall)), tokenCpuMs: median(steps(cpu)), tokens: NEW_TOKENS };
        rows.push(row);
        report(row);
        sPerPosition = Math.max(sPerPosition, (wall[wall.length - 1] - wall[0]) / 1000 / positions);
      }
    }
    model.dispose();
  }

  console.log("\n| backend | context | KV cache | prompt pass | per new token (elapsed) | tokens/s | per new token (CPU) | tokens/s (CPU) |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rows) {
    const cells = r.tokenMs === null ? [r.note ?? "", "", "", "", ""] : [fmt(r.promptMs!), fmt(r.tokenMs), (1000 / r.tokenMs).toFixed(1), fmt(r.tokenCpuMs!), (1000 / r.tokenCpuMs!).toFixed(1)];
    console.log(`| ${r.backend} | ${r.context} | ${r.kvCache ? "yes" : "no"} | ${cells.join(" | ")} |`);
  }

  // 4. Pieces of the forward pass, in the formulations tried: the head for one position, and the
  //    MLP's activation on a 256-token prompt.
  console.log("\n| backend | piece | formulation | ms (CPU) |\n| --- | --- | --- | --- |");
  for (const backend of backends) {
    await selectBackend(backend, { log: null }); // not tf.setBackend: this also keeps the cpu backend's install banner away
    const wte = tf.randomNormal([50257, 768], 0, 0.02) as tf.Tensor2D;
    const wteT = tf.transpose(wte) as tf.Tensor2D;
    const x = tf.randomNormal([1, 768]) as tf.Tensor2D;
    const h = tf.randomNormal([1, 256, 3072]);
    const pieces: [string, string, () => tf.Tensor][] = [
      ["lm_head, 1 position", "matMul(x, wteᵀ kept)  (lib on wasm)", () => tf.matMul(x, wteT)],
      ["lm_head, 1 position", "matMul(x, wte, transposeB)  (lib elsewhere)", () => tf.matMul(x, wte, false, true)],
      ["lm_head, 1 position", "transpose(matMul(wte, xᵀ))", () => tf.tidy(() => tf.transpose(tf.matMul(wte, tf.transpose(x))))],
      ["gelu_new, [1, 256, 3072]", "x·σ(2u), x·x·x  (lib geluNew)", () => geluNew(h)],
      ["gelu_new, [1, 256, 3072]", "0.5·x·(1 + tanh(u)), pow(x, 3)", () => geluNewTanh(h)],
    ];
    const t = timeRounds(pieces.map(([, , f]) => () => f().dispose()), quick ? 1000 : 4000, 5, 200, "cpu");
    pieces.forEach(([piece, name], i) => console.log(`| ${backend} | ${piece} | ${name} | ${fmt(t[i].ms)} |`));
    tf.dispose([wte, wteT, x, h]);
  }
  const jsonAt = option("--json");
  if (jsonAt) fs.writeFileSync(jsonAt, JSON.stringify({ fileBytes: size, memory, generation: rows }, null, 2));
}

function report(r: GenRow): void {
  const what = `${r.backend.padEnd(5)} context ${String(r.context).padStart(3)} ${r.kvCache ? "with KV cache   " : "without KV cache"}`;
  if (r.tokenMs === null) return console.log(`${what}  skipped: ${r.note}`);
  console.log(`${what}  prompt ${fmt(r.promptMs!)}, then ${fmt(r.tokenMs)} a token = ${(1000 / r.tokenMs).toFixed(1)} tokens/s (CPU time ${fmt(r.tokenCpuMs!)} = ${(1000 / r.tokenCpuMs!).toFixed(1)} tokens/s), median of ${r.tokens - 1}`);
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
