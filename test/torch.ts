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
