// Where everything in a bar chart goes, in pixels, decided once: a y axis from one round number to
// another, margins wide enough for the tick labels and the legend, reference lines. Both renderings
// (plotly-spec.ts and svg.ts) draw from this one layout.
import { REFERENCE_COLOR, SERIES_COLORS } from "./colors";
import { formatTicks, niceAxis } from "./ticks";
import { maxTextWidth } from "./text";
import { AXIS_TITLE_SIZE, TICK_LENGTH, frame } from "./figure";
import type { Box, Frame } from "./figure";

export interface BarSeries {
  name: string;
  values: number[];
  color?: string;
}

/** A horizontal line across a bar chart, e.g. at 1.0 on a ratio axis, labelled in the right margin. */
export interface ReferenceLine {
  y: number;
  label?: string;
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
  /** Print each bar's value above it, written by this function (wins over valueLabels). */
  valueFormat?: (value: number) => string;
  /** Value labels above each bar ("outside", default) or inside its top end, in white ("inside": keeps them off reference lines). */
  valuePosition?: "outside" | "inside";
  referenceLines?: ReferenceLine[];
  width?: number;
  height?: number;
}

export interface BarLayout extends Frame {
  /** The plotting area. */
  plot: Box;
  tickSize: number;
  categories: string[];
  series: { name: string; values: number[]; color: string; labels: string[] | null }[];
  valuePosition: "outside" | "inside";
  y: { min: number; max: number; ticks: number[]; labels: string[]; title: string };
  xTitle: string;
  referenceLines: { y: number; label: string; color: string }[];
  /** Legend entries (one per series, none for a single series), top right, outside the plot; `at` is where the name starts (baseline). */
  legend: { swatch: Box; at: { x: number; y: number }; name: string; color: string }[];
  alt: string;
}

export const VALUE_LABEL_SIZE = 10;
export const LEGEND_SIZE = 11;
// plotly draws a legend entry as a 40 px symbol area, then the text: both renderings start the text there.
const LEGEND_SYMBOL = 40;

/** Lay out a grouped bar chart. */
export function barLayout(options: BarOptions): BarLayout {
  const width = options.width ?? 760;
  const height = options.height ?? 360;
  const tickSize = 11;
  const { categories } = options;
  const format =
    options.valueFormat ?? (options.valueLabels ? (v: number) => String(Number(v.toPrecision(options.valueLabels))) : null);
  const series = options.series.map((s, i) => ({
    name: s.name,
    values: s.values,
    color: s.color ?? SERIES_COLORS[i % SERIES_COLORS.length],
    labels: format ? s.values.map((v) => (Number.isFinite(v) ? format(v) : "")) : null,
  }));
  const refs = (options.referenceLines ?? []).map((r) => ({ y: r.y, label: r.label ?? "", color: r.color ?? REFERENCE_COLOR }));

  const valuePosition = options.valuePosition ?? "outside";
  const xTitle = options.xTitle ?? "";
  const top = 56;
  const bottom = Math.ceil(TICK_LENGTH + 4 + tickSize + (xTitle ? 10 + AXIS_TITLE_SIZE : 0) + 14);

  const values = [...series.flatMap((s) => s.values), ...refs.map((r) => r.y)].filter(Number.isFinite);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  // Headroom above the tallest bar: 18 px for a value label over it, else a little.
  const headroom = format && valuePosition === "outside" ? 18 / (height - top - bottom) : 0.03;
  const y = niceAxis(lo, hi + (hi - lo || 1) * headroom, 5);
  const yLabels = formatTicks(y.ticks);

  const legend = series.length > 1 ? series : [];
  const legendW = legend.length ? LEGEND_SYMBOL + maxTextWidth(legend.map((s) => s.name), LEGEND_SIZE) + 8 : 0;
  const refW = refs.length ? 6 + maxTextWidth(refs.map((r) => r.label), VALUE_LABEL_SIZE) + 8 : 0;
  const yTitle = options.yTitle ?? "";
  const margin = {
    l: Math.ceil(TICK_LENGTH + 4 + maxTextWidth(yLabels, tickSize) + (yTitle ? 8 + AXIS_TITLE_SIZE : 0) + 10),
    r: Math.ceil(Math.max(20, legendW ? 16 + legendW : 0, refW)),
    t: top,
    b: bottom,
  };
  const plot = { x: margin.l, y: margin.t, w: width - margin.l - margin.r, h: height - margin.t - margin.b };
  if (!(plot.w > 40 && plot.h > 40)) throw new Error(`bars: ${width} × ${height} px leaves no room for the plot; pass a larger width or height.`);
  const legendX = plot.x + plot.w + 16;
  return {
    ...frame(options.title, width, height, margin),
    plot,
    tickSize,
    categories,
    series,
    valuePosition,
    y: { min: y.min, max: y.max, ticks: y.ticks, labels: yLabels, title: yTitle },
    xTitle,
    referenceLines: refs,
    legend: legend.map((s, i) => ({
      swatch: { x: legendX + 14, y: plot.y + 4 + i * 20, w: 12, h: 12 },
      at: { x: legendX + LEGEND_SYMBOL, y: plot.y + 14 + i * 20 },
      name: s.name,
      color: s.color,
    })),
    alt: `${options.title} (bar chart: ${series.map((s) => s.name).join(", ")} over ${categories.join(", ")}` +
      `${refs.length ? `; reference line${refs.length > 1 ? "s" : ""} at ${refs.map((r) => r.y).join(", ")}` : ""})`,
  };
}
