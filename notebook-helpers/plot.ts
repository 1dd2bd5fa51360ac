// Plots for the notebooks: plotly.js figures that work offline, with a static picture underneath.
//
// Why it is built this way:
// - Loading plotly from a CDN fails offline, so `loadPlotly()` inlines the plotly.js-dist bundle
//   in one <script>, once per notebook. Each figure's own script waits for `window.Plotly`.
// - Classic Notebook and nbconvert's HTML ignore the `application/vnd.plotly.v1+json` mime type;
//   JupyterLab and VS Code render it. So every figure is ONE display message carrying three
//   representations, and each viewer picks the best one it has:
//     application/vnd.plotly.v1+json  JupyterLab (with plotly's extension) and VS Code;
//     text/html                       a <div> that plotly draws into, over a static <img> of the
//                                     same picture (an SVG made here, in TypeScript) that is hidden
//                                     once plotly has drawn. Where scripts cannot run (an untrusted
//                                     notebook, GitHub, an HTML export opened without JS), the
//                                     <img> stays, and it shows the same data, colours and axes;
//     image/svg+xml                   the same static SVG, for viewers that drop HTML entirely.
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { randomBytes } from "node:crypto";
import { displayBundle } from "./display";

// ---------------------------------------------------------------------------------------------
// Loading plotly.js once, inline.

/** The plotly.js bundle shipped in node_modules (no network involved). */
export function plotlyBundlePath(): string {
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

// ---------------------------------------------------------------------------------------------
// Colours: one definition shared by plotly and the static SVG, so both show the same picture.

type Stops = [number, string][];

/** Diverging blue–white–red, for signed values centred on 0. */
export const DIVERGING: Stops = [
  [0, "#2166ac"], [0.25, "#67a9cf"], [0.5, "#f7f7f7"], [0.75, "#ef8a62"], [1, "#b2182b"],
];
/** Sequential, dark to light, for values ≥ 0 (norms). */
export const SEQUENTIAL: Stops = [
  [0, "#440154"], [0.25, "#3b528b"], [0.5, "#21918c"], [0.75, "#5ec962"], [1, "#fde725"],
];
/** Colours for Q, K, V (and other series), in this order. */
export const SERIES_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function colorAt(stops: Stops, t: number): [number, number, number] {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5));
  for (let i = 1; i < stops.length; i++) {
    if (u <= stops[i][0]) {
      const [t0, c0] = stops[i - 1];
      const [t1, c1] = stops[i];
      const f = t1 === t0 ? 0 : (u - t0) / (t1 - t0);
      const a = hexToRgb(c0);
      const b = hexToRgb(c1);
      return [0, 1, 2].map((k) => Math.round(a[k] + f * (b[k] - a[k]))) as [number, number, number];
    }
  }
  return hexToRgb(stops[stops.length - 1][1]);
}

// ---------------------------------------------------------------------------------------------
// A minimal PNG encoder (RGB, 8 bit): the static heatmap is a tiny image, one pixel per cell,
// scaled up inside the SVG. Far smaller than one <rect> per cell.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encode an RGB image (rows of [r,g,b] pixels) as PNG bytes. */
export function encodePng(width: number, height: number, pixel: (row: number, col: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc(height * (1 + 3 * width));
  let o = 0;
  for (let r = 0; r < height; r++) {
    raw[o++] = 0; // filter: none
    for (let c = 0; c < width; c++) {
      const [R, G, B] = pixel(r, c);
      raw[o++] = R;
      raw[o++] = G;
      raw[o++] = B;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", zlib.deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Figures.

/** A plotly figure plus its static SVG twin. Show it with `show(fig)`. */
export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  /** Static picture of the same figure, made without a browser. */
  svg: string;
  /** One-line description (alt text and text/plain). */
  alt: string;
  width: number;
  height: number;
}

/** Labels for one axis of a heatmap panel. Tick labels may repeat (a token can occur twice). */
export interface AxisSpec {
  title?: string;
  /** One label per row (y) or column (x). Omit for plain indices. */
  labels?: string[];
}

export interface HeatmapPanel {
  /** Rows × columns of values: z[row][col]. */
  z: number[][];
  title?: string;
  x?: AxisSpec;
  y?: AxisSpec;
  /** Column indices where a thin vertical divider is drawn (e.g. head boundaries), with labels. */
  xDividers?: number[];
  xGroupLabels?: { at: number; text: string }[];
}

export interface HeatmapOptions {
  title: string;
  panels: HeatmapPanel[];
  /** Panels side by side ("row", default) or stacked ("column"). */
  arrange?: "row" | "column";
  /** "diverging" (signed, centred on 0; default) or "sequential" (≥ 0). */
  scale?: "diverging" | "sequential";
  colorbarTitle?: string;
  /** Colours saturate at this quantile of |value| so a few outliers do not wash out the rest. Default 0.99. */
  clipQuantile?: number;
  width?: number;
  /** Height of each panel's plotting area in pixels. */
  panelHeight?: number;
}

const FONT = "Helvetica, Arial, sans-serif";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Round for the figure JSON: 4 significant digits is more than a colour can show. */
function round4(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(4)) : 0;
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 1;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

function fmtTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** Evenly spaced integer ticks, about `count` of them. */
function indexTicks(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const raw = n / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v < n; v += step) out.push(v);
  return out;
}

/** The layout keys every figure shares: title, size, margins and font. */
function baseLayout(title: string, width: number, height: number, margin: Record<string, number>): Record<string, unknown> {
  return {
    title: { text: title, font: { size: 15 }, x: 0.02, xanchor: "left" },
    width,
    height,
    margin: { ...margin, pad: 0 },
    font: { family: FONT, size: 11 },
  };
}

/** A heatmap figure of one or more panels sharing one colour scale. */
export function heatmap(options: HeatmapOptions): Figure {
  const { panels } = options;
  if (panels.length === 0) throw new Error("heatmap needs at least one panel.");
  const arrange = options.arrange ?? "row";
  const stops = options.scale === "sequential" ? SEQUENTIAL : DIVERGING;
  const all: number[] = [];
  for (const p of panels) for (const row of p.z) for (const v of row) if (Number.isFinite(v)) all.push(v);
  const q = options.clipQuantile ?? 0.99;
  let zmin: number;
  let zmax: number;
  if (options.scale === "sequential") {
    zmin = 0; // norms and other non-negative values
    zmax = quantile(all, q) || 1;
  } else {
    const m = quantile(all.map(Math.abs), q) || 1;
    zmin = -m;
    zmax = m;
  }

  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? 260;
  const margin = { l: 90, r: 110, t: 56, b: 56 };
  const gap = arrange === "row" ? 40 : 56;
  const n = panels.length;
  const plotW = width - margin.l - margin.r;
  const cellW = arrange === "row" ? (plotW - gap * (n - 1)) / n : plotW;
  const height = arrange === "row" ? margin.t + panelHeight + margin.b : margin.t + n * panelHeight + (n - 1) * gap + margin.b;
  const plotH = height - margin.t - margin.b;
  // Panel boxes in pixels (left, top, width, height), used by both renderings.
  const boxes = panels.map((_, i) =>
    arrange === "row"
      ? { x: margin.l + i * (cellW + gap), y: margin.t, w: cellW, h: panelHeight }
      : { x: margin.l, y: margin.t + i * (panelHeight + gap), w: plotW, h: panelHeight },
  );

  // --- plotly
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    ...baseLayout(options.title, width, height, margin),
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    annotations: [] as unknown[],
    shapes: [] as unknown[],
  };
  const annotations = layout.annotations as unknown[];
  const shapes = layout.shapes as unknown[];
  panels.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const rows = p.z.length;
    const cols = rows ? p.z[0].length : 0;
    const b = boxes[i];
    data.push({
      type: "heatmap",
      z: p.z.map((row) => row.map(round4)),
      x: Array.from({ length: cols }, (_, c) => c),
      y: Array.from({ length: rows }, (_, r) => r),
      zmin,
      zmax,
      zauto: false,
      colorscale: stops,
      showscale: i === 0,
      colorbar: { title: { text: options.colorbarTitle ?? "" }, thickness: 14, len: 1, x: 1.01, xpad: 8 },
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      hovertemplate:
        `${p.y?.labels ? "%{customdata}" : "row %{y}"}<br>${p.x?.title ?? "column"} %{x}<br>value %{z:.4f}<extra>${esc(p.title ?? "")}</extra>`,
      customdata: p.y?.labels ? p.z.map((row, r) => row.map(() => p.y!.labels![r])) : undefined,
    });
    const xTicks = p.x?.labels ? Array.from({ length: cols }, (_, c) => c) : indexTicks(cols, 8);
    const yTicks = p.y?.labels ? Array.from({ length: rows }, (_, r) => r) : indexTicks(rows, 8);
    layout[`xaxis${ax}`] = {
      domain: [(b.x - margin.l) / plotW, (b.x + b.w - margin.l) / plotW],
      anchor: `y${ax}`,
      title: { text: p.x?.title ?? "", standoff: 6 },
      tickmode: "array",
      tickvals: xTicks,
      ticktext: xTicks.map((t) => (p.x?.labels ? p.x.labels[t] : String(t))),
      range: [-0.5, cols - 0.5],
      showgrid: false,
      zeroline: false,
      ticks: "outside",
    };
    layout[`yaxis${ax}`] = {
      domain: [1 - (b.y + b.h - margin.t) / plotH, 1 - (b.y - margin.t) / plotH],
      anchor: `x${ax}`,
      title: { text: p.y?.title ?? "", standoff: 6 },
      tickmode: "array",
      tickvals: yTicks,
      ticktext: yTicks.map((t) => (p.y?.labels ? p.y.labels[t] : String(t))),
      range: [rows - 0.5, -0.5], // row 0 at the top, as in a matrix
      showgrid: false,
      zeroline: false,
      ticks: "outside",
    };
    if (p.title) {
      annotations.push({
        text: `<b>${esc(p.title)}</b>`,
        xref: `x${ax} domain`,
        yref: `y${ax} domain`,
        x: 0,
        y: 1,
        xanchor: "left",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 12 },
      });
    }
    for (const d of p.xDividers ?? []) {
      shapes.push({ type: "line", xref: `x${ax}`, yref: `y${ax} domain`, x0: d - 0.5, x1: d - 0.5, y0: 0, y1: 1, layer: "above", line: { color: "#000", width: 2 } });
    }
    for (const g of p.xGroupLabels ?? []) {
      annotations.push({ text: esc(g.text), xref: `x${ax}`, yref: `y${ax} domain`, x: g.at, y: 1, yanchor: "bottom", showarrow: false, font: { size: 9, color: "#333" } });
    }
  });

  // --- static SVG, same layout
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width * 0.02}" y="24" font-size="15" fill="#222">${esc(options.title)}</text>`);
  panels.forEach((p, i) => {
    const rows = p.z.length;
    const cols = rows ? p.z[0].length : 0;
    const b = boxes[i];
    const png = encodePng(cols, rows, (r, c) => colorAt(stops, (p.z[r][c] - zmin) / (zmax - zmin)));
    parts.push(
      `<image x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" preserveAspectRatio="none" ` +
        `style="image-rendering:pixelated;image-rendering:crisp-edges" href="data:image/png;base64,${png.toString("base64")}"/>`,
    );
    parts.push(`<rect x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}" fill="none" stroke="#444" stroke-width="0.5"/>`);
    if (p.title) parts.push(`<text x="${b.x}" y="${b.y - 5}" font-size="12" font-weight="bold" fill="#222">${esc(p.title)}</text>`);
    const cx = (c: number) => b.x + ((c + 0.5) / cols) * b.w;
    const cy = (r: number) => b.y + ((r + 0.5) / rows) * b.h;
    const xTicks = p.x?.labels ? Array.from({ length: cols }, (_, c) => c) : indexTicks(cols, 8);
    const yTicks = p.y?.labels ? Array.from({ length: rows }, (_, r) => r) : indexTicks(rows, 8);
    for (const t of xTicks) {
      parts.push(`<line x1="${cx(t)}" x2="${cx(t)}" y1="${b.y + b.h}" y2="${b.y + b.h + 4}" stroke="#444"/>`);
      parts.push(`<text x="${cx(t)}" y="${b.y + b.h + 15}" font-size="11" text-anchor="middle" fill="#333">${esc(p.x?.labels ? p.x.labels[t] : String(t))}</text>`);
    }
    for (const t of yTicks) {
      parts.push(`<line x1="${b.x - 4}" x2="${b.x}" y1="${cy(t)}" y2="${cy(t)}" stroke="#444"/>`);
      parts.push(`<text x="${b.x - 6}" y="${cy(t) + 4}" font-size="11" text-anchor="end" fill="#333">${esc(p.y?.labels ? p.y.labels[t] : String(t))}</text>`);
    }
    if (p.x?.title) parts.push(`<text x="${b.x + b.w / 2}" y="${b.y + b.h + 32}" font-size="12" text-anchor="middle" fill="#222">${esc(p.x.title)}</text>`);
    if (p.y?.title) {
      const tx = b.x - 70;
      const ty = b.y + b.h / 2;
      parts.push(`<text x="${tx}" y="${ty}" font-size="12" text-anchor="middle" fill="#222" transform="rotate(-90 ${tx} ${ty})">${esc(p.y.title)}</text>`);
    }
    for (const d of p.xDividers ?? []) {
      const x = b.x + (d / cols) * b.w;
      parts.push(`<line x1="${x}" x2="${x}" y1="${b.y}" y2="${b.y + b.h}" stroke="#000" stroke-width="2"/>`);
    }
    for (const g of p.xGroupLabels ?? []) {
      parts.push(`<text x="${cx(g.at)}" y="${b.y - 3}" font-size="9" text-anchor="middle" fill="#333">${esc(g.text)}</text>`);
    }
  });
  // Colour bar
  const gx = width - margin.r + 18;
  const gy = margin.t;
  const gh = plotH;
  const gradient = stops.map(([t, c]) => `<stop offset="${1 - t}" stop-color="${c}"/>`).reverse().join("");
  parts.push(`<defs><linearGradient id="cb" x1="0" y1="0" x2="0" y2="1">${gradient}</linearGradient></defs>`);
  parts.push(`<rect x="${gx}" y="${gy}" width="14" height="${gh}" fill="url(#cb)" stroke="#444" stroke-width="0.5"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = zmax - (k / 4) * (zmax - zmin);
    const y = gy + (k / 4) * gh;
    parts.push(`<text x="${gx + 18}" y="${y + 4}" font-size="10" fill="#333">${fmtTick(v)}</text>`);
  }
  if (options.colorbarTitle) parts.push(`<text x="${gx}" y="${gy - 8}" font-size="10" fill="#333">${esc(options.colorbarTitle)}</text>`);

  const shapesText = panels.map((p) => `${p.title ?? "panel"} ${p.z.length}×${p.z[0]?.length ?? 0}`).join(", ");
  return finish(data, layout, parts, width, height, `${options.title} (heatmap: ${shapesText})`);
}

export interface BarSeries {
  name: string;
  values: number[];
  color?: string;
}

export interface BarOptions {
  title: string;
  categories: string[];
  series: BarSeries[];
  yTitle?: string;
  xTitle?: string;
  /** Print each bar's value above it, with this many significant digits. */
  valueLabels?: number;
  width?: number;
  height?: number;
}

/** A grouped bar chart: one group per category, one bar per series. */
export function bars(options: BarOptions): Figure {
  const width = options.width ?? 760;
  const height = options.height ?? 360;
  const margin = { l: 70, r: 150, t: 56, b: 70 };
  const plotW = width - margin.l - margin.r;
  const plotH = height - margin.t - margin.b;
  const { categories, series } = options;
  let top = 0;
  for (const s of series) for (const v of s.values) if (Number.isFinite(v)) top = Math.max(top, v);
  top = top > 0 ? top * 1.12 : 1;
  const colors = series.map((s, i) => s.color ?? SERIES_COLORS[i % SERIES_COLORS.length]);
  const label = (v: number) => (options.valueLabels ? String(Number(v.toPrecision(options.valueLabels))) : "");

  const data = series.map((s, i) => ({
    type: "bar",
    name: s.name,
    x: categories,
    y: s.values.map(round4),
    marker: { color: colors[i] },
    text: options.valueLabels ? s.values.map(label) : undefined,
    textposition: options.valueLabels ? "outside" : undefined,
    cliponaxis: false,
  }));
  const layout: Record<string, unknown> = {
    ...baseLayout(options.title, width, height, margin),
    barmode: "group",
    bargap: 0.25,
    bargroupgap: 0.05,
    xaxis: { title: { text: options.xTitle ?? "" }, type: "category", tickmode: "array", tickvals: categories, ticktext: categories },
    yaxis: { title: { text: options.yTitle ?? "" }, range: [0, top], rangemode: "tozero", gridcolor: "#e5e5e5" },
    legend: { x: 1.02, y: 1, xanchor: "left" },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
  };

  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${width * 0.02}" y="24" font-size="15" fill="#222">${esc(options.title)}</text>`);
  const y = (v: number) => margin.t + plotH - (v / top) * plotH;
  for (let k = 0; k <= 5; k++) {
    const v = (k / 5) * top;
    parts.push(`<line x1="${margin.l}" x2="${margin.l + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.l - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end" fill="#333">${fmtTick(v)}</text>`);
  }
  const groupW = plotW / Math.max(1, categories.length);
  const inner = groupW * 0.75;
  const barW = inner / Math.max(1, series.length);
  categories.forEach((cat, ci) => {
    const gx = margin.l + ci * groupW + (groupW - inner) / 2;
    series.forEach((s, si) => {
      const v = Number.isFinite(s.values[ci]) ? s.values[ci] : 0;
      const x = gx + si * barW;
      parts.push(`<rect x="${x + 1}" y="${y(v)}" width="${Math.max(1, barW - 2)}" height="${y(0) - y(v)}" fill="${colors[si]}"/>`);
      if (options.valueLabels) {
        parts.push(`<text x="${x + barW / 2}" y="${y(v) - 4}" font-size="10" text-anchor="middle" fill="#333">${esc(label(v))}</text>`);
      }
    });
    parts.push(`<text x="${margin.l + (ci + 0.5) * groupW}" y="${margin.t + plotH + 16}" font-size="11" text-anchor="middle" fill="#333">${esc(cat)}</text>`);
  });
  parts.push(`<line x1="${margin.l}" x2="${margin.l + plotW}" y1="${y(0)}" y2="${y(0)}" stroke="#444"/>`);
  if (options.xTitle) parts.push(`<text x="${margin.l + plotW / 2}" y="${height - 20}" font-size="12" text-anchor="middle" fill="#222">${esc(options.xTitle)}</text>`);
  if (options.yTitle) {
    const tx = 18;
    const ty = margin.t + plotH / 2;
    parts.push(`<text x="${tx}" y="${ty}" font-size="12" text-anchor="middle" fill="#222" transform="rotate(-90 ${tx} ${ty})">${esc(options.yTitle)}</text>`);
  }
  series.forEach((s, si) => {
    const lx = margin.l + plotW + 20;
    const ly = margin.t + 10 + si * 20;
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${colors[si]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly + 1}" font-size="11" fill="#333">${esc(s.name)}</text>`);
  });
  return finish(data, layout, parts, width, height, `${options.title} (bar chart: ${series.map((s) => s.name).join(", ")} over ${categories.join(", ")})`);
}

function finish(data: Record<string, unknown>[], layout: Record<string, unknown>, parts: string[], width: number, height: number, alt: string): Figure {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT}">${parts.join("")}</svg>`;
  return { data, layout, svg, alt, width, height };
}

// ---------------------------------------------------------------------------------------------
// Showing a figure.

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

/** Display a figure (see the top of this file for the three representations). */
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

/** A boxed message (yellow for "warning", blue for "info") that stands out from plain output. */
export function showNotice(text: string, kind: "info" | "warning" = "info"): void {
  const [bg, border] = kind === "warning" ? ["#fff8e1", "#f0b400"] : ["#e8f1fb", "#3b82c4"];
  displayBundle({
    "text/html":
      `<div class="qkv-notice qkv-notice-${kind}" style="background:${bg};border-left:4px solid ${border};` +
      `padding:8px 12px;font:13px/1.45 ${FONT};color:#222">${esc(text)}</div>`,
    "text/plain": text,
  });
}

/** Print a small 1-D or 2-D tensor (or a (1, T, N) one) as a table of rounded numbers. */
export function printMatrix(t: { shape: number[]; arraySync(): unknown }, digits = 2, rowLabels?: string[]): void {
  let rows = t.arraySync() as unknown;
  if (t.shape.length === 3 && t.shape[0] === 1) rows = (rows as unknown[])[0];
  if (t.shape.length === 1) rows = [rows];
  const table = (rows as number[][]).map((row, i) => {
    const entry: Record<string, number> = {};
    row.forEach((v, j) => (entry[String(j)] = Number(v.toFixed(digits))));
    return [rowLabels?.[i] ?? String(i), entry] as const;
  });
  console.table(Object.fromEntries(table));
}
