// Backend selection, each case in a fresh Node process so that no earlier choice leaks in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseBackendName, BACKEND_ENV } from "../lib/index";

const SCRIPT = path.join(__dirname, "fixtures", "select-backend.ts");

function run(arg: string | undefined, env: Record<string, string | undefined> = {}): { first?: string; second?: string; active?: string; error?: string; lines: string[] } {
  const childEnv = { ...process.env, ...env };
  if (env[BACKEND_ENV] === undefined) delete childEnv[BACKEND_ENV];
  const out = spawnSync(process.execPath, ["--import", "tsx", SCRIPT, ...(arg ? [arg] : [])], { env: childEnv, encoding: "utf8", timeout: 60_000 });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split("\n").pop()!);
}

// Whether native really loads (try require, not "is the folder there"); a package
// present with a broken libtensorflow is exactly the unavailable case tested below.
let nativeLoads = false;
try {
  require("@tensorflow/tfjs-node");
  nativeLoads = true;
} catch {
  nativeLoads = false;
}

test("unpinned: picks the best backend that starts, verifies it, and says so once", () => {
  const r = run(undefined);
  assert.equal(r.error, undefined);
  assert.equal(r.first, r.active, "the backend it claims is the one tfjs has active");
  assert.equal(r.second, r.first);
  assert.equal(r.lines.length, 1, `one announcement, not one per call: ${JSON.stringify(r.lines)}`);
  if (r.first === "tensorflow") {
    assert.match(r.lines[0], /native TensorFlow/);
  } else {
    // On a machine without libtensorflow the line names the fallback and the reason.
    assert.equal(r.first, "wasm");
    assert.match(r.lines[0], /^native backend unavailable \(.+\): using WebAssembly SIMD, /);
  }
});

test("the environment variable pins a backend, overriding the argument", () => {
  const r = run("wasm", { [BACKEND_ENV]: "cpu" });
  assert.equal(r.first, "cpu");
  assert.equal(r.active, "cpu");
  assert.match(r.lines[0], /plain JavaScript \(cpu\) \(pinned by QKV_BACKEND\)/);
});

test("an argument pins a backend when the variable is unset", () => {
  const r = run("cpu");
  assert.equal(r.first, "cpu");
  assert.equal(r.active, "cpu");
});

test("a pinned backend that is unavailable is a clear error, not a silent fallback", { skip: nativeLoads && "tfjs-node loads on this machine" }, () => {
  const r = run(undefined, { [BACKEND_ENV]: "native" });
  assert.equal(r.first, undefined);
  assert.match(r.error!, /native TensorFlow \(tfjs-node\) backend was requested \(QKV_BACKEND=native\) but is unavailable: .*Unset QKV_BACKEND/);
});

test("an unknown backend name is a clear error listing the choices", () => {
  const r = run("webgpu");
  assert.match(r.error!, /Unknown backend "webgpu"\. Use one of: native \(tfjs-node\), wasm, cpu/);
  assert.throws(() => parseBackendName("gpu"), /Unknown backend "gpu"/);
});

test("a silent selection does not use up the one announcement", () => {
  const out = spawnSync(
    process.execPath,
    ["--import", "tsx", "-e", `const { selectBackend } = require(${JSON.stringify(path.join(__dirname, "..", "lib", "index.ts"))});
     (async () => { await selectBackend(undefined, { log: null }); await selectBackend(); })();`],
    { env: { ...process.env, [BACKEND_ENV]: "" }, encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /(TensorFlow\.js backend|native backend unavailable)/, "the first call that may speak, speaks");
});

test("aliases", () => {
  assert.equal(parseBackendName("native"), "tensorflow");
  assert.equal(parseBackendName(" WASM "), "wasm");
  assert.equal(parseBackendName("tensorflow"), "tensorflow");
});
