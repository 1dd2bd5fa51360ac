// npm run bench:qkv (the first of npm run bench's three): times GPT2SingleHeadQKV.forward against
// the best raw tfjs formulation and a plain-TypeScript loop, at GPT-2 small width (768 → 2304), on
// every backend this machine has.
//
// All three produce q, k, v of shape [B, T, 768]. On tfjs-node, wasm and cpu, ops run eagerly
// and synchronously, so the time of the call is the time of the work; nothing is read back.
// Interleaved rounds (bench/timing.ts), at least 11 per shape; a shape whose single call would
// take more than 1.5 s is skipped unless --full. Ends with a Markdown table.
// Options: --quick (fewer shapes, shorter budget), --full (every shape on every backend),
// --json FILE (write the rows).
import * as fs from "node:fs";
import * as os from "node:os";
import { tf, availableBackends, selectBackend, GPT2SingleHeadQKV, GPT2Config } from "../lib/index";
import { fmtMs, markdownTable, pairedRatio, timeRounds } from "./timing";
import type { Timing } from "./timing";

const C = 768;
const quick = process.argv.includes("--quick");
const full = process.argv.includes("--full");
const jsonAt = process.argv.indexOf("--json");
const SHAPES: [number, number][] = quick ? [[1, 8], [1, 128]] : [[1, 8], [1, 128], [1, 1024], [4, 1024]];
const BUDGET_MS = quick ? 500 : 6000; // time spent measuring one shape on one backend (all formulations)
const SKIP_OVER_MS = full ? Infinity : quick ? 500 : 1500; // skip a shape whose single call would take longer
const time = (fn: () => void): Timing => timeRounds([fn], BUDGET_MS, quick ? 3 : 5)[0];

/** The plain-TypeScript baseline: y = x·W + b with an i-k-j loop order (row-major friendly). */
function plainLoop(x: Float32Array, w: Float32Array, b: Float32Array, rows: number): Float32Array[] {
  const out = new Float32Array(rows * 3 * C);
  for (let r = 0; r < rows; r++) {
    const y = out.subarray(r * 3 * C, (r + 1) * 3 * C);
    y.set(b);
    for (let i = 0; i < C; i++) {
      const xi = x[r * C + i];
      const wRow = w.subarray(i * 3 * C, (i + 1) * 3 * C);
      for (let o = 0; o < 3 * C; o++) y[o] += xi * wRow[o];
    }
  }
  const parts = [new Float32Array(rows * C), new Float32Array(rows * C), new Float32Array(rows * C)];
  for (let r = 0; r < rows; r++) for (let p = 0; p < 3; p++) parts[p].set(out.subarray(r * 3 * C + p * C, r * 3 * C + (p + 1) * C), r * C);
  return parts;
}

interface Row { backend: string; shape: string; formulation: string; ms: number | null; p25?: number; p75?: number; gflops: number | null; reps: number; note?: string; libOverRaw?: number }

async function main(): Promise<void> {
  await selectBackend(undefined, { log: (l) => console.log(`# ${l}`) });
  const backends = await availableBackends();
  const cpuModel = os.cpus()[0]?.model ?? "unknown CPU";
  console.log(`# ${os.cpus().length} × ${cpuModel}, Node ${process.version}, tfjs-core ${tf.version_core}; backends: ${backends.join(", ")}`);
  const rows: Row[] = [];
  const record = (r: Row) => {
    rows.push(r);
    const ms = r.ms === null ? "   skipped" : r.ms.toFixed(3).padStart(10);
    const gf = r.gflops === null ? "" : r.gflops.toFixed(2).padStart(7);
    console.log(`${r.backend.padEnd(10)} ${r.shape.padEnd(10)} ${r.formulation.padEnd(34)} ${ms} ms ${gf} GFLOP/s  (${r.reps} reps)${r.note ? "  " + r.note : ""}`);
  };

  for (const backend of backends) {
    await tf.setBackend(backend);
    const model = new GPT2SingleHeadQKV(new GPT2Config(), { seed: 1 });
    const W = model.c_attn.weight as tf.Tensor2D;
    const b = model.c_attn.bias as tf.Tensor1D;
    let lastMsPerFlop = 0;
    for (const [B, T] of SHAPES) {
      const shape = `[${B},${T}]`;
      const flops = 2 * B * T * C * 3 * C;
      if (lastMsPerFlop * flops > SKIP_OVER_MS) {
        record({ backend, shape, formulation: "(all)", ms: null, gflops: null, reps: 0, note: `est. ${((lastMsPerFlop * flops) / 1000).toFixed(0)} s per call` });
        continue;
      }
      const x = tf.randomNormal([B, T, C]) as tf.Tensor3D;
      const x2 = tf.reshape(x, [B * T, C]) as tf.Tensor2D;
      const start = tf.memory().numTensors;

      const candidates: [string, () => void][] = [
        ["lib GPT2SingleHeadQKV.forward", () => tf.dispose(model.forward(x))],
        ["raw matMul + add + split", () => tf.dispose(tf.tidy(() => tf.split(tf.add(tf.matMul(x2, W), b), 3, 1).map((t) => tf.reshape(t, [B, T, C]))))],
        ["raw fused.matMul(bias) + split", () => tf.dispose(tf.tidy(() => tf.split(tf.fused.matMul({ a: x2, b: W, bias: b }), 3, 1).map((t) => tf.reshape(t, [B, T, C]))))],
      ];
      const timings = timeRounds(candidates.map(([, fn]) => fn), BUDGET_MS, quick ? 3 : 11);
      for (const [i, [name]] of candidates.entries()) {
        const { ms, p25, p75, reps } = timings[i];
        record({ backend, shape, formulation: name, ms, p25, p75, gflops: flops / (ms * 1e6), reps });
        lastMsPerFlop = Math.max(lastMsPerFlop, ms / flops);
      }
      if (tf.memory().numTensors !== start) throw new Error(`bench leaked ${tf.memory().numTensors - start} tensors`);
      // The best raw formulation, and the lib against it round by round.
      const best = timings[1].ms <= timings[2].ms ? 1 : 2;
      const ratio = pairedRatio(timings[0], timings[best]);
      rows[rows.length - 3].libOverRaw = ratio;
      console.log(`${"".padEnd(21)} lib / best raw (median of per-round ratios) = ${ratio.toFixed(3)} (${ratio <= 1.1 ? "within" : "OVER"} the 10% budget)`);
      tf.dispose([x, x2]);
    }
    model.dispose();
  }

  // Plain TypeScript, no tfjs: one loop nest. Its cost grows fast, so the big shapes are skipped.
  {
    const w = new Float32Array(C * 3 * C).map(() => Math.random() * 0.04 - 0.02);
    const bias = new Float32Array(3 * C);
    let msPerFlop = 0;
    for (const [B, T] of SHAPES) {
      const shape = `[${B},${T}]`;
      const flops = 2 * B * T * C * 3 * C;
      if (msPerFlop * flops > SKIP_OVER_MS) {
        record({ backend: "plain-ts", shape, formulation: "i-k-j loops, Float32Array", ms: null, gflops: null, reps: 0, note: `est. ${((msPerFlop * flops) / 1000).toFixed(0)} s per call` });
        continue;
      }
      const x = new Float32Array(B * T * C).map(() => Math.random());
      const { ms, p25, p75, reps } = time(() => plainLoop(x, w, bias, B * T));
      msPerFlop = ms / flops;
      record({ backend: "plain-ts", shape, formulation: "i-k-j loops, Float32Array", ms, p25, p75, gflops: flops / (ms * 1e6), reps });
    }
  }
  // One row per (backend, shape): the lib, the best raw formulation, and the ratio between them.
  const table: string[][] = [];
  for (const r of rows) {
    if (r.formulation.startsWith("lib") && r.ms !== null) {
      const raws = rows.filter((q) => q.backend === r.backend && q.shape === r.shape && q.formulation.startsWith("raw") && q.ms !== null);
      const raw = raws.reduce((a, b) => (a.ms! <= b.ms! ? a : b));
      table.push([r.backend, r.shape, `${fmtMs(r.ms)} (${fmtMs(r.p25!)}–${fmtMs(r.p75!)})`, `${r.gflops!.toFixed(1)}`, fmtMs(raw.ms!), (r.libOverRaw ?? r.ms / raw.ms!).toFixed(2), String(r.reps)]);
    } else if (r.ms === null && r.formulation === "(all)") {
      table.push([r.backend, r.shape, `skipped (${r.note})`, "", "", "", ""]);
    } else if (r.backend === "plain-ts") {
      table.push([r.backend, r.shape, r.ms === null ? `skipped (${r.note})` : `${fmtMs(r.ms)} (${fmtMs(r.p25!)}–${fmtMs(r.p75!)})`, r.gflops === null ? "" : r.gflops.toFixed(2), "", "", String(r.reps)]);
    }
  }
  console.log(`\n${markdownTable(["backend", "[B, T]", "lib forward, ms: median (p25–p75)", "GFLOP/s", "best raw tfjs, ms", "lib / raw", "rounds"], table)}`);
  if (jsonAt > 0 && process.argv[jsonAt + 1]) fs.writeFileSync(process.argv[jsonAt + 1], JSON.stringify(rows, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
