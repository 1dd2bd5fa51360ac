// What the notebook runners and the tests that start servers share: the table of notebooks, a free
// port on 127.0.0.1, Chromium, stopping a process group, and, for the two browser runs (browser.ts,
// lab.ts), starting scripts/lessons.sh, blocking the network, reading the check table, and the
// PASS/FAIL lines with their "N passed, N failed" total.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { BrowserContext, Page } from "playwright-core";

// Code passed to page.evaluate runs in the browser; this stand-in keeps DOM types out of the
// project's (Node-only) type check.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

export const ROOT = path.resolve(__dirname, "..", "..");

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

/** Send `signal` to the process group of a process started with `detached: true`; quiet if the group is gone. */
export function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (!proc.pid) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    /* already gone */
  }
}

/** SIGKILL a process started with `detached: true`, and its whole group, unless it has exited. */
export function killGroup(proc: ChildProcess | undefined | null): void {
  if (!proc?.pid || proc.exitCode !== null) return;
  signalGroup(proc, "SIGKILL");
}

/** scripts/lessons.sh serving, as the browser runs start it. */
export interface LessonsServer {
  proc: ChildProcess;
  base: string;
  token: string;
  /** Its stdout and stderr so far. */
  log: string[];
}

/**
 * Start scripts/lessons.sh, the README's main command (so the runs cover it too: kernel
 * registration, 127.0.0.1, token auth), with QKV_JUPYTER=`jupyter`, serving `notebookDir` on
 * 127.0.0.1, a free port and a fresh token (Jupyter reads it from JUPYTER_TOKEN), in a process group
 * of its own, with `extraEnv` on top of this process's environment. Resolves once it answers with
 * the token and has refused a request without it (403); otherwise kills its group and throws.
 */
export async function startLessons(jupyter: "classic" | "built", notebookDir: string, extraEnv: NodeJS.ProcessEnv): Promise<LessonsServer> {
  const port = await freePort();
  const token = randomBytes(24).toString("hex");
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.GPT2_SAFETENSORS; // the browser runs use the announced stand-in weights
  delete env.JUPYTER_PATH; // lessons.sh must register the kernel by itself
  Object.assign(env, { QKV_JUPYTER: jupyter, QKV_NO_BROWSER: "1", QKV_PORT: String(port), QKV_NOTEBOOK_DIR: notebookDir, JUPYTER_TOKEN: token });
  const proc = spawn("bash", [path.join(ROOT, "scripts", "lessons.sh")], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  proc.stdout!.on("data", (d) => log.push(String(d)));
  proc.stderr!.on("data", (d) => log.push(String(d)));
  const base = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`scripts/lessons.sh exited with ${proc.exitCode}:\n${log.join("")}`);
      const up = await fetch(`${base}/api/status`, { headers: { Authorization: `token ${token}` } }).then((r) => r.ok, () => false);
      if (up) {
        const anon = await fetch(`${base}/api/contents`, { redirect: "manual" });
        if (anon.status !== 403) throw new Error(`the server answered ${anon.status} without a token: auth must stay on`);
        return { proc, base, token, log };
      }
      await sleep(250);
    }
    throw new Error(`scripts/lessons.sh (QKV_JUPYTER=${jupyter}) did not answer on ${base} within 60 s:\n${log.join("")}`);
  } catch (err) {
    // Never leave a server behind, least of all one that answered without a token: the caller
    // has no handle on it yet.
    killGroup(proc);
    throw err;
  }
}

/**
 * Let through only requests to `base` (and data: or blob: URLs), from `target` (a page, or every
 * page of a context): the lessons must work with no network, nothing leaves the machine. Returns
 * the list the blocked URLs are added to as they come.
 */
export async function blockOffsite(target: Page | BrowserContext, base: string): Promise<string[]> {
  const offsite: string[] = [];
  await target.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  return offsite;
}

/** What a check table (the lessons' `.qkv-check`) shows. */
export interface CheckTable {
  rows: number;
  /** A row shows ✗. */
  failed: boolean;
  notImplemented: boolean;
  /** The last row's text: the summary. */
  summary: string;
}

/** The check table that is the first match of `selector` in the page; null when there is none. */
export function readCheckTable(page: Page, selector: string): Promise<CheckTable | null> {
  return page.evaluate((sel) => {
    const t = document.querySelector(sel);
    if (!t) return null;
    const text = t.textContent || "";
    return { rows: t.querySelectorAll("tr").length, failed: text.includes("✗"), notImplemented: /not implemented yet/i.test(text), summary: (t.lastElementChild?.textContent || "").trim() };
  }, selector);
}

/** One PASS or FAIL line of a browser run. */
export interface Result {
  name: string;
  passed: boolean;
  message: string;
}

export function printResult(r: Result): void {
  console.log(`${r.passed ? "PASS" : "FAIL"}  ${r.name}${r.message ? `  -- ${r.message}` : ""}`);
}

/**
 * The closing lines of a browser run (where its screenshots are, how long `what` took since `t0`,
 * "N passed, N failed"), and its exit code: 1 when anything failed or nothing ran.
 */
export function printSummary(results: Result[], shotsDir: string, what: string, t0: number): number {
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  console.log(`\nscreenshots: ${path.relative(ROOT, shotsDir)}/`);
  console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed || results.length === 0 ? 1 : 0;
}
