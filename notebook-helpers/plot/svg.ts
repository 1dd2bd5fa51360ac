// The static rendering: a laid-out figure (heatmap-layout.ts, bar-layout.ts) as an SVG document,
// made without a browser. It is what viewers that run no scripts show, so it draws the same data,
// colours, ticks and labels as plotly, from the same layout.
import { randomBytes } from "node:crypto";
import { MASK_COLOR, colorAt, hexToRgb } from "./colors";
import type { BarLayout } from "./bar-layout";
import { LEGEND_SIZE, VALUE_LABEL_SIZE } from "./bar-layout";
import type { Box } from "./figure";
import { AXIS_TITLE_SIZE, TICK_LENGTH } from "./figure";
import type { HeatmapLayout, PanelLayout } from "./heatmap-layout";
import { COLORBAR_TICK_SIZE, GROUP_LABEL_SIZE, PANEL_TITLE_SIZE } from "./heatmap-layout";
import { encodePng } from "./png";
import { FONT, esc } from "./text";

// --- primitives

const r2 = (v: number) => Math.round(v * 100) / 100;

interface TextStyle {
  size: number;
  anchor?: "start" | "middle" | "end";
  bold?: boolean;
  fill?: string;
  /** Degrees, about the text's own (x, y). */
  rotate?: number;
}

function text(x: number, y: number, s: string, o: TextStyle): string {
  const attrs = [`x="${r2(x)}"`, `y="${r2(y)}"`, `font-size="${o.size}"`, `fill="${o.fill ?? "#333"}"`];
  if (o.anchor && o.anchor !== "start") attrs.push(`text-anchor="${o.anchor}"`);
  if (o.bold) attrs.push(`font-weight="bold"`);
  if (o.rotate) attrs.push(`transform="rotate(${o.rotate} ${r2(x)} ${r2(y)})"`);
  return `<text ${attrs.join(" ")}>${esc(s)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, stroke = "#444", width = 1, dash?: string): string {
  return `<line x1="${r2(x1)}" y1="${r2(y1)}" x2="${r2(x2)}" y2="${r2(y2)}" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`;
}

function rect(b: Box, fill: string, stroke?: string): string {
  return `<rect x="${r2(b.x)}" y="${r2(b.y)}" width="${r2(b.w)}" height="${r2(b.h)}" fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="0.5"` : ""}/>`;
}

/** The outer <svg> element around some parts. */
function svgDocument(width: number, height: number, parts: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT}">${parts.join("")}</svg>`
  );
}

function titleAndBackground(width: number, height: number, title: string, size: number): string[] {
  return [`<rect width="${width}" height="${height}" fill="#ffffff"/>`, text(width * 0.02, 24, title, { size, fill: "#222" })];
}

// --- heatmaps

/** One panel's cells as a PNG, one pixel per cell; masked cells grey. */
function panelPng(p: PanelLayout, h: Pick<HeatmapLayout, "stops" | "zmin" | "zmax">): Buffer {
  const grey = hexToRgb(MASK_COLOR);
  return encodePng(p.cols, p.rows, (r, c) => {
    const v = p.z[r][c];
    return v === null ? grey : colorAt(h.stops, (v - h.zmin) / (h.zmax - h.zmin));
  });
}

function heatmapPanel(p: PanelLayout, h: HeatmapLayout): string[] {
  const b = p.box;
  const out: string[] = [];
  const png = panelPng(p, h).toString("base64");
  out.push(
    `<image x="${r2(b.x)}" y="${r2(b.y)}" width="${r2(b.w)}" height="${r2(b.h)}" preserveAspectRatio="none" ` +
      `style="image-rendering:pixelated;image-rendering:crisp-edges" href="data:image/png;base64,${png}"/>`,
  );
  out.push(rect(b, "none", "#444"));
  const groupRoom = p.xGroupLabels.length ? GROUP_LABEL_SIZE + 4 : 0;
  if (p.title) out.push(text(b.x, b.y - 5 - groupRoom, p.title, { size: PANEL_TITLE_SIZE, bold: true, fill: "#222" }));
  const cx = (c: number) => b.x + ((c + 0.5) / p.cols) * b.w;
  const cy = (r: number) => b.y + ((r + 0.5) / p.rows) * b.h;
  const size = h.tickSize;
  const bottom = b.y + b.h;
  p.x.at.forEach((t, i) => {
    out.push(line(cx(t), bottom, cx(t), bottom + TICK_LENGTH));
    if (!p.x.showLabels) return;
    const y = bottom + TICK_LENGTH + 3;
    out.push(
      p.x.angle === 0
        ? text(cx(t), y + size - 1, p.x.text[i], { size, anchor: "middle" })
        : text(cx(t) + size * 0.35, y, p.x.text[i], { size, anchor: "end", rotate: -90 }),
    );
  });
  p.y.at.forEach((t, i) => {
    out.push(line(b.x - TICK_LENGTH, cy(t), b.x, cy(t)));
    if (p.y.showLabels) out.push(text(b.x - TICK_LENGTH - 3, cy(t) + size * 0.35, p.y.text[i], { size, anchor: "end" }));
  });
  if (p.x.title) out.push(text(b.x + b.w / 2, bottom + p.x.titleAt, p.x.title, { size: AXIS_TITLE_SIZE, anchor: "middle", fill: "#222" }));
  if (p.y.title) out.push(text(b.x - p.y.titleAt, b.y + b.h / 2, p.y.title, { size: AXIS_TITLE_SIZE, anchor: "middle", fill: "#222", rotate: -90 }));
  for (const d of p.xDividers) {
    const x = b.x + (d / p.cols) * b.w;
    out.push(line(x, b.y, x, bottom, "#000", 2));
  }
  for (const g of p.xGroupLabels) out.push(text(cx(g.at), b.y - 3, g.text, { size: GROUP_LABEL_SIZE, anchor: "middle" }));
  return out;
}

function colorbar(h: HeatmapLayout): string[] {
  const { box, ticks, labels, title } = h.colorbar;
  const id = `cb-${randomBytes(4).toString("hex")}`; // unique, in case a viewer puts several SVGs in one page
  const gradient = h.stops.map(([t, c]) => `<stop offset="${1 - t}" stop-color="${c}"/>`).reverse().join("");
  const out = [
    `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${gradient}</linearGradient></defs>`,
    rect(box, `url(#${id})`, "#444"),
  ];
  ticks.forEach((v, i) => {
    const y = box.y + ((h.zmax - v) / (h.zmax - h.zmin)) * box.h;
    out.push(line(box.x + box.w, y, box.x + box.w + 3, y));
    out.push(text(box.x + box.w + 5, y + COLORBAR_TICK_SIZE * 0.35, labels[i], { size: COLORBAR_TICK_SIZE }));
  });
  if (title) out.push(text(box.x, box.y - 6, title, { size: COLORBAR_TICK_SIZE }));
  return out;
}

/** A heatmap layout as an SVG document. */
export function heatmapSvg(h: HeatmapLayout): string {
  const parts = titleAndBackground(h.width, h.height, h.title, h.titleSize);
  for (const p of h.panels) parts.push(...heatmapPanel(p, h));
  parts.push(...colorbar(h));
  if (h.mask) {
    const s = h.mask.swatch;
    parts.push(rect(s, MASK_COLOR, "#444"));
    parts.push(text(s.x + s.w + 6, s.y + s.h / 2 + 4, h.mask.label, { size: 11, fill: "#222" }));
  }
  return svgDocument(h.width, h.height, parts);
}

// --- bar charts

/** A bar-chart layout as an SVG document. */
export function barSvg(b: BarLayout): string {
  const { plot, y: axis } = b;
  const parts = titleAndBackground(b.width, b.height, b.title, b.titleSize);
  const y = (v: number) => plot.y + plot.h - ((v - axis.min) / (axis.max - axis.min)) * plot.h;
  axis.ticks.forEach((v, i) => {
    parts.push(line(plot.x, y(v), plot.x + plot.w, y(v), "#e5e5e5"));
    parts.push(line(plot.x - TICK_LENGTH, y(v), plot.x, y(v)));
    parts.push(text(plot.x - TICK_LENGTH - 3, y(v) + b.tickSize * 0.35, axis.labels[i], { size: b.tickSize, anchor: "end" }));
  });
  const groupW = plot.w / Math.max(1, b.categories.length);
  const inner = groupW * 0.75; // plotly's bargap 0.25
  const slot = inner / Math.max(1, b.series.length);
  const barW = slot * 0.95; // plotly's bargroupgap 0.05
  b.categories.forEach((cat, ci) => {
    const gx = plot.x + ci * groupW + (groupW - inner) / 2;
    b.series.forEach((s, si) => {
      const v = Number.isFinite(s.values[ci]) ? s.values[ci] : 0;
      const x = gx + si * slot + (slot - barW) / 2;
      const top = Math.min(y(v), y(0));
      parts.push(rect({ x, y: top, w: Math.max(1, barW), h: Math.abs(y(0) - y(v)) }, s.color));
      if (s.labels) {
        const inside = b.valuePosition === "inside";
        const at = v >= 0 === inside ? y(v) + VALUE_LABEL_SIZE + 3 : y(v) - 4; // inside the top end, or just beyond it
        parts.push(text(x + barW / 2, at, s.labels[ci], { size: VALUE_LABEL_SIZE, anchor: "middle", fill: inside ? "#ffffff" : "#333" }));
      }
    });
    parts.push(text(plot.x + (ci + 0.5) * groupW, plot.y + plot.h + TICK_LENGTH + 4 + b.tickSize - 1, cat, { size: b.tickSize, anchor: "middle" }));
  });
  parts.push(line(plot.x, y(0), plot.x + plot.w, y(0)));
  for (const r of b.referenceLines) {
    parts.push(line(plot.x, y(r.y), plot.x + plot.w, y(r.y), r.color, 1.5, "6 4"));
    if (r.label) parts.push(text(plot.x + plot.w + 6, y(r.y) + VALUE_LABEL_SIZE * 0.35, r.label, { size: VALUE_LABEL_SIZE, fill: r.color }));
  }
  if (b.xTitle) parts.push(text(plot.x + plot.w / 2, b.height - 14, b.xTitle, { size: AXIS_TITLE_SIZE, anchor: "middle", fill: "#222" }));
  if (axis.title) parts.push(text(8 + AXIS_TITLE_SIZE, plot.y + plot.h / 2, axis.title, { size: AXIS_TITLE_SIZE, anchor: "middle", fill: "#222", rotate: -90 }));
  for (const l of b.legend) {
    parts.push(rect(l.swatch, l.color));
    parts.push(text(l.at.x, l.at.y, l.name, { size: LEGEND_SIZE }));
  }
  return svgDocument(b.width, b.height, parts);
}
