// The lessons in JupyterLab, in a real browser: the app of jupyterlab/ (built by
// jupyterlab/build.sh, started through scripts/lessons.sh, the main command), driven by headless
// Chromium. Which notebooks, and what each must show, comes from test/notebooks/notebooks.json,
// the table the classic-Notebook browser test (browser.ts) and the headless runner read too.
//
//   npm run test:browser-lab
//
// It builds the app if needed, copies the table's notebooks to artifacts/browser-lab/ (the
// committed notebooks never get outputs), and on a fresh server (127.0.0.1, a free port and a fresh
// token; it must refuse requests without the token, and stop with its kernels on SIGTERM) opens
// each one, runs Run → Run All Cells through the menu, waits for the kernel and checks what the
// learner sees; then that LaTeX in markdown renders (MathJax, bundled: no network). Prints
// "N passed, N failed".
// Screenshots go to screenshots/lab/ (git-ignored). Every request that would leave 127.0.0.1 is
// blocked and reported.
//
// Debian packages: python3-jupyter-server python3-jupyterlab-server chromium.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS, ROOT, blockOffsite, killGroup, notebookTable, printResult, printSummary, readCheckTable, sleep, startLessons } from "./common";
import type { LessonsServer, Result, TableEntry } from "./common";
import type { Browser, BrowserContext, Page } from "playwright-core";

// Code passed to page.evaluate runs in the browser; this stand-in keeps DOM types out of the
// project's (Node-only) type check.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

interface LabServer extends LessonsServer {
  /** Jupyter's files (QKV_LAB_STATE), its runtime folder among them. */
  stateDir: string;
}

const result = (name: string, passed: boolean, message: string): Result => ({ name, passed, message });

/** PIDs of the kernels a server started: their command line names its runtime folder. */
function kernelPids(stateDir: string): number[] {
  const marker = path.join(stateDir, "runtime", "kernel-");
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The JupyterLab built here, through scripts/lessons.sh (startLessons), with Jupyter's files in
 * `stateDir`. Beyond a request without the token, one with a wrong token must be refused too, and
 * the app's page must not be served without one; otherwise the server is killed, with any kernel
 * it started, and this throws.
 */
async function startLabServer(notebookDir: string, stateDir: string): Promise<LabServer> {
  fs.mkdirSync(stateDir, { recursive: true });
  let server: LessonsServer | null = null;
  try {
    server = await startLessons("built", notebookDir, { QKV_LAB_STATE: stateDir });
    const wrong = await fetch(`${server.base}/api/contents`, { headers: { Authorization: "token wrong" }, redirect: "manual" });
    if (wrong.status !== 403) throw new Error(`the server answered ${wrong.status} to a request with a wrong token: auth must stay on`);
    const page = await fetch(`${server.base}/lab`, { redirect: "manual" });
    if (page.status === 200) throw new Error("the server served /lab without a token");
    return { ...server, stateDir };
  } catch (err) {
    killGroup(server?.proc);
    for (const pid of kernelPids(stateDir)) process.kill(pid, "SIGKILL");
    throw err;
  }
}

/**
 * Stop the server as a service manager would: one SIGTERM to the spawned process, scripts/lessons.sh,
 * which passes it on to the server (serve.sh exec's it) and exits once the server has. Reports
 * whether it stopped by itself and whether every kernel it had started ended with it; kills
 * whatever is left either way.
 */
async function stopLabServer(server: LabServer): Promise<Result[]> {
  const { proc } = server;
  const kernels = kernelPids(server.stateDir);
  const results: Result[] = [];
  if (proc.exitCode !== null || !proc.pid) return [result("server: still running at the end", false, `it had exited with ${proc.exitCode}`)];
  const t0 = Date.now();
  proc.kill("SIGTERM");
  while (proc.exitCode === null && proc.signalCode === null && Date.now() - t0 < 20_000) await sleep(100);
  const stopped = proc.exitCode !== null || proc.signalCode !== null;
  results.push(result("server: stops on SIGTERM", stopped, stopped ? `exited (code ${proc.exitCode}) ${((Date.now() - t0) / 1000).toFixed(1)} s after SIGTERM` : "still running 20 s after SIGTERM: killed"));
  if (!stopped) killGroup(proc);
  for (let i = 0; i < 50 && kernels.some(alive); i++) await sleep(100);
  const left = kernels.filter(alive);
  results.push(result("server: no kernel process outlives it", left.length === 0, `${kernels.length} kernel process(es) were running; ${left.length} left${left.length ? ` (pids ${left.join(", ")}, now killed)` : ""}`));
  for (const pid of left) process.kill(pid, "SIGKILL");
  return results;
}

/** Open `file` in JupyterLab (a fresh workspace, so no other tab is restored). */
async function openInLab(page: Page, base: string, token: string, file: string): Promise<void> {
  await page.goto(`${base}/lab/tree/${encodeURIComponent(file)}?reset&token=${token}`);
  // index.js sets this once JupyterLab has started and restored its layout.
  await page.waitForSelector("body[data-qkv-lab-ready]", { state: "attached", timeout: 90_000 });
}

/** The active notebook, as a CSS prefix (other panels are hidden, not removed). */
const PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)";

/**
 * Open a notebook in JupyterLab, run all its cells through the Run menu as a learner would, wait
 * for the kernel to be idle, and check what shows: every code cell ran, no error or stderr output,
 * the check table, every figure drawn (and by which renderer), no JavaScript errors, no request
 * leaving 127.0.0.1. Screenshots go to `shotsDir`.
 */
async function runLabNotebook(context: BrowserContext, base: string, token: string, nb: TableEntry, shotsDir: string): Promise<Result[]> {
  const { file } = nb;
  const label = file.replace(/\.ipynb$/, "");
  const results: Result[] = [];
  const record = (name: string, passed: boolean, message: string) => results.push(result(`${label}: ${name}`, passed, message));
  fs.mkdirSync(shotsDir, { recursive: true });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e.message).split("\n")[0]));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text().split("\n")[0].slice(0, 200));
  });
  const offsite = await blockOffsite(page, base);
  try {
    const t0 = Date.now();
    await openInLab(page, base, token, file);
    // The notebook's kernel (tslab, from its metadata) is ready once the toolbar names it and the
    // indicator says idle (before that it says "No Kernel", and Run All would run nothing).
    await page
      .waitForFunction(
        (panel) => {
          const name = (document.querySelector(`${panel} .jp-KernelName`)?.textContent || "").trim();
          return name !== "" && name !== "No Kernel" && document.querySelector(`${panel} .jp-Notebook-ExecutionIndicator`)?.getAttribute("data-status") === "idle";
        },
        PANEL,
        { timeout: 90_000 },
      )
      .catch(() => undefined);
    const kernel = (await page.textContent(`${PANEL} .jp-KernelName`))?.trim() ?? "";
    record("opens with the tslab kernel", /tslab/i.test(kernel), `kernel "${kernel}" idle ${((Date.now() - t0) / 1000).toFixed(1)} s after opening`);

    // Run → Run All Cells.
    const t1 = Date.now();
    await page.locator(".lm-MenuBar-item", { hasText: /^Run$/ }).click();
    await page.click(`.lm-Menu-item[data-command="runmenu:run-all"]`);
    // Done once the kernel is idle and no cell waits ("[*]") for 1.5 s; first wait for the run to
    // start, so an idle kernel before it does is not taken for the end.
    const state = () =>
      page.evaluate((panel) => {
        const p = document.querySelector(panel);
        const prompts = [...p.querySelectorAll(".jp-CodeCell .jp-InputPrompt")].map((e: any) => e.textContent);
        return { idle: p.querySelector(".jp-Notebook-ExecutionIndicator")?.getAttribute("data-status") === "idle", waiting: prompts.some((t: string) => t.includes("*")), ran: prompts.some((t: string) => /\d/.test(t)) };
      }, PANEL);
    for (let i = 0; i < 100 && !((await state()).waiting || (await state()).ran); i++) await sleep(100);
    let idleSince = 0;
    while (Date.now() - t1 < 300_000) {
      const s = await state();
      if (!s.idle || s.waiting) idleSince = 0;
      else if (!idleSince) idleSince = Date.now();
      else if (Date.now() - idleSince > 1500) break;
      await sleep(200);
    }
    const runSeconds = (Date.now() - t1 - 1500) / 1000;

    // Every code cell with code ran: its prompt shows a number. tslab aborts the cells queued
    // just after one that throws, and those keep an empty prompt.
    const cells: { count: string; empty: boolean }[] = await page.$$eval(`${PANEL} .jp-CodeCell`, (els) =>
      els.map((c: any) => ({ count: (c.querySelector(".jp-InputPrompt")?.textContent || "").replace(/[^\d]/g, ""), empty: !(c.querySelector(".cm-content")?.textContent || "").trim() })),
    );
    const code = cells.filter((c) => !c.empty);
    const notRun = code.map((c, i) => [c, i] as const).filter(([c]) => !c.count);
    record("every code cell ran (Run → Run All Cells)", code.length > 0 && notRun.length === 0, `${code.length - notRun.length}/${code.length} code cells have an execution count, in ${runSeconds.toFixed(1)} s` + (notRun.length ? `; not run: code cells ${notRun.map(([, i]) => i + 1).join(", ")}` : ""));

    // JupyterLab shows both error outputs and stderr streams with this mime type.
    const errors: string[] = await page.$$eval(`${PANEL} .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]`, (els) => els.map((e: any) => (e.textContent || "").trim().slice(0, 200)));
    record("no error output, no stderr", errors.length === 0, errors.length ? errors.join(" | ") : "none");

    if (nb.check) {
      const table = await readCheckTable(page, `${PANEL} .qkv-check`);
      if (nb.check === "pass") {
        record("the check table shows all passed", !!table && table.rows > 0 && !table.failed && /All \d+ checks passed/.test(table.summary), table ? `${table.rows} rows; "${table.summary}"` : "no check table (.qkv-check)");
      } else {
        record('the check table reports "not implemented yet"', !!table && table.failed && table.notImplemented, table ? `${table.rows} rows; "${table.summary.slice(0, 100)}"` : "no check table (.qkv-check)");
      }
      const el = await page.$(`${PANEL} .qkv-check`);
      if (el) await el.screenshot({ path: path.join(shotsDir, `${label}-check.png`) });
    }

    if (nb.figures > 0) {
      // A figure shows through plotly's mime renderer (jupyterlab-plotly, from the
      // application/vnd.plotly.v1+json data) where the app has it, else through the notebook's
      // HTML, where the inline plotly.js draws over the static picture (data-drawn="plotly").
      await page
        .waitForFunction(
          ([panel, n]) => document.querySelectorAll(`${panel} .jp-RenderedPlotly .plot-container`).length + document.querySelectorAll(`${panel} .qkv-figure[data-drawn]`).length >= n,
          [PANEL, nb.figures] as const,
          { timeout: 60_000 },
        )
        .catch(() => undefined);
      const figs: { renderer: string; drawn: boolean; title: string }[] = await page.evaluate((panel) => {
        const plotly = [...document.querySelectorAll(`${panel} .jp-RenderedPlotly`)].map((e: any) => ({ renderer: "mime", drawn: !!e.querySelector(".plot-container .main-svg") && e.getBoundingClientRect().height > 0, title: e.querySelector(".gtitle")?.textContent || "" }));
        const html = [...document.querySelectorAll(`${panel} .qkv-figure`)].map((e: any) => ({ renderer: "html", drawn: e.getAttribute("data-drawn") === "plotly" && !!e.querySelector(".main-svg"), title: e.querySelector(".gtitle")?.textContent || "" }));
        return [...plotly, ...html];
      }, PANEL);
      const drawn = figs.filter((f) => f.drawn);
      const by = (r: string) => drawn.filter((f) => f.renderer === r).length;
      const how = [by("mime") ? `${by("mime")} by plotly's mime renderer (application/vnd.plotly.v1+json)` : "", by("html") ? `${by("html")} by the HTML fallback (inline plotly.js)` : ""].filter(Boolean).join(", ");
      record("every figure drew", figs.length === nb.figures && drawn.length === figs.length, `${drawn.length}/${figs.length} drawn (expected ${nb.figures})${how ? `: ${how}` : ""}`);
      const handles = await page.$$(`${PANEL} .jp-RenderedPlotly, ${PANEL} .qkv-figure`);
      for (let i = 0; i < handles.length; i++) await handles[i].screenshot({ path: path.join(shotsDir, `${label}-figure-${i + 1}.png`) });
    }

    // Offline polish: no toast asking about news or announcing an update.
    const toasts: string[] = await page.$$eval(".Toastify__toast", (els) => els.map((e: any) => (e.textContent || "").trim().slice(0, 120)));
    const news = toasts.filter((t) => /news|update/i.test(t));
    record("no news or update notification", news.length === 0, news.length ? news.join(" | ") : `${toasts.length} notification(s), none about news or updates`);
    record("no JavaScript errors in the page", pageErrors.length === 0 && consoleErrors.length === 0, [...pageErrors, ...consoleErrors].join(" | ") || "no uncaught exception, no console error");
    record("no request left 127.0.0.1", offsite.length === 0, offsite.length ? `blocked: ${[...new Set(offsite)].slice(0, 5).join(", ")}` : "none");
    await page.screenshot({ path: path.join(shotsDir, `${label}-end.png`) });
  } catch (err) {
    record("ran in JupyterLab", false, String((err as Error).message).split("\n")[0]);
    await page.screenshot({ path: path.join(shotsDir, `${label}-failure.png`) }).catch(() => undefined);
  } finally {
    await page.close({ runBeforeUnload: false });
  }
  return results;
}

/** A markdown cell's LaTeX renders with the bundled MathJax (no network), in `file`. */
async function checkLabMath(context: BrowserContext, base: string, token: string, file: string, shotsDir: string): Promise<Result[]> {
  const page = await context.newPage();
  const offsite = await blockOffsite(page, base);
  try {
    await openInLab(page, base, token, file);
    const ok = await page
      .waitForFunction((panel) => document.querySelectorAll(`${panel} .jp-RenderedMarkdown mjx-container`).length >= 2, PANEL, { timeout: 30_000 })
      .then(() => true, () => false);
    const math = await page.$$eval(`${PANEL} .jp-RenderedMarkdown mjx-container`, (els) => els.map((e: any) => ({ jax: e.getAttribute("jax"), w: Math.round(e.getBoundingClientRect().width) })));
    const el = await page.$(`${PANEL} .jp-RenderedMarkdown`);
    if (el) await el.screenshot({ path: path.join(shotsDir, "math.png") });
    return [
      result("markdown: LaTeX renders with MathJax", ok && math.every((m) => m.w > 0), `${math.length} formulas typeset (${[...new Set(math.map((m) => m.jax))].join(", ")})`),
      result("markdown: MathJax needed no network", offsite.length === 0, offsite.length ? `blocked: ${[...new Set(offsite)].slice(0, 5).join(", ")}` : "no request left 127.0.0.1"),
    ];
  } catch (err) {
    return [result("markdown: LaTeX renders with MathJax", false, String((err as Error).message).split("\n")[0])];
  } finally {
    await page.close({ runBeforeUnload: false });
  }
}

// ---------------------------------------------------------------------------------------------
// The driver: npm run test:browser-lab

const NOTEBOOKS = notebookTable();

/** A notebook with only a markdown cell, for the MathJax check, independent of any lesson's text. */
function mathNotebook(): string {
  const cell = { cell_type: "markdown", metadata: {}, source: ["Scaled scores: $\\frac{q \\cdot k}{\\sqrt{d}}$, with $d = 64$.\n", "\n", "$$\\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d}}\\right)V$$\n"] };
  return JSON.stringify({ cells: [cell], metadata: { kernelspec: { name: "tslab-qkv", display_name: "TypeScript (tslab, Q/K/V lessons)", language: "typescript" } }, nbformat: 4, nbformat_minor: 5 }, null, 1);
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const results: Result[] = [];
  const report = (rs: Result[]) => {
    for (const r of rs) printResult(r);
    results.push(...rs);
  };
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    return 1;
  }
  // Build the app when missing or stale (prints its own progress; a no-op when up to date).
  const build = spawnSync("bash", [path.join(ROOT, "jupyterlab", "build.sh")], { stdio: "inherit" });
  if (build.status !== 0) {
    console.error("jupyterlab/build.sh failed");
    return 1;
  }
  const scratch = path.join(ROOT, "artifacts", "browser-lab");
  const notebookDir = path.join(scratch, "notebooks");
  const shotsDir = path.join(ROOT, "screenshots", "lab");
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(notebookDir, { recursive: true });
  for (const nb of NOTEBOOKS) fs.copyFileSync(path.join(ROOT, "notebooks", nb.file), path.join(notebookDir, nb.file));
  fs.writeFileSync(path.join(notebookDir, "math-check.ipynb"), mathNotebook());

  let server: LabServer | null = null;
  let browser: Browser | null = null;
  const killServer = () => {
    killGroup(server?.proc);
    if (server) for (const pid of kernelPids(server.stateDir)) process.kill(pid, "SIGKILL");
  };
  process.on("SIGINT", () => {
    killServer();
    process.exit(130);
  });
  try {
    const t1 = Date.now();
    server = await startLabServer(notebookDir, path.join(scratch, "state"));
    report([result("server: JupyterLab on 127.0.0.1 with token auth", true, `${server.base} answered in ${((Date.now() - t1) / 1000).toFixed(1)} s; requests without the token (or with a wrong one) are refused`)]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    for (const nb of NOTEBOOKS) report(await runLabNotebook(context, server.base, server.token, nb, shotsDir));
    report(await checkLabMath(context, server.base, server.token, "math-check.ipynb", shotsDir));
    await context.close();
  } catch (err) {
    report([result("browser check set-up", false, String((err as Error).stack || err))]);
    if (server) console.error(server.log.join("").slice(-3000));
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) report(await stopLabServer(server));
  }
  return printSummary(results, shotsDir, "browser check (JupyterLab)", t0);
}

main().then((code) => process.exit(code));
