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
//
// How a figure is made: a *layout* step decides everything in pixels once (colour range, panel
// boxes, round-number ticks, margins wide enough for their labels), and two renderers draw that
// one layout, so the two pictures cannot drift apart:
//   plot/heatmap-layout.ts, plot/bar-layout.ts   the layouts (and the options they take);
//   plot/plotly-spec.ts                          layout → plotly data + layout;
//   plot/svg.ts                                  layout → static SVG (heatmap cells as a PNG: plot/png.ts);
//   plot/ticks.ts, plot/text.ts, plot/colors.ts  nice ticks, text widths, the shared colour scales;
//   plot/show.ts                                 inlining plotly, displaying figures and notices.
import type { Figure } from "./plot/figure";
import { heatmapLayout } from "./plot/heatmap-layout";
import type { HeatmapOptions } from "./plot/heatmap-layout";
import { barLayout } from "./plot/bar-layout";
import type { BarOptions } from "./plot/bar-layout";
import { barSpec, heatmapSpec } from "./plot/plotly-spec";
import { barSvg, heatmapSvg } from "./plot/svg";

export type { Figure } from "./plot/figure";
export type { AxisSpec, HeatmapPanel, HeatmapOptions } from "./plot/heatmap-layout";
export type { BarSeries, BarOptions, ReferenceLine } from "./plot/bar-layout";
export { heatmapLayout } from "./plot/heatmap-layout";
export { barLayout } from "./plot/bar-layout";
export { DIVERGING, SEQUENTIAL, SERIES_COLORS, MASK_COLOR } from "./plot/colors";
export { encodePng } from "./plot/png";
export { niceTicks, niceAxis, formatTicks } from "./plot/ticks";
export { textWidth } from "./plot/text";
export { loadPlotly, show, showHtml, showNotice, printMatrix, figureHtml, plotlyScriptHtml, plotlyVersion } from "./plot/show";

/**
 * A heatmap figure of one or more panels sharing one colour scale: side by side, stacked, or in a
 * grid. Masked cells (panel.mask, or NaN in z) are grey in both renderings, with a legend note.
 */
export function heatmap(options: HeatmapOptions): Figure {
  const layout = heatmapLayout(options);
  return { ...heatmapSpec(layout), svg: heatmapSvg(layout), alt: layout.alt, width: layout.width, height: layout.height };
}

/** A grouped bar chart: one group per category, one bar per series; optional reference lines. */
export function bars(options: BarOptions): Figure {
  const layout = barLayout(options);
  return { ...barSpec(layout), svg: barSvg(layout), alt: layout.alt, width: layout.width, height: layout.height };
}
