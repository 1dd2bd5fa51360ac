// Text in figures: the font, escaping, and how wide a label will be, so that layouts leave room
// for their labels instead of cutting them off.

export const FONT = "Helvetica, Arial, sans-serif";

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// Advance widths of the printable ASCII characters (space to "~"), in hundredths of an em,
// rounded up, from DejaVu Sans Bold: wider than Helvetica, Arial and regular DejaVu Sans (what
// browsers fall back to on Linux), so a layout sized with them leaves room in all of these.
// prettier-ignore
const ASCII_WIDTHS = [
  35, 46, 53, 84, 70, 101, 88, 31, 46, 46, 53, 84, 38, 42, 38, 37,
  70, 70, 70, 70, 70, 70, 70, 70, 70, 70, 40, 40, 84, 84, 84, 59,
  100, 78, 77, 74, 84, 69, 69, 83, 84, 38, 38, 78, 64, 100, 84, 86,
  74, 86, 78, 73, 69, 82, 78, 111, 78, 73, 73, 46, 37, 46, 84, 50,
  50, 68, 72, 60, 72, 68, 44, 72, 72, 35, 35, 67, 35, 105, 72, 69,
  72, 72, 50, 60, 48, 72, 66, 93, 65, 66, 59, 72, 37, 72, 84,
];

// The same for the few other characters these lessons put in labels; anything else counts as 1 em.
const OTHER_WIDTHS: Record<string, number> = { "␣": 0.72, "‖": 0.5, "×": 0.84, "÷": 0.84, "√": 0.67, "·": 0.38, "ᵀ": 0.43, "–": 0.5, "→": 0.84, "≈": 0.84, "↵": 0.84, "⇥": 0.84 };

/** Width in pixels of one line of text at `size` px, erring on the wide side (see the tables above). */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code <= 126 ? ASCII_WIDTHS[code - 32] / 100 : OTHER_WIDTHS[ch] ?? 1;
  }
  return em * size;
}

/** The widest of several labels, in pixels (0 for none). */
export function maxTextWidth(labels: string[], size: number): number {
  return labels.reduce((m, s) => Math.max(m, textWidth(s, size)), 0);
}

/** A title's font size: `preferred`, or smaller (down to `min`) so that it fits in `room` pixels. */
export function fitFontSize(text: string, room: number, preferred: number, min = 10): number {
  let size = preferred;
  while (size > min && textWidth(text, size) > room) size -= 0.5;
  return size;
}
