// Putting figures and messages in a notebook: plotly.js inlined once, each figure as one display
// message with three representations (see plot.ts), boxed notices, small tables.
import * as fs from "node:fs";
import { randomBytes } from "node:crypto";
import { displayBundle } from "../display";
import type { Figure } from "./figure";
import { FONT, esc } from "./text";

/** The plotly.js bundle shipped in node_modules (no network involved). */
function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist/plotly.js");
}

/** Version of the inlined plotly.js. */
export function plotlyVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return String(require("plotly.js-dist/package.json").version);
}

/** HTML that defines window.Plotly: the whole bundle in one <script> (about 10 MB). */
export function plotlyScriptHtml(): string {
  const source = fs.readFileSync(plotlyBundlePath(), "utf8").replace(/<\/script/gi, "<\\/script");
  return (
    `<script type="text/javascript" data-qkv-plotly="${plotlyVersion()}">\n${source}\n</script>\n` +
    `<div class="qkv-plotly-loaded" style="font:12px sans-serif;color:#555">` +
    `plotly.js ${plotlyVersion()} loaded inline from node_modules (works offline).</div>`
  );
}

/** Run once near the top of a notebook, before any figure. */
export function loadPlotly(): void {
  displayBundle({
    "text/html": plotlyScriptHtml(),
    "text/plain": `plotly.js ${plotlyVersion()} loaded inline (in a viewer that runs scripts).`,
  });
}

/** The text/html representation: plotly draws over a static <img> of the same figure. */
export function figureHtml(fig: Figure, id = `qkv-fig-${randomBytes(6).toString("hex")}`): string {
  const svg64 = Buffer.from(fig.svg, "utf8").toString("base64");
  const spec = JSON.stringify({ data: fig.data, layout: fig.layout }).replace(/<\//g, "<\\/");
  // The script polls: for window.Plotly (defined by loadPlotly's output, which may still be
  // evaluating) and for its own element (JupyterLab can run the script before attaching the
  // output to the page). If plotly never arrives, the static picture simply stays.
  return (
    `<div class="qkv-figure" id="${id}" style="width:${fig.width}px;max-width:100%;position:relative">` +
    `<img class="qkv-fallback" width="${fig.width}" height="${fig.height}" alt="${esc(fig.alt)}" ` +
    `title="Static picture; the interactive plot draws here when the notebook's scripts run." ` +
    `src="data:image/svg+xml;base64,${svg64}"/>` +
    `<div class="qkv-plot"></div></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var id = ${JSON.stringify(id)}, spec = ${spec}, tries = 0;\n` +
    `  function draw() {\n` +
    `    var root = document.getElementById(id);\n` +
    `    if (!root || !window.Plotly) { if (++tries < 1200) setTimeout(draw, 50); return; }\n` +
    `    window.Plotly.newPlot(root.querySelector(".qkv-plot"), spec.data, spec.layout, {displaylogo: false, responsive: false})\n` +
    `      .then(function () { var f = root.querySelector(".qkv-fallback"); if (f) f.style.display = "none"; root.setAttribute("data-drawn", "plotly"); });\n` +
    `  }\n` +
    `  draw();\n` +
    `})();</script>`
  );
}

/** Display a figure (see plot.ts for the three representations). */
export function show(fig: Figure): void {
  displayBundle({
    "application/vnd.plotly.v1+json": { data: fig.data, layout: fig.layout },
    "text/html": figureHtml(fig),
    "image/svg+xml": fig.svg,
    "text/plain": `[figure] ${fig.alt}`,
  });
}

/** Display an HTML string (a small wrapper so notebooks need not import tslab). */
export function showHtml(html: string, plain = ""): void {
  displayBundle({ "text/html": html, "text/plain": plain || html.replace(/<[^>]+>/g, "") });
}

const NOTICE_STYLE = {
  info: { bg: "#e8f1fb", border: "#3b82c4", font: "13px/1.45" },
  warning: { bg: "#fff8e1", border: "#f0b400", font: "13px/1.45" },
  note: { bg: "#f4f4f4", border: "#9a9a9a", font: "12px/1.4" },
};

/** A boxed message: yellow for "warning", blue for "info", a small grey line for "note". `code` spans show as code. */
export function showNotice(text: string, kind: "info" | "warning" | "note" = "info"): void {
  const s = NOTICE_STYLE[kind];
  displayBundle({
    "text/html":
      `<div class="qkv-notice qkv-notice-${kind}" style="background:${s.bg};border-left:4px solid ${s.border};` +
      `padding:${kind === "note" ? "4px 10px" : "8px 12px"};font:${s.font} ${FONT};color:#222">${esc(text).replace(/`([^`]+)`/g, "<code>$1</code>")}</div>`,
    "text/plain": text,
  });
}

/**
 * Print a small 1-D or 2-D tensor (or a (1, T, N) one) as a table of rounded numbers. A square
 * table (tokens × tokens) labels its columns like its rows unless `columnLabels` says otherwise.
 */
export function printMatrix(t: { shape: number[]; arraySync(): unknown }, digits = 2, rowLabels?: string[], columnLabels?: string[]): void {
  let rows = t.arraySync() as unknown;
  if (t.shape.length === 3 && t.shape[0] === 1) rows = (rows as unknown[])[0];
  if (t.shape.length === 1) rows = [rows];
  const square = (rows as number[][]).length === ((rows as number[][])[0]?.length ?? -1);
  const cols = columnLabels ?? (square ? rowLabels : undefined);
  const table = (rows as number[][]).map((row, i) => {
    const entry: Record<string, number> = {};
    row.forEach((v, j) => (entry[cols?.[j] ?? String(j)] = Number(v.toFixed(digits))));
    return [rowLabels?.[i] ?? String(i), entry] as const;
  });
  console.table(Object.fromEntries(table));
}
