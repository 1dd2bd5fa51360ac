// Where everything in a heatmap figure goes, in pixels, decided once: the colour range, the panel
// boxes (side by side, stacked, or a grid), the ticks, and margins wide enough for the labels.
// Both renderings (plotly-spec.ts and svg.ts) draw from this one layout, so they agree.
import { DIVERGING, SEQUENTIAL } from "./colors";
import type { Stops } from "./colors";
import { formatTicks, indexTicks, niceTicks, quantile } from "./ticks";
import { maxTextWidth, textWidth } from "./text";
import { AXIS_TITLE_SIZE, TICK_LENGTH, frame } from "./figure";
import type { Box, Frame } from "./figure";

/** Labels for one axis of a heatmap panel. Tick labels may repeat (a token can occur twice). */
export interface AxisSpec {
  title?: string;
  /** One label per row (y) or column (x). Omit for plain indices. */
  labels?: string[];
}

export interface HeatmapPanel {
  /** Rows × columns of values: z[row][col]. NaN and ±Infinity count as masked. */
  z: number[][];
  /** mask[row][col] true: the cell is masked, drawn grey with no value (e.g. the future in a causal attention map). */
  mask?: boolean[][];
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
  /** Panels side by side ("row", default), stacked ("column"), or in a grid of `columns` per row ("grid"). */
  arrange?: "row" | "column" | "grid";
  /** Panels per row of a grid (default: about √n). A grid prints tick labels on its outer panels only. */
  columns?: number;
  /** "diverging" (signed, centred on 0; default) or "sequential" (≥ 0). */
  scale?: "diverging" | "sequential";
  colorbarTitle?: string;
  /** Colours saturate at this quantile of |value| so a few outliers do not wash out the rest. Default 0.99. */
  clipQuantile?: number;
  /** What the grey of masked cells means, shown in a legend under the panels when a cell is masked. Default "masked". */
  maskLabel?: string;
  width?: number;
  /** Height of each panel's plotting area in pixels. */
  panelHeight?: number;
}

export interface AxisLayout {
  title: string;
  /** The cells that get a tick, and their labels. */
  at: number[];
  text: string[];
  /** Whether this panel prints its tick labels and axis title (a grid prints them on its outer panels only). */
  showLabels: boolean;
  /** 0: horizontal labels; -90: labels turned to read upwards, for columns too narrow for them. */
  angle: 0 | -90;
  /** Distance from the panel's edge to the axis title's baseline (below the panel for x, left of it for y). */
  titleAt: number;
  /** Pixels the ticks, labels and title take beside the panel (below it for x, left of it for y). */
  extent: number;
}

export interface PanelLayout {
  box: Box;
  rows: number;
  cols: number;
  /** The values, null where a cell is masked. */
  z: (number | null)[][];
  masked: boolean[][];
  anyMasked: boolean;
  title: string;
  x: AxisLayout;
  y: AxisLayout;
  /** Per-row and per-column labels for hover text, when the caller gave them. */
  rowLabels?: string[];
  colLabels?: string[];
  xDividers: number[];
  xGroupLabels: { at: number; text: string }[];
}

export interface HeatmapLayout extends Frame {
  tickSize: number;
  stops: Stops;
  zmin: number;
  zmax: number;
  colorbar: { box: Box; title: string; ticks: number[]; labels: string[] };
  panels: PanelLayout[];
  /** The legend entry for masked cells: its grey swatch, and its label to the right. */
  mask: { swatch: Box; label: string } | null;
  alt: string;
}

export const PANEL_TITLE_SIZE = 12;
export const GROUP_LABEL_SIZE = 9;
export const COLORBAR_TICK_SIZE = 10;
const COLORBAR_GAP = 16;
const COLORBAR_THICKNESS = 14;

function isMasked(panel: HeatmapPanel, r: number, c: number): boolean {
  return Boolean(panel.mask?.[r]?.[c]) || !Number.isFinite(panel.z[r][c]);
}

/** The colour range: symmetric about 0 for "diverging", from 0 for "sequential"; clipped at a quantile. */
export function colorRange(panels: HeatmapPanel[], scale: "diverging" | "sequential", q: number): [number, number] {
  const values: number[] = [];
  for (const p of panels) p.z.forEach((row, r) => row.forEach((v, c) => { if (!isMasked(p, r, c)) values.push(v); }));
  if (scale === "sequential") return [0, quantile(values, q) || 1];
  const m = quantile(values.map(Math.abs), q) || 1;
  return [-m, m];
}

/** Columns and rows of panels for an arrangement. */
export function gridShape(n: number, arrange: "row" | "column" | "grid", columns?: number): { cols: number; rows: number } {
  if (arrange === "row") return { cols: n, rows: 1 };
  if (arrange === "column") return { cols: 1, rows: n };
  const cols = Math.max(1, Math.min(n, Math.round(columns ?? Math.ceil(Math.sqrt(n)))));
  return { cols, rows: Math.ceil(n / cols) };
}

function axisTicks(n: number, labels: string[] | undefined): { at: number[]; text: string[] } {
  const at = labels ? Array.from({ length: n }, (_, i) => i) : indexTicks(n, 8);
  return { at, text: at.map((i) => (labels ? labels[i] : String(i))) };
}

/** Lay out a heatmap figure. Throws on a panel that is empty or not rectangular. */
export function heatmapLayout(options: HeatmapOptions): HeatmapLayout {
  const { panels } = options;
  if (panels.length === 0) throw new Error("heatmap needs at least one panel.");
  panels.forEach((p, i) => {
    const cols = p.z[0]?.length ?? 0;
    if (p.z.length === 0 || cols === 0 || p.z.some((row) => row.length !== cols)) {
      throw new Error(`heatmap panel ${i}${p.title ? ` ("${p.title}")` : ""}: z must be a non-empty rectangle of rows.`);
    }
  });
  const arrange = options.arrange ?? "row";
  const scale = options.scale ?? "diverging";
  const stops = scale === "sequential" ? SEQUENTIAL : DIVERGING;
  const [zmin, zmax] = colorRange(panels, scale, options.clipQuantile ?? 0.99);
  const grid = gridShape(panels.length, arrange, options.columns);
  const tickSize = arrange === "grid" ? 10 : 11;
  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? (arrange === "grid" ? 150 : 260);
  const at = (i: number) => ({ col: i % grid.cols, row: Math.floor(i / grid.cols) });
  // In a grid, tick labels and axis titles go on the left column (y) and on each column's lowest panel (x).
  const showY = (i: number) => arrange !== "grid" || at(i).col === 0;
  const showX = (i: number) => arrange !== "grid" || i + grid.cols >= panels.length;

  // Left of each panel: tick marks, labels, the y title. This fixes the left margin and the gaps.
  const yAxes = panels.map((p, i) => {
    const { at: ticks, text } = axisTicks(p.z.length, p.y?.labels);
    const show = showY(i);
    const title = show ? p.y?.title ?? "" : "";
    // Turned to read upwards, the title's glyphs stand left of its baseline.
    const titleAt = TICK_LENGTH + (show ? 3 + maxTextWidth(text, tickSize) : 0) + 5;
    const extent = title ? titleAt + AXIS_TITLE_SIZE + 2 : titleAt - 5;
    return { title, at: ticks, text, showLabels: show, angle: 0 as const, titleAt, extent };
  });
  const left = Math.ceil(Math.max(30, ...yAxes.filter((_, i) => at(i).col === 0).map((a) => a.extent + 8)));
  const gapX = grid.cols > 1 ? Math.max(14, ...yAxes.filter((_, i) => at(i).col > 0).map((a) => a.extent + 10)) : 0;

  // Right: the colour bar, its round-number ticks, and its title above it.
  const cbTicks = niceTicks(zmin, zmax, 5);
  const cbLabels = formatTicks(cbTicks);
  const cbTitle = options.colorbarTitle ?? "";
  const right = Math.ceil(Math.max(
    COLORBAR_GAP + COLORBAR_THICKNESS + 4 + maxTextWidth(cbLabels, COLORBAR_TICK_SIZE) + 8,
    COLORBAR_GAP + textWidth(cbTitle, COLORBAR_TICK_SIZE) + 8,
  ));
  const plotW = width - left - right;
  const panelW = (plotW - gapX * (grid.cols - 1)) / grid.cols;
  if (!(panelW > 20)) throw new Error(`heatmap: ${width} px is too narrow for ${grid.cols} panels side by side; pass a larger width.`);

  // Below each panel: x ticks, labels turned upright if the columns are too narrow, the x title.
  const xAxes = panels.map((p, i) => {
    const cols = p.z[0].length;
    const { at: ticks, text } = axisTicks(cols, p.x?.labels);
    const show = showX(i);
    const spacing = (panelW / cols) * Math.max(1, ticks.length > 1 ? ticks[1] - ticks[0] : cols);
    const widest = maxTextWidth(text, tickSize);
    const angle: 0 | -90 = show && widest > spacing - 3 ? -90 : 0;
    const title = show ? p.x?.title ?? "" : "";
    const labels = show ? 3 + (angle === 0 ? tickSize + 2 : widest + 2) : 0;
    // plotly sets an x title about 26 px below horizontal tick labels; the SVG does the same.
    const titleAt = TICK_LENGTH + labels + 22;
    const extent = title ? titleAt + 6 : TICK_LENGTH + labels;
    return { title, at: ticks, text, showLabels: show, angle, titleAt, extent };
  });
  // Above each panel: its title, and the group labels (e.g. "head 3") over the dividers.
  const above = panels.map((p) => (p.title ? PANEL_TITLE_SIZE + 6 : 0) + (p.xGroupLabels?.length ? GROUP_LABEL_SIZE + 4 : 0));
  const lastRow = grid.rows - 1;
  const top = Math.max(48, 34 + Math.max(...above.filter((_, i) => at(i).row === 0)));
  const gapY = grid.rows > 1
    ? 8 + Math.max(0, ...xAxes.filter((_, i) => at(i).row < lastRow).map((a) => a.extent)) + Math.max(0, ...above.filter((_, i) => at(i).row > 0))
    : 0;

  const masked = panels.map((p) => p.z.map((row, r) => row.map((_, c) => isMasked(p, r, c))));
  const anyMasked = masked.some((m) => m.some((row) => row.includes(true)));
  const maskRoom = anyMasked ? 26 : 0;
  const bottom = Math.ceil(Math.max(...xAxes.filter((_, i) => at(i).row === lastRow).map((a) => a.extent)) + maskRoom + 10);
  const height = Math.ceil(top + grid.rows * panelHeight + (grid.rows - 1) * gapY + bottom);
  const margin = { l: left, r: right, t: top, b: bottom };

  const layoutPanels: PanelLayout[] = panels.map((p, i) => {
    const { col, row } = at(i);
    const box = { x: margin.l + col * (panelW + gapX), y: margin.t + row * (panelHeight + gapY), w: panelW, h: panelHeight };
    return {
      box,
      rows: p.z.length,
      cols: p.z[0].length,
      z: p.z.map((r, ri) => r.map((v, ci) => (masked[i][ri][ci] ? null : v))),
      masked: masked[i],
      anyMasked: masked[i].some((r) => r.includes(true)),
      title: p.title ?? "",
      x: xAxes[i],
      y: yAxes[i],
      rowLabels: p.y?.labels,
      colLabels: p.x?.labels,
      xDividers: p.xDividers ?? [],
      xGroupLabels: p.xGroupLabels ?? [],
    };
  });
  const plotH = height - margin.t - margin.b;
  const maskLabel = options.maskLabel ?? "masked";
  const shapes = panels.map((p) => `${p.title ?? "panel"} ${p.z.length}×${p.z[0].length}`).join(", ");
  return {
    ...frame(options.title, width, height, margin),
    tickSize,
    stops,
    zmin,
    zmax,
    colorbar: { box: { x: width - right + COLORBAR_GAP, y: margin.t, w: COLORBAR_THICKNESS, h: plotH }, title: cbTitle, ticks: cbTicks, labels: cbLabels },
    panels: layoutPanels,
    mask: anyMasked ? { swatch: { x: margin.l, y: height - 10 - 14, w: 14, h: 14 }, label: maskLabel } : null,
    alt: `${options.title} (heatmap: ${shapes}${anyMasked ? `; grey cells: ${maskLabel}` : ""})`,
  };
}
