// What the notebook runners and the tests that start servers share: the table of notebooks, a free
// port on 127.0.0.1, Chromium, and stopping a process group.
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** One row of test/notebooks/notebooks.json: a notebook, and what a run of it must show. */
export interface TableEntry {
  file: string;
  /** "pass": the check table shows every check passed; "not-implemented": the untouched exercise's check fails that way; null: no check. */
  check: "pass" | "not-implemented" | null;
  figures: number;
  runs: { label: string; saved?: boolean; exportHtml?: boolean; env?: Record<string, string> }[];
}

export function notebookTable(): TableEntry[] {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, "notebooks.json"), "utf8")) as { notebooks: TableEntry[] }).notebooks;
}

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
/** Headless, and nothing that would reach the network on its own. */
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** SIGKILL a process started with `detached: true`, and its whole group; quiet if it is gone. */
export function killGroup(proc: ChildProcess | undefined | null): void {
  if (!proc?.pid || proc.exitCode !== null) return;
  try {
    process.kill(-proc.pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}
