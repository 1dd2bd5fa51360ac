// Choosing a TensorFlow.js backend, and saying which one we got and why.
//
// Order of preference: native (`@tensorflow/tfjs-node`, backend name "tensorflow"),
// then WebAssembly with SIMD ("wasm"), then plain JavaScript ("cpu").
// The native package needs libtensorflow, which its install script downloads; on an offline
// machine that download fails and npm drops the optional dependency. So we detect it by
// trying to load it, not by looking for the folder.
import * as os from "node:os";
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

/** Cores this process may use (what a multi-threaded native BLAS would spread over). */
function coreCount(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

// What the fallback costs. The cpu ratio was measured with `npm run bench:qkv` on the c_attn workload
// (README, "Backends and speed": wasm-SIMD about 40 GFLOP/s, cpu about 0.85); the wasm line
// states what is known on any machine (one thread here, all cores for native) rather than a
// ratio measured on another machine.
function cost(name: BackendName): string {
  const cores = coreCount();
  if (name === "wasm") return cores > 1 ? `on one thread of this machine's ${cores} cores (native BLAS would use all ${cores})` : "on one thread";
  if (name === "cpu") return "about 45x slower than WebAssembly SIMD";
  return "";
}

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

/**
 * Run `fn` with console.warn held. The cpu backend prints a multi-line "install tfjs-node" banner
 * on its first write; our one-line announcement already says why we are on cpu.
 */
function withoutBanner<T>(fn: () => T): T {
  const warn = console.warn;
  try {
    console.warn = () => {};
    return fn();
  } finally {
    console.warn = warn;
  }
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
  const product = withoutBanner(() => tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]));
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
  /** Where `preferred` came from, for messages: "--backend native", say. Default: the call itself. */
  source?: string;
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
    const fromEnv = Boolean(process.env[BACKEND_ENV]?.trim());
    const source = fromEnv ? `${BACKEND_ENV}=${pinnedRaw}` : options.source ?? `selectBackend("${pinnedRaw}")`;
    const pinned = parseBackendName(pinnedRaw);
    const why = await tryBackend(pinned);
    if (why !== null) {
      const have = (await availableBackends()).map(shortName);
      const choose = have.length ? `This machine has: ${have.join(", ")}.` : "No backend can start on this machine.";
      const fix = fromEnv ? `Unset ${BACKEND_ENV} to let the kit choose, or set it to one of those.` : `Leave it out to let the kit choose, or pick one of those.`;
      throw new Error(`The ${LABEL[pinned]} backend was requested (${source}) but is unavailable: ${why}. ${choose} ${fix}`);
    }
    announce(`TensorFlow.js backend: ${await describe(pinned)} (pinned by ${fromEnv ? BACKEND_ENV : options.source ?? "the caller"})`, log);
    return pinned;
  }

  const skipped: string[] = [];
  for (const name of ORDER) {
    const why = await tryBackend(name);
    if (why === null) {
      const line =
        skipped.length === 0
          ? `TensorFlow.js backend: ${await describe(name)}`
          : `${skipped.join("; ")}: using ${await describe(name)}, ${cost(name)}`;
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

/** The name a user types for a backend: native, wasm or cpu. */
function shortName(name: BackendName): string {
  return name === "tensorflow" ? "native" : name;
}

/**
 * Make sure a backend is active before the first tensor is made. Synchronous, so every lib
 * function that creates tensors can call it, and a script needs no ritual.
 *
 * `await selectBackend()` is still the way to start: the WebAssembly backend starts
 * asynchronously (it compiles its .wasm file), so a synchronous first use can only pick the
 * native backend, which starts synchronously, or plain JavaScript (cpu), and says which, once.
 * A backend that is active or still starting is left alone.
 */
export function ensureBackend(log: ((line: string) => void) | null = console.log): void {
  const engine = tf.engine() as unknown as { backendInstance?: unknown; pendingBackendInit?: unknown };
  if (engine.backendInstance != null || engine.pendingBackendInit != null) return;
  const pinned = process.env[BACKEND_ENV]?.trim();
  const wanted = pinned ? parseBackendName(pinned) : null;
  if (wanted === "wasm") {
    throw new Error(`${BACKEND_ENV}=${pinned} pins the WebAssembly backend, which starts asynchronously: call \`await selectBackend()\` once before making tensors.`);
  }
  const order: BackendName[] = wanted ? [wanted] : ["tensorflow", "cpu"];
  for (const name of order) {
    if (name === "tensorflow" && tryLoadNative().ok === false) continue;
    // Both factories are synchronous, so setBackend has finished when it returns its Promise.
    tf.setBackend(name).catch(() => undefined);
    if (tf.getBackend() !== name) continue;
    withoutBanner(() => tf.tidy(() => tf.scalar(0).dataSync()));
    const line =
      name === "cpu"
        ? `TensorFlow.js backend: plain JavaScript (cpu), chosen on first use. For WebAssembly SIMD (about 45x faster), \`await selectBackend()\` before making tensors: it starts asynchronously, so first use cannot pick it.`
        : `TensorFlow.js backend: ${LABEL[name]}, chosen on first use`;
    announce(line, log);
    return;
  }
  throw new Error(`${BACKEND_ENV}=${pinned}: that backend cannot start here. Unset ${BACKEND_ENV}, or call \`await selectBackend()\` to see why.`);
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
