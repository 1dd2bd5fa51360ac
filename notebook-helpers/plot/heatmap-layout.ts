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
  /**
   * A fixed colour range [min, max] instead of one from the data (and clipQuantile), e.g. [0, 1]
   * for attention weights, so that figures of different data share one meaning of each colour.
   * Values outside it take the colour of its nearer end.
   */
  range?: [number, number];
  /** What the grey of masked cells means, shown in a legend under the panels when a cell is masked. Default "masked". */
  maskLabel?: string;
  width?: number;
  /** Height of each panel's plotting area in pixels. */
  panelHeight?: number;
}

interface AxisLayout {
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

/** The colour range of the cells not `masked`: symmetric about 0 for "diverging", from 0 for "sequential"; clipped at a quantile. */
function colorRange(panels: HeatmapPanel[], masked: boolean[][][], scale: "diverging" | "sequential", q: number): [number, number] {
  const values: number[] = [];
  panels.forEach((p, i) => p.z.forEach((row, r) => row.forEach((v, c) => { if (!masked[i][r][c]) values.push(v); })));
  if (scale === "sequential") return [0, quantile(values, q) || 1];
  const m = quantile(values.map(Math.abs), q) || 1;
  return [-m, m];
}

/** Columns and rows of panels for an arrangement. */
function gridShape(n: number, arrange: "row" | "column" | "grid", columns?: number): { cols: number; rows: number } {
  if (arrange === "row") return { cols: n, rows: 1 };
  if (arrange === "column") return { cols: 1, rows: n };
  const cols = Math.max(1, Math.min(n, Math.round(columns ?? Math.ceil(Math.sqrt(n)))));
  return { cols, rows: Math.ceil(n / cols) };
}

function axisTicks(n: number, labels: string[] | undefined): { at: number[]; text: string[] } {
  const at = labels ? Array.from({ length: n }, (_, i) => i) : indexTicks(n, 8);
  return { at, text: at.map((i) => (labels ? labels[i] : String(i))) };
}

function checkPanels(panels: HeatmapPanel[]): void {
  if (panels.length === 0) throw new Error("heatmap needs at least one panel.");
  panels.forEach((p, i) => {
    const cols = p.z[0]?.length ?? 0;
    if (p.z.length === 0 || cols === 0 || p.z.some((row) => row.length !== cols)) {
      throw new Error(`heatmap panel ${i}${p.title ? ` ("${p.title}")` : ""}: z must be a non-empty rectangle of rows.`);
    }
  });
}

/** A panel's y axis: what it prints left of the panel, and how much room that takes. */
function yAxisLayout(p: HeatmapPanel, show: boolean, tickSize: number): AxisLayout {
  const { at, text } = axisTicks(p.z.length, p.y?.labels);
  const title = show ? p.y?.title ?? "" : "";
  // Turned to read upwards, the title's glyphs stand left of its baseline.
  const titleAt = TICK_LENGTH + (show ? 3 + maxTextWidth(text, tickSize) : 0) + 5;
  const extent = title ? titleAt + AXIS_TITLE_SIZE + 2 : titleAt - 5;
  return { title, at, text, showLabels: show, angle: 0, titleAt, extent };
}

/** A panel's x axis: labels turned upright when the columns are too narrow for them, and the room below. */
function xAxisLayout(p: HeatmapPanel, show: boolean, panelW: number, tickSize: number): AxisLayout {
  const cols = p.z[0].length;
  const { at, text } = axisTicks(cols, p.x?.labels);
  const spacing = (panelW / cols) * Math.max(1, at.length > 1 ? at[1] - at[0] : cols);
  const widest = maxTextWidth(text, tickSize);
  const angle: 0 | -90 = show && widest > spacing - 3 ? -90 : 0;
  const title = show ? p.x?.title ?? "" : "";
  const labels = show ? 3 + (angle === 0 ? tickSize + 2 : widest + 2) : 0;
  // plotly sets an x title about 26 px below horizontal tick labels; the SVG does the same.
  const titleAt = TICK_LENGTH + labels + 22;
  const extent = title ? titleAt + 6 : TICK_LENGTH + labels;
  return { title, at, text, showLabels: show, angle, titleAt, extent };
}

/** The colour bar's round-number ticks, and the room it takes right of the panels with its title. */
function colorbarTicks(zmin: number, zmax: number, title: string): { ticks: number[]; labels: string[]; room: number } {
  const ticks = niceTicks(zmin, zmax, 5);
  const labels = formatTicks(ticks);
  const room = Math.ceil(Math.max(
    COLORBAR_GAP + COLORBAR_THICKNESS + 4 + maxTextWidth(labels, COLORBAR_TICK_SIZE) + 8,
    COLORBAR_GAP + textWidth(title, COLORBAR_TICK_SIZE) + 8,
  ));
  return { ticks, labels, room };
}

const max = (xs: number[]) => Math.max(0, ...xs);

/** Lay out a heatmap figure. Throws on a panel that is empty or not rectangular. */
export function heatmapLayout(options: HeatmapOptions): HeatmapLayout {
  const { panels } = options;
  checkPanels(panels);
  const arrange = options.arrange ?? "row";
  const scale = options.scale ?? "diverging";
  const { range } = options;
  if (range && !(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[0] < range[1])) {
    throw new Error(`heatmap: range must be two finite numbers [min, max] with min < max, got [${range.join(", ")}].`);
  }
  const masked = panels.map((p) => p.z.map((cells, r) => cells.map((_, c) => isMasked(p, r, c))));
  const panelMasked = masked.map((m) => m.some((cells) => cells.includes(true)));
  const anyMasked = panelMasked.includes(true);
  const [zmin, zmax] = range ?? colorRange(panels, masked, scale, options.clipQuantile ?? 0.99);
  const grid = gridShape(panels.length, arrange, options.columns);
  const tickSize = arrange === "grid" ? 10 : 11;
  const width = options.width ?? 900;
  const panelHeight = options.panelHeight ?? (arrange === "grid" ? 150 : 260);
  const col = (i: number) => i % grid.cols;
  const row = (i: number) => Math.floor(i / grid.cols);
  const lastRow = grid.rows - 1;
  // In a grid, tick labels and axis titles go on the left column (y) and on each column's lowest panel (x).
  const yAxes = panels.map((p, i) => yAxisLayout(p, arrange !== "grid" || col(i) === 0, tickSize));
  const cb = colorbarTicks(zmin, zmax, options.colorbarTitle ?? "");

  // Across: left margin, panels with gaps wide enough for their y labels, the colour bar.
  const left = Math.ceil(Math.max(30, ...yAxes.filter((_, i) => col(i) === 0).map((a) => a.extent + 8)));
  const gapX = grid.cols > 1 ? Math.max(14, ...yAxes.filter((_, i) => col(i) > 0).map((a) => a.extent + 10)) : 0;
  const panelW = (width - left - cb.room - gapX * (grid.cols - 1)) / grid.cols;
  if (!(panelW > 20)) throw new Error(`heatmap: ${width} px is too narrow for ${grid.cols} panels side by side; pass a larger width.`);
  const xAxes = panels.map((p, i) => xAxisLayout(p, arrange !== "grid" || i + grid.cols >= panels.length, panelW, tickSize));

  // Down: the title, each row's panel titles and group labels, panels, x labels, the masked-cell legend.
  const above = panels.map((p) => (p.title ? PANEL_TITLE_SIZE + 6 : 0) + (p.xGroupLabels?.length ? GROUP_LABEL_SIZE + 4 : 0));
  const top = Math.max(48, 34 + max(above.filter((_, i) => row(i) === 0)));
  const gapY = grid.rows > 1 ? 8 + max(xAxes.filter((_, i) => row(i) < lastRow).map((a) => a.extent)) + max(above.filter((_, i) => row(i) > 0)) : 0;
  const bottom = Math.ceil(max(xAxes.filter((_, i) => row(i) === lastRow).map((a) => a.extent)) + (anyMasked ? 26 : 0) + 10);
  const height = Math.ceil(top + grid.rows * panelHeight + (grid.rows - 1) * gapY + bottom);
  const margin = { l: left, r: cb.room, t: top, b: bottom };

  const layoutPanels: PanelLayout[] = panels.map((p, i) => ({
    box: { x: left + col(i) * (panelW + gapX), y: top + row(i) * (panelHeight + gapY), w: panelW, h: panelHeight },
    rows: p.z.length,
    cols: p.z[0].length,
    z: p.z.map((cells, r) => cells.map((v, c) => (masked[i][r][c] ? null : v))),
    masked: masked[i],
    anyMasked: panelMasked[i],
    title: p.title ?? "",
    x: xAxes[i],
    y: yAxes[i],
    rowLabels: p.y?.labels,
    colLabels: p.x?.labels,
    xDividers: p.xDividers ?? [],
    xGroupLabels: p.xGroupLabels ?? [],
  }));
  const maskLabel = options.maskLabel ?? "masked";
  const shapes = panels.map((p) => `${p.title ?? "panel"} ${p.z.length}×${p.z[0].length}`).join(", ");
  return {
    ...frame(options.title, width, height, margin),
    tickSize,
    stops: scale === "sequential" ? SEQUENTIAL : DIVERGING,
    zmin,
    zmax,
    colorbar: {
      box: { x: width - cb.room + COLORBAR_GAP, y: top, w: COLORBAR_THICKNESS, h: height - top - bottom },
      title: options.colorbarTitle ?? "",
      ticks: cb.ticks,
      labels: cb.labels,
    },
    panels: layoutPanels,
    mask: anyMasked ? { swatch: { x: left, y: height - 10 - 14, w: 14, h: 14 }, label: maskLabel } : null,
    alt: `${options.title} (heatmap: ${shapes}${anyMasked ? `; grey cells: ${maskLabel}` : ""})`,
  };
}
