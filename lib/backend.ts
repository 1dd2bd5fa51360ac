// Choosing a TensorFlow.js backend, and saying which one we got and why.
//
// Order of preference: native (`@tensorflow/tfjs-node`, backend name "tensorflow"),
// then WebAssembly with SIMD ("wasm"), then plain JavaScript ("cpu").
// The native package needs libtensorflow, which its install script downloads; on an offline
// machine that download fails and npm drops the optional dependency. So we detect it by
// trying to load it, not by looking for the folder.
import * as path from "node:path";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "./tf";

export type BackendName = "tensorflow" | "wasm" | "cpu";

/** Environment variable that pins the backend (tests and benchmarks use it). */
export const BACKEND_ENV = "QKV_BACKEND";

const ORDER: BackendName[] = ["tensorflow", "wasm", "cpu"];

const ALIASES: Record<string, BackendName> = {
  tensorflow: "tensorflow",
  native: "tensorflow",
  node: "tensorflow",
  "tfjs-node": "tensorflow",
  wasm: "wasm",
  cpu: "cpu",
};

const LABEL: Record<BackendName, string> = {
  tensorflow: "native TensorFlow (tfjs-node)",
  wasm: "WebAssembly",
  cpu: "plain JavaScript (cpu)",
};

// Measured with `npm run bench` and bench/openblas.py on the c_attn workload (README, "Backends
// and speed"), on this project's 2-core reference machine: wasm-SIMD about 40 GFLOP/s on one
// thread, numpy's multi-threaded OpenBLAS about 220, the cpu backend about 0.85.
const COST: Record<BackendName, string> = {
  tensorflow: "",
  wasm: "one thread, about 5x slower than multi-threaded native BLAS on 2 cores",
  cpu: "about 45x slower than WebAssembly SIMD",
};

/** Parse a backend name or alias; throws a clear error for anything else. */
export function parseBackendName(name: string): BackendName {
  const key = name.trim().toLowerCase();
  const found = ALIASES[key];
  if (!found) {
    throw new Error(
      `Unknown backend "${name}". Use one of: native (tfjs-node), wasm, cpu` +
        ` (for example ${BACKEND_ENV}=wasm).`,
    );
  }
  return found;
}

let nativeLoad: { ok: true } | { ok: false; reason: string } | undefined;

function tryLoadNative(): { ok: true } | { ok: false; reason: string } {
  if (nativeLoad) return nativeLoad;
  try {
    // Registers the "tensorflow" backend on our tfjs-core as a side effect.
    require("@tensorflow/tfjs-node");
    nativeLoad = { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e.code === "MODULE_NOT_FOUND" && /tfjs-node['"]?/.test(String(e.message).split("\n")[0]);
    nativeLoad = {
      ok: false,
      reason: missing
        ? "@tensorflow/tfjs-node is not installed; its install needs to download libtensorflow"
        : `libtensorflow could not be loaded: ${String(e.message).split("\n")[0]}`,
    };
  }
  return nativeLoad;
}

let wasmPathSet = false;

function prepareWasm(): void {
  if (wasmPathSet) return;
  // Point the wasm backend at the .wasm files shipped inside the npm package, so nothing is
  // fetched at run time. The trailing slash matters: tfjs appends the file name.
  const dir = path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
  setWasmPaths(dir + path.sep);
  wasmPathSet = true;
}

/** Try one backend; returns null on success or the reason it failed. */
async function tryBackend(name: BackendName): Promise<string | null> {
  if (name === "tensorflow") {
    const loaded = tryLoadNative();
    if (loaded.ok === false) return loaded.reason; // not `!loaded.ok`: tslab compiles without strictNullChecks, which that narrowing needs
  }
  if (name === "wasm") prepareWasm();
  if (tf.findBackendFactory(name) === null && tf.findBackend(name) === null) {
    return `backend "${name}" is not registered`;
  }
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    return `setBackend("${name}") threw: ${(err as Error).message}`;
  }
  // setBackend can fail without throwing, and tfjs may quietly stay on another backend.
  // Check both what it returned and what is active, then run one small product.
  if (!ok || tf.getBackend() !== name) {
    return `setBackend("${name}") did not take effect (active: ${tf.getBackend()})`;
  }
  // The cpu backend prints a multi-line "install tfjs-node" banner on its first write; our own
  // one-line announcement already says why we are on cpu, so hold console.warn for this probe.
  const warn = console.warn;
  let product: number;
  try {
    console.warn = () => {};
    product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
  } finally {
    console.warn = warn;
  }
  if (product !== 11) return `backend "${name}" computed [1,2]·[3,4] = ${product}, not 11`;
  return null;
}

async function describe(name: BackendName): Promise<string> {
  if (name === "wasm") {
    // The wasm backend picks its SIMD build when the runtime supports it (Node 20 does).
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return simd ? "WebAssembly SIMD" : "WebAssembly (no SIMD)";
  }
  return LABEL[name];
}

let announced: string | undefined;

export interface SelectBackendOptions {
  /** Where the one-line announcement goes. Default: console.log. Pass null for silence. */
  log?: ((line: string) => void) | null;
}

/**
 * Choose the best available backend and make it active.
 *
 * `preferred` (or the QKV_BACKEND environment variable, which wins) pins one backend: a
 * pinned backend that cannot start is an error, never a silent fallback, because tests and
 * benchmarks that pin one must measure that one. Without a pin we walk native → wasm → cpu
 * and say, once, in one line, what we chose and why nothing better was used.
 */
export async function selectBackend(preferred?: string, options: SelectBackendOptions = {}): Promise<string> {
  const log = options.log === undefined ? console.log : options.log;
  const pinnedRaw = process.env[BACKEND_ENV]?.trim() || preferred;
  if (pinnedRaw) {
    const pinned = parseBackendName(pinnedRaw);
    const why = await tryBackend(pinned);
    if (why !== null) {
      const source = process.env[BACKEND_ENV]?.trim() ? `${BACKEND_ENV}=${pinnedRaw}` : `selectBackend("${pinnedRaw}")`;
      throw new Error(
        `The ${LABEL[pinned]} backend was requested (${source}) but is unavailable: ${why}. ` +
          `Unset ${BACKEND_ENV} to let the kit choose, or pin one of the backends this machine has.`,
      );
    }
    announce(`TensorFlow.js backend: ${await describe(pinned)} (pinned by ${process.env[BACKEND_ENV]?.trim() ? BACKEND_ENV : "the caller"})`, log);
    return pinned;
  }

  const skipped: string[] = [];
  for (const name of ORDER) {
    const why = await tryBackend(name);
    if (why === null) {
      const line =
        skipped.length === 0
          ? `TensorFlow.js backend: ${await describe(name)}`
          : `${skipped.join("; ")}: using ${await describe(name)}, ${COST[name]}`;
      announce(line, log);
      return name;
    }
    skipped.push(`${name === "tensorflow" ? "native backend" : LABEL[name]} unavailable (${why})`);
  }
  throw new Error(`No TensorFlow.js backend could start: ${skipped.join("; ")}.`);
}

function announce(line: string, log: ((line: string) => void) | null): void {
  // Say it once, not on every call; a silent call (log: null) does not count as having said it.
  if (!log || line === announced) return;
  announced = line;
  log(line);
}

/** Backends this machine can actually run, in order of preference. Restores the active one. */
export async function availableBackends(): Promise<BackendName[]> {
  const before = tf.getBackend();
  const out: BackendName[] = [];
  for (const name of ORDER) {
    if ((await tryBackend(name)) === null) out.push(name);
  }
  if (before) await tf.setBackend(before);
  return out;
}
