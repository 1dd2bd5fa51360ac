// Colours: one definition shared by plotly and the static SVG, so both show the same picture.

/** A colour scale: positions in [0, 1] and the colour at each. */
export type Stops = [number, string][];

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
/** Masked heatmap cells (the future in a causal attention map): a grey that no colour scale above contains. */
export const MASK_COLOR = "#a3a3a3";
/** Reference lines in bar charts. */
export const REFERENCE_COLOR = "#555555";

export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour at position t in [0, 1] of a scale (t outside is clamped), as RGB bytes. */
export function colorAt(stops: Stops, t: number): [number, number, number] {
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
