// The lessons in a real browser: Debian's classic Jupyter Notebook, driven by headless Chromium.
//
//   npm run test:browser
//
// What to open and what each notebook must show comes from test/notebooks/notebooks.json, the
// table the headless runner (run.py) reads too.
// 1. Serves copies of the notebooks (artifacts/browser/, so the committed files never get
//    outputs) through scripts/lessons.sh (the main command) forcing the classic Notebook, on
//    127.0.0.1, a free port and a fresh token, with the project-local tslab kernel.
// 2. In each notebook: Cell → Run All, wait for the kernel, then assert that every code cell ran,
//    no cell shows an error or stderr, the check table shows the table's verdict, and every
//    plotly figure drew its SVG (`.js-plotly-plot .main-svg`).
// 3. Reopens the executed notebooks the table marks "saved" (from `npm run test:notebooks`)
//    untrusted: no script runs, so every figure's static picture must show. Opens their exported
//    HTML from disk with all network blocked: plotly must draw every figure; with JavaScript
//    disabled, every static fallback picture must show instead.
// Screenshots go to screenshots/ (git-ignored). Prints "N passed, N failed"; always stops the server.
//
// Debian packages: jupyter-notebook python3-ipykernel chromium (and, for the HTML export,
// jupyter-nbconvert python3-nbclient).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS, ROOT, blockOffsite, killGroup, notebookTable, printResult, printSummary, readCheckTable, signalGroup, sleep, startLessons } from "./common";
import type { LessonsServer, Result, TableEntry } from "./common";
import type { Browser, BrowserContext, Page } from "playwright-core";

// Code passed to page.evaluate runs in the browser. These module-local stand-ins keep the DOM
// types out of the project's (Node-only) type check.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;
type HTMLElement = any;
type HTMLImageElement = any;

// What scripts/lessons.sh runs for QKV_JUPYTER=classic.
const JUPYTER = "/usr/bin/jupyter";
const SHOTS = path.join(ROOT, "screenshots");
const WORK = path.join(ROOT, "artifacts", "browser");
const NOTEBOOKS = notebookTable();
// Notebooks with figures, executed by `npm run test:notebooks` and saved with their outputs:
// reopened, Jupyter marks them "Not Trusted" and runs none of their scripts, so the static
// pictures must show; their HTML export must draw offline.
const WITH_PICTURES = NOTEBOOKS.filter((n) => n.figures > 0 && n.runs.some((r) => r.saved && r.exportHtml));
const savedFile = (n: TableEntry): string => path.join(ROOT, "artifacts", "notebooks", `saved-${n.file}`);
const exportedFile = (n: TableEntry): string => path.join(ROOT, "artifacts", "html", n.file.replace(/\.ipynb$/, ".html"));

const results: Result[] = [];
function record(name: string, passed: boolean, message: string): void {
  results.push({ name, passed, message });
  printResult({ name, passed, message });
}

/** The classic Notebook, with Jupyter's config, runtime and data files in a fresh folder. */
function startServer(): Promise<LessonsServer> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-jupyter-"));
  return startLessons("classic", WORK, {
    JUPYTER_CONFIG_DIR: path.join(scratch, "config"), // no user config can change what we test
    JUPYTER_RUNTIME_DIR: path.join(scratch, "runtime"),
    JUPYTER_DATA_DIR: path.join(scratch, "data"),
  });
}

async function stopServer(server: LessonsServer | null): Promise<void> {
  if (!server) return;
  const { proc, base, token } = server;
  try {
    const res = await fetch(`${base}/api/kernels`, { headers: { Authorization: `token ${token}` } });
    for (const k of (await res.json()) as { id: string }[]) {
      await fetch(`${base}/api/kernels/${k.id}`, { method: "DELETE", headers: { Authorization: `token ${token}` } });
    }
  } catch {
    // the server may already be gone
  }
  if (proc.exitCode === null && proc.pid) {
    // The server's process group. Kernels run in sessions of their own (jupyter_client starts
    // them with start_new_session), so they were shut down through the API above, and a
    // SIGTERM lets Jupyter shut down any that remain.
    signalGroup(proc, "SIGTERM");
    for (let i = 0; i < 40 && proc.exitCode === null && proc.signalCode === null; i++) await sleep(250);
    signalGroup(proc, "SIGKILL"); // whatever is left of the group, even once lessons.sh itself has exited
  }
}

/** Let the notebook UI's own scroll box grow, so a full-page screenshot shows every cell. */
async function unrollNotebook(page: Page): Promise<void> {
  await page.addStyleTag({ content: "html,body,#site{height:auto!important;overflow:visible!important} #header{position:static!important}" });
}

async function runNotebook(context: BrowserContext, server: LessonsServer, nb: (typeof NOTEBOOKS)[number]): Promise<void> {
  const label = nb.file.replace(".ipynb", "");
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e.message).split("\n")[0]));
  const t0 = Date.now();
  await page.goto(`${server.base}/notebooks/${nb.file}?token=${server.token}`);
  await page.waitForFunction(
    () => {
      const J = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter;
      return !!J?.notebook?.kernel?.is_connected() && !!document.querySelector("#kernel_indicator_icon.kernel_idle_icon");
    },
    null,
    { timeout: 90_000 },
  );
  // Cell → Run All, through the menu as a learner would.
  await page.click("#celllink");
  await page.click("#run_all_cells a");
  // Done when the kernel has been idle, with no cell waiting ("*"), for a second.
  let idleSince = 0;
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const busy = await page.evaluate(
      () => !document.querySelector("#kernel_indicator_icon.kernel_idle_icon") || [...document.querySelectorAll(".input_prompt")].some((p) => p.textContent!.includes("*")),
    );
    if (busy) idleSince = 0;
    else if (!idleSince) idleSince = Date.now();
    else if (Date.now() - idleSince > 1000) break;
    await sleep(200);
  }
  const runSeconds = (Date.now() - t0) / 1000;

  // Every code cell ran: its prompt shows a number. A cell tslab aborted after an error shows none.
  const prompts = await page.evaluate(() => {
    const J = (window as unknown as { Jupyter: { notebook: { get_cells(): { cell_type: string; input_prompt_number?: unknown; get_text(): string }[] } } }).Jupyter;
    return J.notebook.get_cells().filter((c) => c.cell_type === "code" && c.get_text().trim()).map((c) => c.input_prompt_number);
  });
  const notRun = prompts.map((p, i) => [p, i] as const).filter(([p]) => typeof p !== "number");
  record(`${label}: every code cell ran (Run All)`, notRun.length === 0 && prompts.length > 0, `${prompts.length - notRun.length}/${prompts.length} cells have an execution count, in ${runSeconds.toFixed(1)} s` + (notRun.length ? `; not run: code cells ${notRun.map(([, i]) => i).join(", ")}` : ""));

  const errors = await page.$$eval(".output_error, .output_stderr", (els) => els.map((e) => (e.textContent || "").trim().slice(0, 200)));
  record(`${label}: no cell shows an error`, errors.length === 0, errors.length ? errors.join(" | ") : "no .output_error, no stderr");

  if (nb.check) {
    const table = await readCheckTable(page, ".qkv-check");
    if (nb.check === "pass") {
      record(`${label}: the check table shows all passed`, !!table && table.rows > 0 && !table.failed && /All \d+ checks passed/.test(table.summary), table ? `${table.rows} rows; "${table.summary}"` : "no check table (.qkv-check) in the page");
    } else {
      record(`${label}: the check table reports "not implemented yet" as a failed check`, !!table && table.failed && table.notImplemented, table ? `${table.rows} rows; "${table.summary.slice(0, 100)}"` : "no check table (.qkv-check) in the page");
    }
    const el = await page.$(".qkv-check");
    if (el) await el.screenshot({ path: path.join(SHOTS, `${label}-check.png`) });
  }

  if (nb.figures > 0) {
    await page.waitForFunction((n) => document.querySelectorAll(".qkv-figure").length >= n && !document.querySelector(".qkv-figure:not([data-drawn])"), nb.figures, { timeout: 60_000 }).catch(() => undefined);
    const figs = await page.$$eval(".qkv-figure", (els) =>
      els.map((e) => ({
        svg: !!e.querySelector(".js-plotly-plot .main-svg"),
        fallbackHidden: (e.querySelector(".qkv-fallback") as HTMLElement | null)?.style.display === "none",
        title: e.querySelector(".gtitle")?.textContent || "",
      })),
    );
    const drawn = figs.filter((f) => f.svg && f.fallbackHidden).length;
    record(`${label}: every plotly figure drew its SVG`, figs.length === nb.figures && drawn === figs.length, `${drawn}/${figs.length} drawn (expected ${nb.figures})`);
    const version = await page.evaluate(() => (window as unknown as { Plotly?: { version: string } }).Plotly?.version ?? null);
    record(`${label}: plotly.js comes from the notebook itself`, version !== null, `window.Plotly.version = ${version}`);
    const handles = await page.$$(".qkv-figure");
    for (let i = 0; i < handles.length; i++) await handles[i].screenshot({ path: path.join(SHOTS, `${label}-figure-${i + 1}.png`) });
  }
  record(`${label}: no JavaScript errors in the page`, pageErrors.length === 0, pageErrors.join(" | ") || "none");
  await unrollNotebook(page);
  await page.screenshot({ path: path.join(SHOTS, `${label}-full.png`), fullPage: true });
  await page.close({ runBeforeUnload: false });
}

/** Open a saved, executed notebook without running it: the static pictures show. */
async function checkSavedNotebook(context: BrowserContext, server: LessonsServer, nb: TableEntry): Promise<void> {
  const saved = savedFile(nb);
  const label = nb.file.replace(".ipynb", "");
  if (!fs.existsSync(saved)) {
    record(`${label}, saved and untrusted: static pictures`, false, `${path.relative(ROOT, saved)} is missing: run npm run test:notebooks first`);
    return;
  }
  const file = `saved-${nb.file}`;
  fs.copyFileSync(saved, path.join(WORK, file));
  const page = await context.newPage();
  await page.goto(`${server.base}/notebooks/${file}?token=${server.token}`);
  await page.waitForFunction(() => document.querySelectorAll(".output_area").length > 0, null, { timeout: 60_000 });
  await sleep(2000); // give any script that (wrongly) ran the time to draw
  const state = await page.evaluate(() => ({
    trusted: (document.querySelector("#notification_trusted")?.textContent || "").trim(),
    drawn: document.querySelectorAll(".qkv-figure .js-plotly-plot").length,
    images: [...document.querySelectorAll("img.qkv-fallback")].map((img: any) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().height > 0),
  }));
  const shown = state.images.filter(Boolean).length;
  record(
    `${label}, saved and untrusted (scripts do not run): a static picture for every figure`,
    shown === nb.figures && state.drawn === 0,
    `${shown}/${state.images.length} fallback images visible (expected ${nb.figures}), ${state.drawn} plotly plots drawn, Jupyter says "${state.trusted}"`,
  );
  const figures = await page.$$(".qkv-figure");
  for (let i = 0; i < figures.length; i++) await figures[i].screenshot({ path: path.join(SHOTS, `${label}-saved-untrusted-figure-${i + 1}.png`) });
  await page.close({ runBeforeUnload: false });
}

async function checkExportedHtml(browser: Browser, nb: TableEntry): Promise<void> {
  const exported = exportedFile(nb);
  const label = nb.file.replace(".ipynb", "");
  if (!fs.existsSync(exported)) {
    record(`${label}, exported HTML: exists`, false, `${exported} was not written: run npm run test:notebooks first`);
    return;
  }
  const expected = nb.figures;
  for (const js of [true, false]) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: js });
    const blocked: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    await page.goto(`file://${exported}`);
    if (js) {
      const ok = await page
        .waitForFunction((n) => [...document.querySelectorAll(".qkv-figure")].filter((f: any) => f.querySelector(".js-plotly-plot .main-svg")).length >= n, expected, { timeout: 60_000 })
        .then(() => true, () => false);
      const n = await page.$$eval(".qkv-figure", (els) => els.filter((f) => f.querySelector(".js-plotly-plot .main-svg")).length);
      record(`${label}, exported HTML, offline: plotly draws every figure`, ok && n === expected, `${n}/${expected} figures drawn with all network blocked (${blocked.length} requests blocked)`);
      const first = await page.$(".qkv-figure");
      if (first) await first.screenshot({ path: path.join(SHOTS, `${label}-exported-html-figure-1.png`) });
    } else {
      const imgs = await page.$$eval("img.qkv-fallback", (els) =>
        els.map((e) => {
          const img = e as HTMLImageElement;
          const r = img.getBoundingClientRect();
          return { loaded: img.complete && img.naturalWidth > 0, visible: r.width > 0 && r.height > 0 && getComputedStyle(img).display !== "none" };
        }),
      );
      const good = imgs.filter((i) => i.loaded && i.visible).length;
      record(`${label}, exported HTML, no JavaScript: a static picture for every figure`, imgs.length === expected && good === expected, `${good}/${imgs.length} fallback images decoded and visible (expected ${expected})`);
      const figures = await page.$$(".qkv-figure");
      for (let i = 0; i < figures.length; i++) await figures[i].screenshot({ path: path.join(SHOTS, `${label}-exported-no-js-figure-${i + 1}.png`) });
    }
    await context.close();
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  for (const [what, file] of [["Chromium", CHROMIUM], ["Jupyter", JUPYTER]]) {
    if (!fs.existsSync(file)) {
      console.error(`${what} not found at ${file}. Install Debian's packages: apt-get install -y chromium jupyter-notebook python3-ipykernel`);
      return 1;
    }
  }
  for (const nb of WITH_PICTURES) {
    if (fs.existsSync(exportedFile(nb)) && fs.existsSync(savedFile(nb))) continue;
    // Normally `npm run test:notebooks` ran first and left both behind.
    const run = nb.runs.find((r) => r.saved)!;
    console.log(`(no executed ${nb.file} in artifacts/: running it headless first)`);
    spawnSync("/usr/bin/python3", [path.join(__dirname, "run.py"), "--only", run.label], { stdio: "inherit" });
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  for (const nb of NOTEBOOKS) fs.copyFileSync(path.join(ROOT, "notebooks", nb.file), path.join(WORK, nb.file));

  let server: LessonsServer | null = null;
  let browser: Browser | null = null;
  const cleanup = () => killGroup(server?.proc);
  process.on("SIGINT", () => {
    cleanup();
    process.exit(130);
  });
  process.on("exit", cleanup);
  try {
    server = await startServer();
    record("server: npm run lessons serves the classic Notebook on 127.0.0.1 with token auth", true, `${server.base} (requests without the token are refused)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const offsite = await blockOffsite(context, server.base);
    for (const nb of NOTEBOOKS) {
      try {
        await runNotebook(context, server, nb);
      } catch (err) {
        record(`${nb.file}: ran in the browser`, false, String((err as Error).message).split("\n")[0]);
        for (const p of context.pages()) await p.screenshot({ path: path.join(SHOTS, `${nb.file.replace(".ipynb", "")}-failure.png`) }).catch(() => undefined);
        console.error(server.log.join("").slice(-2000));
      }
    }
    for (const nb of WITH_PICTURES) await checkSavedNotebook(context, server, nb);
    record("no request left 127.0.0.1", offsite.length === 0, offsite.length ? `blocked: ${[...new Set(offsite)].slice(0, 5).join(", ")}` : "none");
    await context.close();
    for (const nb of WITH_PICTURES) await checkExportedHtml(browser, nb);
  } catch (err) {
    record("browser test set-up", false, String((err as Error).stack || err));
    if (server) console.error(server.log.join("").slice(-3000));
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServer(server);
  }
  return printSummary(results, SHOTS, "browser test", t0);
}

main().then((code) => process.exit(code));
