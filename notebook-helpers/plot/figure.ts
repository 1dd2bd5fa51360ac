// What every figure is made of, whichever chart it is: the Figure that `show` displays, pixel
// boxes, the frame (title, size, margins) of every layout, and the sizes of the text that
// layouts leave room for.
import { fitFontSize } from "./text";

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

/** A rectangle in pixels, from the figure's top-left corner. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Space around the plotting area, in pixels (as plotly's layout.margin). */
export interface Margin {
  l: number;
  r: number;
  t: number;
  b: number;
}

const TITLE_SIZE = 15;
export const AXIS_TITLE_SIZE = 12;
export const TICK_LENGTH = 4;

/** What every laid-out figure has: its title (with a font size that fits), its size and margins. */
export interface Frame {
  title: string;
  titleSize: number;
  width: number;
  height: number;
  margin: Margin;
}

export function frame(title: string, width: number, height: number, margin: Margin): Frame {
  return { title, titleSize: fitFontSize(title, width * 0.96, TITLE_SIZE), width, height, margin };
}
