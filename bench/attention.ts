// npm run bench:attention: the formulations of causal attention tried for lib/attention.ts, at
// GPT-2 small's head shapes (B = 1, 12 heads of 64), on every backend this machine has.
//
// Shapes: T = 8, 128 and 1024 (a prompt: Tq = Tk = T), and one new token against 128 and 1024
// cached keys (Tq = 1, as in generation with a KV cache). Every formulation is first checked
// against the batched one (same numbers to 1e-5), then timed in interleaved rounds in random
// order, median. The time is the CPU time of this process (user + system): the cores here are
// shared, and waiting for them is not the formulation's cost (--wall for elapsed time instead).
// GPT2Attention.forward (c_attn + heads + c_proj) is timed after, on its own, for scale.
// Options: --quick (fewer shapes and reps), --full (also the cpu shapes estimated to take longer
// than 8 s a call), --backend NAME (one backend), --wall, --json FILE (write the rows).
import * as fs from "node:fs";
import * as os from "node:os";
import { tf, availableBackends, selectBackend, parseBackendName, causalAttention, causalAttentionParts, causalMask, GPT2Attention, GPT2Config } from "../lib/index";
import { timeRounds } from "./timing";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const full = argv.includes("--full");
const clock = argv.includes("--wall") ? "wall" : "cpu";
const option = (name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
const NH = 12;
const HS = 64;
const SHAPES: { label: string; Tq: number; Tk: number }[] = (quick ? [8, 128] : [8, 128, 1024])
  .map((T) => ({ label: `T=${T}`, Tq: T, Tk: T }))
  .concat((quick ? [128] : [128, 1024]).map((T) => ({ label: `1 new, ${T} keys`, Tq: 1, Tk: T })));
const BUDGET_MS = quick ? 500 : 3000;
const MIN_REPS = quick ? 3 : 5;
const SKIP_OVER_MS = 8000;

type Attention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;

/** [Tq, Tk] of q (1, nh, Tq, hs) and k (1, nh, Tk, hs). */
const lengths = (q: tf.Tensor, k: tf.Tensor): [number, number] => [q.shape[2] as number, k.shape[2] as number];

/** One product over all heads at once: (nh, Tq, hs) · (nh, hs, Tk). */
function batched(transposeB: boolean): Attention {
  return (q, k, v) =>
    tf.tidy(() => {
      const [Tq, Tk] = lengths(q, k);
      const qs = tf.mul(q, 1 / Math.sqrt(HS));
      const scores = transposeB ? tf.matMul(qs, k, false, true) : tf.matMul(qs, tf.transpose(k, [0, 1, 3, 2])); // (1, nh, Tq, Tk)
      return tf.matMul(tf.softmax(tf.add(scores, causalMask(Tq, Tk))), v); // (1, nh, Tq, hs)
    });
}

const cachedMasks = new Map<string, tf.Tensor2D>();
/** A mask kept between calls instead of made per call. */
function cachedMask(Tq: number, Tk: number): tf.Tensor2D {
  const key = `${Tq}x${Tk}`;
  if (!cachedMasks.has(key)) cachedMasks.set(key, tf.keep(causalMask(Tq, Tk)));
  return cachedMasks.get(key)!;
}

/** One 2-D product per head, with variations in how the mask and the scale are applied. */
function perHead(variant: "additive" | "cached" | "where" | "scale scores"): Attention {
  return (q, k, v) =>
    tf.tidy(() => {
      const [Tq, Tk] = lengths(q, k);
      const scale = 1 / Math.sqrt(HS);
      const qh = tf.unstack(tf.reshape(variant === "scale scores" ? q : tf.mul(q, scale), [NH, Tq, HS])) as tf.Tensor2D[];
      const kT = tf.unstack(tf.transpose(tf.reshape(k, [NH, Tk, HS]), [0, 2, 1])) as tf.Tensor2D[];
      const vh = tf.unstack(tf.reshape(v, [NH, Tk, HS])) as tf.Tensor2D[];
      const mask = variant === "cached" ? cachedMask(Tq, Tk) : causalMask(Tq, Tk);
      const keep = variant === "where" ? tf.cast(tf.linalg.bandPart(tf.ones([Tq, Tk]), -1, Tk - Tq), "bool") : null;
      const minusInf = variant === "where" ? tf.fill([Tq, Tk], -Infinity) : null;
      const ys = qh.map((qi, i) =>
        tf.tidy(() => {
          let s = tf.matMul(qi, kT[i]); // (Tq, Tk)
          if (variant === "scale scores") s = tf.mul(s, scale);
          const masked = keep && minusInf ? tf.where(keep, s, minusInf) : tf.add(s, mask);
          return tf.matMul(tf.softmax(masked) as tf.Tensor2D, vh[i]); // (Tq, hs)
        }),
      );
      return tf.reshape(tf.stack(ys), [1, NH, Tq, HS]);
    });
}

/** Per-head, and each block of 256 query rows multiplies only the keys it may see (about half the work at T = 1024). */
const rowBlocks: Attention = (q, k, v) =>
  tf.tidy(() => {
    const [Tq, Tk] = lengths(q, k);
    const block = 256;
    const qh = tf.unstack(tf.reshape(tf.mul(q, 1 / Math.sqrt(HS)), [NH, Tq, HS])) as tf.Tensor2D[];
    const kT = tf.unstack(tf.transpose(tf.reshape(k, [NH, Tk, HS]), [0, 2, 1])) as tf.Tensor2D[];
    const vh = tf.unstack(tf.reshape(v, [NH, Tk, HS])) as tf.Tensor2D[];
    const ys = qh.map((qi, i) =>
      tf.tidy(() => {
        const parts: tf.Tensor[] = [];
        for (let r = 0; r < Tq; r += block) {
          const n = Math.min(block, Tq - r);
          const seen = Tk - Tq + r + n; // keys visible to the last row of this block
          const scores = tf.matMul(tf.slice(qi, [r, 0], [n, HS]), seen === Tk ? kT[i] : tf.slice(kT[i], [0, 0], [HS, seen])); // (n, seen)
          const att = tf.softmax(tf.add(scores, causalMask(n, seen))) as tf.Tensor2D;
          parts.push(tf.matMul(att, seen === Tk ? vh[i] : tf.slice(vh[i], [0, 0], [seen, HS]))); // (n, hs)
        }
        return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      }),
    );
    return tf.reshape(tf.stack(ys), [1, NH, Tq, HS]);
  });

const FORMULATIONS: [string, Attention][] = [
  ["lib causalAttention", causalAttention],
  ["batched 3-D, kᵀ by transposeB", batched(true)],
  ["batched 3-D, kᵀ by transpose", batched(false)],
  ["per-head 2-D, additive mask", perHead("additive")],
  ["per-head 2-D, mask cached across calls", perHead("cached")],
  ["per-head 2-D, where(bandPart) mask", perHead("where")],
  ["per-head 2-D, scale the scores, not q", perHead("scale scores")],
  ["per-head 2-D, causal row blocks of 256", rowBlocks],
  ["causalAttentionParts (keeps every step)", (q, k, v) => {
    const p = causalAttentionParts(q, k, v);
    tf.dispose([p.scores, p.masked, p.weights]);
    return p.y;
  }],
];
const LIB = FORMULATIONS[0][0];
const NOT_CANDIDATES = new Set([LIB, "causalAttentionParts (keeps every step)"]);

interface Row { backend: string; shape: string; formulation: string; ms: number | null; reps: number; note?: string }

async function main(): Promise<void> {
  await selectBackend(undefined, { log: (l) => console.log(`# ${l}`) });
  const only = option("--backend");
  const backends = only ? [parseBackendName(only)] : await availableBackends();
  console.log(`# ${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, tfjs-core ${tf.version_core}; backends: ${backends.join(", ")}; B = 1, ${NH} heads of ${HS}; ${clock === "cpu" ? "CPU time per call" : "elapsed time per call"}; load average ${os.loadavg()[0].toFixed(1)}`);
  const rows: Row[] = [];
  const record = (r: Row) => {
    rows.push(r);
    const ms = r.ms === null ? "   skipped" : r.ms.toFixed(3).padStart(10);
    console.log(`${r.backend.padEnd(5)} ${r.shape.padEnd(16)} ${r.formulation.padEnd(42)} ${ms} ms  (${r.reps} reps)${r.note ? "  " + r.note : ""}`);
  };
  const summary: string[] = [];

  for (const backend of backends) {
    await selectBackend(backend, { log: null }); // not tf.setBackend: this also keeps the cpu backend's install banner away
    let msPerScore = 0; // the slowest formulation's ms per query-key pair so far, to skip what would take too long
    const layer = new GPT2Attention(new GPT2Config(), { seed: 1 });
    for (const { label, Tq, Tk } of SHAPES) {
      const estimate = msPerScore * NH * Tq * Tk;
      if (estimate > SKIP_OVER_MS && !full) {
        record({ backend, shape: label, formulation: "(all)", ms: null, reps: 0, note: `estimated ${(estimate / 1000).toFixed(0)} s a call; --full runs it` });
        continue;
      }
      const q = tf.randomNormal([1, NH, Tq, HS]), k = tf.randomNormal([1, NH, Tk, HS]), v = tf.randomNormal([1, NH, Tk, HS]);
      const x = Tq === Tk ? tf.randomNormal([1, Tq, NH * HS]) : null;
      const start = tf.memory().numTensors;
      // Correct before fast: every formulation must give the batched one's numbers.
      const reference = batched(true)(q, k, v);
      for (const [name, f] of FORMULATIONS) {
        const y = f(q, k, v);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]);
        if (!(diff <= 1e-5)) throw new Error(`${backend} ${label}: "${name}" differs from the batched formulation by ${diff}`);
        y.dispose();
      }
      reference.dispose();
      const timings = timeRounds(FORMULATIONS.map(([, f]) => () => f(q, k, v).dispose()), BUDGET_MS, MIN_REPS, 1000, clock);
      const ms = new Map<string, number>();
      FORMULATIONS.forEach(([name], i) => {
        ms.set(name, timings[i].ms);
        record({ backend, shape: label, formulation: name, ms: timings[i].ms, reps: timings[i].reps });
      });
      if (x) {
        const [whole] = timeRounds([() => layer.forward(x).dispose()], BUDGET_MS / 3, MIN_REPS, 200, clock);
        record({ backend, shape: label, formulation: "(GPT2Attention.forward, whole block)", ms: whole.ms, reps: whole.reps });
      }
      const candidates = FORMULATIONS.filter(([n]) => !NOT_CANDIDATES.has(n));
      const [bestName, best] = candidates.map(([n]) => [n, ms.get(n)!] as const).reduce((a, b) => (b[1] < a[1] ? b : a));
      const ratio = ms.get(LIB)! / best;
      const line = `${backend} ${label}: lib ${ms.get(LIB)!.toFixed(3)} ms, best other "${bestName}" ${best.toFixed(3)} ms, lib / best = ${ratio.toFixed(2)} (${ratio <= 1.1 ? "within" : "OVER"} the 1.10 budget)`;
      console.log(`      ${line}`);
      summary.push(line);
      // Small shapes cost mostly fixed overhead, which would overstate the cost of large ones.
      if (Tq * Tk >= 128 * 128) msPerScore = Math.max(msPerScore, Math.max(...timings.map((t) => t.ms)) / (NH * Tq * Tk));
      for (const m of cachedMasks.values()) m.dispose();
      cachedMasks.clear();
      tf.dispose(x ? [q, k, v, x] : [q, k, v]);
      if (tf.memory().numTensors !== start - (x ? 4 : 3)) throw new Error(`bench leaked ${tf.memory().numTensors - start + (x ? 4 : 3)} tensors`);
    }
    layer.dispose();
  }

  // A table to paste: one column per shape, ms and the ratio to the fastest of that column.
  console.log("\n| backend | formulation | " + SHAPES.map((s) => s.label).join(" | ") + " |");
  console.log("| --- | --- | " + SHAPES.map(() => "---").join(" | ") + " |");
  for (const backend of backends) {
    const names = [...FORMULATIONS.map(([n]) => n), "(GPT2Attention.forward, whole block)"];
    for (const name of names) {
      const cells = SHAPES.map((s) => {
        const r = rows.find((x) => x.backend === backend && x.shape === s.label && x.formulation === name);
        if (!r || r.ms === null) return rows.some((x) => x.backend === backend && x.shape === s.label && x.ms === null) ? "skipped" : "";
        const fastest = Math.min(...rows.filter((x) => x.backend === backend && x.shape === s.label && x.ms !== null && !NOT_CANDIDATES.has(x.formulation) && !x.formulation.startsWith("(")).map((x) => x.ms!));
        return `${fmt(r.ms)}${name.startsWith("(") ? "" : ` (${(r.ms / fastest).toFixed(2)}×)`}`;
      });
      console.log(`| ${backend} | ${name} | ${cells.join(" | ")} |`);
    }
  }
  console.log("\n" + summary.join("\n"));
  const jsonAt = option("--json");
  if (jsonAt) fs.writeFileSync(jsonAt, JSON.stringify(rows, null, 2));
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
