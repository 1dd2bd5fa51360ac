// npm run lessons: however it is stopped, it leaves no Jupyter server and no kernel behind.
// Each case starts the real command (Debian's classic Notebook), starts a tslab kernel through the
// API, stops the command one way, and waits for every process of that run to be gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { freePort, sleep } from "./notebooks/common";

const ROOT = path.resolve(__dirname, "..");
/** Processes whose command line mentions `marker` (this run's runtime folder or port). */
function processesWith(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes(marker) && !l.includes("ps -eo"));
}

/** Poll until `done` or the bound passes (a bound on waiting, not a claim about speed). */
async function until(done: () => boolean | Promise<boolean>, boundMs: number): Promise<boolean> {
  for (const end = Date.now() + boundMs; Date.now() < end; await sleep(250)) if (await done()) return true;
  return done();
}

const STOPS: [label: string, stop: (npmPid: number) => void][] = [
  ["SIGTERM to npm (kill $!)", (pid) => process.kill(pid, "SIGTERM")],
  ["Ctrl+C (SIGINT to the whole process group)", (pid) => process.kill(-pid, "SIGINT")],
  ["npm killed outright (SIGKILL): the script notices its parent is gone", (pid) => process.kill(pid, "SIGKILL")],
];

for (const [label, stop] of STOPS) {
  test(`npm run lessons leaves no server or kernel behind: ${label}`, async (t) => {
    if (!fs.existsSync("/usr/bin/jupyter")) {
      if (process.env.CI) assert.fail("Debian's jupyter-notebook is missing: .ci/run installs it");
      t.skip("no /usr/bin/jupyter (apt-get install jupyter-notebook python3-ipykernel)");
      return;
    }
    const port = await freePort();
    const token = randomBytes(16).toString("hex");
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-lessons-runtime-"));
    const env = { ...process.env, QKV_JUPYTER: "classic", QKV_NO_BROWSER: "1", QKV_PORT: String(port), JUPYTER_TOKEN: token, JUPYTER_RUNTIME_DIR: runtime };
    // Its own process group, as a terminal gives a foreground job (Ctrl+C signals the group).
    const npm = spawn("npm", ["run", "--silent", "lessons"], { cwd: ROOT, env, detached: true, stdio: "ignore" });
    const marker = [runtime, `--port=${port}`];
    const alive = () => marker.flatMap(processesWith);
    try {
      const headers = { Authorization: `token ${token}` };
      const up = await until(async () => (await fetch(`http://127.0.0.1:${port}/api/status`, { headers }).catch(() => null))?.ok === true, 90_000);
      assert.ok(up, "the server answered");
      const kernel = await fetch(`http://127.0.0.1:${port}/api/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "tslab-qkv" }) });
      assert.equal(kernel.status, 201, "a tslab kernel started");
      assert.ok(await until(() => processesWith(runtime).length > 0, 30_000), "the kernel's process is running");

      stop(npm.pid!);
      const gone = await until(() => alive().length === 0, 60_000);
      assert.ok(gone, `still running after the stop:\n${alive().join("\n")}`);
    } finally {
      for (const line of alive()) {
        try {
          process.kill(Number(line.trim().split(/\s+/)[0]), "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      fs.rmSync(runtime, { recursive: true, force: true });
    }
  });
}
