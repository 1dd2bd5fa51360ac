// The interactive rendering: a laid-out figure (heatmap-layout.ts, bar-layout.ts) as plotly.js
// data and layout. Every position comes from the layout, in pixels, and is only converted here to
// plotly's units (fractions of the plotting area, "paper"), so plotly and the SVG agree.
import { MASK_COLOR } from "./colors";
import type { BarLayout } from "./bar-layout";
import type { Figure, Margin } from "./figure";
import { AXIS_TITLE_SIZE } from "./figure";
import type { HeatmapLayout, PanelLayout } from "./heatmap-layout";
import { COLORBAR_TICK_SIZE, GROUP_LABEL_SIZE, PANEL_TITLE_SIZE } from "./heatmap-layout";
import { FONT } from "./text";
import { LEGEND_SIZE, VALUE_LABEL_SIZE } from "./bar-layout";

type Spec = Pick<Figure, "data" | "layout">;
type Json = Record<string, unknown>;

/** Text for plotly, which reads <b>, <br> and a few entities in labels: escape &, < and > (it shows &quot; as is). */
function plotlyText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Pixels to plotly's paper fractions (0 = left/bottom of the plotting area, 1 = right/top). */
function paper(width: number, height: number, m: Margin) {
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  return { x: (px: number) => (px - m.l) / w, y: (py: number) => 1 - (py - m.t) / h };
}

/** The layout keys every figure shares: title, size, margins and font. */
function baseLayout(title: string, titleSize: number, width: number, height: number, margin: Margin): Json {
  return {
    // The SVG puts the title's baseline 24 px from the top; its middle is about 5 px above that.
    title: { text: plotlyText(title), font: { size: titleSize }, x: 0.02, xanchor: "left", yref: "container", y: 1 - 19 / height, yanchor: "middle" },
    width,
    height,
    margin: { ...margin, pad: 0, autoexpand: false },
    font: { family: FONT, size: 11 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
  };
}

/** Round for the figure JSON: 4 significant digits is more than a colour can show. Masked cells stay null. */
function round4(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? Number(v.toPrecision(4)) : null;
}

/** Hover text: the row's and column's labels where the caller gave them (through customdata), else their indices. */
function hover(p: PanelLayout): { customdata?: unknown[][]; hovertemplate: string } {
  const { rowLabels: rows, colLabels: cols } = p;
  // customdata holds only what is needed: a pair when both axes have labels, else the one label.
  const customdata = rows || cols ? p.z.map((row, r) => row.map((_, c) => (rows && cols ? [rows[r], cols[c]] : rows ? rows[r] : cols![c]))) : undefined;
  const y = rows ? (cols ? "%{customdata[0]}" : "%{customdata}") : "%{y}";
  const x = cols ? (rows ? "%{customdata[1]}" : "%{customdata}") : "%{x}";
  const hovertemplate = `${plotlyText(p.y.title || "row")}: ${y}<br>${plotlyText(p.x.title || "column")}: ${x}<br>value %{z:.4f}<extra>${plotlyText(p.title)}</extra>`;
  return { customdata, hovertemplate };
}

/**
 * Under horizontal tick labels plotly sets an x title where the SVG does (heatmap-layout.ts). Under
 * labels turned upright it does not: its default distance ignores how long they are, so a long
 * label runs into the title. Given a `standoff`, plotly counts from the labels' measured end
 * instead; 17 px puts the title's top about 15 px below the longest label, as in the SVG
 * (measured in Chromium with plotly.js 4.1.1).
 */
function xTitleStandoff(p: PanelLayout): { standoff?: number } {
  return p.x.angle === -90 && p.x.title ? { standoff: 17 } : {};
}

function heatmapAxes(p: PanelLayout, h: HeatmapLayout): { x: Json; y: Json } {
  const { margin: m, width, height, tickSize } = h;
  const plotW = width - m.l - m.r;
  const plotH = height - m.t - m.b;
  const b = p.box;
  const common = { tickmode: "array", showgrid: false, zeroline: false, ticks: "outside", ticklen: 4, tickfont: { size: tickSize }, automargin: false };
  return {
    x: {
      ...common,
      domain: [(b.x - m.l) / plotW, (b.x + b.w - m.l) / plotW],
      title: { text: plotlyText(p.x.title), font: { size: AXIS_TITLE_SIZE }, ...xTitleStandoff(p) },
      tickvals: p.x.at,
      ticktext: p.x.text.map(plotlyText),
      tickangle: p.x.angle,
      showticklabels: p.x.showLabels,
      range: [-0.5, p.cols - 0.5],
    },
    y: {
      ...common,
      domain: [1 - (b.y + b.h - m.t) / plotH, 1 - (b.y - m.t) / plotH],
      title: { text: plotlyText(p.y.title), font: { size: AXIS_TITLE_SIZE } },
      tickvals: p.y.at,
      ticktext: p.y.text.map(plotlyText),
      showticklabels: p.y.showLabels,
      range: [p.rows - 0.5, -0.5], // row 0 at the top, as in a matrix
    },
  };
}

/** A heatmap layout as plotly data and layout: one trace per panel, one more per panel with masked cells. */
export function heatmapSpec(h: HeatmapLayout): Spec {
  const { margin: m, width, height } = h;
  const toPaper = paper(width, height, m);
  const data: Json[] = [];
  const annotations: Json[] = [];
  const shapes: Json[] = [];
  const layout: Json = { ...baseLayout(h.title, h.titleSize, width, height, m), annotations, shapes };
  const cb = h.colorbar;
  h.panels.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const xs = Array.from({ length: p.cols }, (_, c) => c);
    const ys = Array.from({ length: p.rows }, (_, r) => r);
    data.push({
      type: "heatmap",
      name: p.title,
      z: p.z.map((row) => row.map(round4)),
      x: xs,
      y: ys,
      zmin: h.zmin,
      zmax: h.zmax,
      zauto: false,
      colorscale: h.stops,
      showscale: i === 0,
      colorbar: {
        x: toPaper.x(cb.box.x), xanchor: "left", xpad: 0, y: 0.5, yanchor: "middle", ypad: 0, len: 1, lenmode: "fraction",
        thickness: cb.box.w, outlinewidth: 0.5, outlinecolor: "#444",
        tickmode: "array", tickvals: cb.ticks, ticktext: cb.labels, ticks: "outside", ticklen: 3, tickfont: { size: COLORBAR_TICK_SIZE },
        // No colorbar title: plotly would shorten the bar to make room. The title is an annotation, below.
      },
      hoverongaps: false, // masked cells are null here; the grey trace below answers for them
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      ...hover(p),
    });
    if (p.anyMasked) {
      data.push({
        type: "heatmap",
        name: `${p.title} (masked)`,
        z: p.masked.map((row) => row.map((masked) => (masked ? 1 : null))),
        x: xs,
        y: ys,
        zmin: 0,
        zmax: 1,
        colorscale: [[0, MASK_COLOR], [1, MASK_COLOR]],
        showscale: false,
        hoverongaps: false,
        hovertemplate: `${plotlyText(h.mask?.label ?? "masked")}<extra></extra>`,
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
      });
    }
    const axes = heatmapAxes(p, h);
    layout[`xaxis${ax}`] = { ...axes.x, anchor: `y${ax}` };
    layout[`yaxis${ax}`] = { ...axes.y, anchor: `x${ax}` };
    const groupRoom = p.xGroupLabels.length ? GROUP_LABEL_SIZE + 4 : 0;
    if (p.title) {
      annotations.push({
        text: `<b>${plotlyText(p.title)}</b>`, xref: `x${ax} domain`, yref: `y${ax} domain`, x: 0, y: 1, xanchor: "left", yanchor: "bottom",
        yshift: 2 + groupRoom, showarrow: false, font: { size: PANEL_TITLE_SIZE },
      });
    }
    for (const d of p.xDividers) {
      shapes.push({ type: "line", xref: `x${ax}`, yref: `y${ax} domain`, x0: d - 0.5, x1: d - 0.5, y0: 0, y1: 1, layer: "above", line: { color: "#000", width: 2 } });
    }
    for (const g of p.xGroupLabels) {
      annotations.push({ text: plotlyText(g.text), xref: `x${ax}`, yref: `y${ax} domain`, x: g.at, y: 1, yanchor: "bottom", showarrow: false, font: { size: GROUP_LABEL_SIZE, color: "#333" } });
    }
  });
  if (cb.title) {
    annotations.push({
      text: plotlyText(cb.title), xref: "paper", yref: "paper", x: toPaper.x(cb.box.x), y: toPaper.y(cb.box.y - 4),
      xanchor: "left", yanchor: "bottom", showarrow: false, font: { size: COLORBAR_TICK_SIZE, color: "#333" },
    });
  }
  if (h.mask) {
    const s = h.mask.swatch;
    shapes.push({
      type: "rect", xref: "paper", yref: "paper", x0: toPaper.x(s.x), x1: toPaper.x(s.x + s.w), y0: toPaper.y(s.y + s.h), y1: toPaper.y(s.y),
      fillcolor: MASK_COLOR, line: { color: "#444", width: 0.5 },
    });
    annotations.push({
      text: plotlyText(h.mask.label), xref: "paper", yref: "paper", x: toPaper.x(s.x + s.w + 6), y: toPaper.y(s.y + s.h / 2),
      xanchor: "left", yanchor: "middle", showarrow: false, font: { size: 11, color: "#222" },
    });
  }
  return { data, layout };
}

/** A bar-chart layout as plotly data and layout. */
export function barSpec(b: BarLayout): Spec {
  const { margin: m, width, height, plot } = b;
  const toPaper = paper(width, height, m);
  const data: Json[] = b.series.map((s) => ({
    type: "bar",
    name: plotlyText(s.name),
    x: b.categories,
    y: s.values.map(round4),
    marker: { color: s.color },
    text: s.labels ?? undefined,
    textposition: s.labels ? b.valuePosition : undefined,
    insidetextanchor: "end",
    textangle: 0,
    textfont: { size: VALUE_LABEL_SIZE, color: b.valuePosition === "inside" ? "#ffffff" : "#333" },
    cliponaxis: false,
    hovertemplate: `%{x}: %{y}<extra>${plotlyText(s.name)}</extra>`,
  }));
  const layout: Json = {
    ...baseLayout(b.title, b.titleSize, width, height, m),
    barmode: "group",
    bargap: 0.25,
    bargroupgap: 0.05,
    xaxis: {
      title: { text: plotlyText(b.xTitle), font: { size: AXIS_TITLE_SIZE } }, type: "category", tickmode: "array",
      tickvals: b.categories, ticktext: b.categories.map(plotlyText), tickfont: { size: b.tickSize }, automargin: false,
    },
    yaxis: {
      title: { text: plotlyText(b.y.title), font: { size: AXIS_TITLE_SIZE } }, range: [b.y.min, b.y.max], tickmode: "array",
      tickvals: b.y.ticks, ticktext: b.y.labels, tickfont: { size: b.tickSize }, gridcolor: "#e5e5e5", zeroline: true,
      zerolinecolor: "#444", ticks: "outside", ticklen: 4, automargin: false,
    },
    showlegend: b.legend.length > 0,
    legend: { x: toPaper.x(plot.x + plot.w + 16), xanchor: "left", y: 1, yanchor: "top", font: { size: LEGEND_SIZE } },
    shapes: b.referenceLines.map((r) => ({
      type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: r.y, y1: r.y, layer: "above", line: { color: r.color, width: 1.5, dash: "dash" },
    })),
    annotations: b.referenceLines.filter((r) => r.label).map((r) => ({
      text: plotlyText(r.label), xref: "paper", x: 1, xanchor: "left", xshift: 6, yref: "y", y: r.y, yanchor: "middle",
      showarrow: false, font: { size: VALUE_LABEL_SIZE, color: r.color },
    })),
  };
  return { data, layout };
}
