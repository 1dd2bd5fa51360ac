// The plot helpers: round-number ticks, masked cells, grids of panels, reference lines, legends
// that fit. Each figure is checked in both renderings: the plotly spec and the static SVG (down
// to the pixels of the PNG inside it).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { mulberry32 } from "../checks/engine/seeded";
import { heatmap, bars, heatmapLayout, barLayout, niceTicks, niceAxis, formatTicks, textWidth, MASK_COLOR, DIVERGING, SEQUENTIAL } from "../notebook-helpers/plot";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Decode the PNGs our encoder writes (8-bit RGB, filter 0 on every row). */
function decodePng(png: Buffer): { width: number; height: number; rgb(r: number, c: number): string } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  for (let o = 8; o < png.length; ) {
    const len = png.readUInt32BE(o);
    const type = png.toString("ascii", o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, "bit depth");
      assert.equal(data[9], 2, "colour type RGB");
    } else if (type === "IDAT") idat.push(data);
    o += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = 1 + 3 * width;
  assert.equal(raw.length, height * stride);
  return {
    width,
    height,
    rgb(r, c) {
      assert.equal(raw[r * stride], 0, "filter byte");
      const i = r * stride + 1 + 3 * c;
      return "#" + [raw[i], raw[i + 1], raw[i + 2]].map((v) => v.toString(16).padStart(2, "0")).join("");
    },
  };
}

/** The heatmap PNGs inside a static SVG, in panel order. */
function pngsIn(svg: string): ReturnType<typeof decodePng>[] {
  return [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decodePng(Buffer.from(m[1], "base64")));
}

/** The text of every <text> element of an SVG with its x and y. */
function textsIn(svg: string): { x: number; y: number; text: string }[] {
  return [...svg.matchAll(/<text x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)<\/text>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), text: m[3] }));
}

const causal = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => j > i));
const square = (n: number, f: (r: number, c: number) => number) => Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => f(r, c)));

// --- ticks

test("niceTicks: round numbers (1, 2 or 5 × 10^k apart) inside the range, for many ranges", () => {
  assert.deepEqual(niceTicks(0, 1.6), [0, 0.5, 1, 1.5]);
  assert.deepEqual(niceTicks(-0.734, 0.734), [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(-0.0515, 0.0515), [-0.04, -0.02, 0, 0.02, 0.04]);
  assert.deepEqual(niceTicks(0, 15.6), [0, 5, 10, 15]);
  assert.deepEqual(niceTicks(0, 92), [0, 20, 40, 60, 80]);
  assert.deepEqual(niceTicks(3, 3), [3]);
  const rand = mulberry32(12345);
  for (let i = 0; i < 500; i++) {
    const scale = 10 ** Math.floor(rand() * 12 - 6);
    const lo = (rand() - 0.7) * scale;
    const hi = lo + rand() * scale + 1e-9;
    const ticks = niceTicks(lo, hi);
    assert.ok(ticks.length >= 2 && ticks.length <= 11, `[${lo}, ${hi}]: ${ticks.length} ticks`);
    const step = ticks[1] - ticks[0];
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `[${lo}, ${hi}]: step ${step}`);
    for (const t of ticks) {
      assert.ok(t >= lo - step * 1e-6 && t <= hi + step * 1e-6, `[${lo}, ${hi}]: tick ${t} outside`);
      assert.ok(Math.abs(t / step - Math.round(t / step)) < 1e-6, `[${lo}, ${hi}]: tick ${t} is not a multiple of ${step}`);
    }
    for (const [label, t] of formatTicks(ticks).map((l, k) => [l, ticks[k]] as const)) {
      assert.ok(Math.abs(Number(label) - t) <= step * 1e-6, `label ${label} for tick ${t}`);
    }
  }
});

test("formatTicks: as many decimals as the step needs, trailing zeros dropped", () => {
  assert.deepEqual(formatTicks([0, 0.5, 1, 1.5]), ["0", "0.5", "1", "1.5"]);
  assert.deepEqual(formatTicks([-0.04, -0.02, 0, 0.02, 0.04]), ["-0.04", "-0.02", "0", "0.02", "0.04"]);
  assert.deepEqual(formatTicks([0, 20, 40]), ["0", "20", "40"]);
  assert.deepEqual(formatTicks([0.1 + 0.2, 0.6]), ["0.3", "0.6"]);
});

test("niceAxis: starts and ends on a tick and covers the data", () => {
  for (const [lo, hi] of [[0, 1.22], [0, 15.6], [-3.3, 7.1], [0, 0.0042]]) {
    const a = niceAxis(lo, hi);
    assert.equal(a.ticks[0], a.min);
    assert.equal(a.ticks[a.ticks.length - 1], a.max);
    assert.ok(a.min <= lo && a.max >= hi && a.max - hi < a.step + 1e-12 && lo - a.min < a.step + 1e-12, JSON.stringify({ lo, hi, a }));
  }
});

test("heatmap colour bar: round ticks, the same in plotly and in the SVG", () => {
  const fig = heatmap({ title: "t", panels: [{ z: square(5, (r, c) => (r - c) * 0.1734) }], colorbarTitle: "value" });
  const cb = fig.data[0].colorbar as Json;
  assert.deepEqual(cb.tickvals, [-0.6, -0.4, -0.2, 0, 0.2, 0.4, 0.6]);
  assert.deepEqual(cb.ticktext, ["-0.6", "-0.4", "-0.2", "0", "0.2", "0.4", "0.6"]);
  const texts = textsIn(fig.svg).map((t) => t.text);
  for (const label of cb.ticktext) assert.ok(texts.includes(label), `SVG colour bar lacks tick ${label}`);
});

// --- masked cells

test("masked cells: grey pixels in the SVG, null in plotly's z, a grey trace and a legend note", () => {
  const n = 5;
  const z = square(n, (r, c) => (r + 1) * (c % 2 ? 1 : -1));
  z[4][0] = NaN; // NaN is masked too
  const fig = heatmap({ title: "scores", panels: [{ z, mask: causal(n), title: "head 0" }], maskLabel: "future: masked" });
  const masked = (r: number, c: number) => c > r || (r === 4 && c === 0);

  const [png] = pngsIn(fig.svg);
  assert.equal(png.width, n);
  assert.equal(png.height, n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    assert.equal(png.rgb(r, c) === MASK_COLOR, masked(r, c), `pixel (${r}, ${c}) is ${png.rgb(r, c)}`);
  }
  assert.match(fig.svg, new RegExp(`<rect [^>]*fill="${MASK_COLOR}"`), "SVG legend swatch");
  assert.ok(textsIn(fig.svg).some((t) => t.text === "future: masked"), "SVG legend text");

  const [main, grey] = fig.data as Json[];
  assert.equal(main.type, "heatmap");
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    assert.equal(main.z[r][c] === null, masked(r, c), `plotly z[${r}][${c}] = ${main.z[r][c]}`);
    assert.equal(grey.z[r][c] === 1, masked(r, c), `grey trace z[${r}][${c}] = ${grey.z[r][c]}`);
  }
  assert.deepEqual(grey.colorscale, [[0, MASK_COLOR], [1, MASK_COLOR]]);
  assert.equal(grey.showscale, false);
  assert.equal(grey.xaxis, main.xaxis);
  const layout = fig.layout as Json;
  assert.ok(layout.shapes.some((s: Json) => s.type === "rect" && s.fillcolor === MASK_COLOR), "plotly legend swatch");
  assert.ok(layout.annotations.some((a: Json) => a.text === "future: masked"), "plotly legend text");
});

test("masked cells do not set the colour range; without a mask there is no grey trace or legend", () => {
  const z = square(4, () => 0.5);
  z[0][3] = 1000; // masked: must not stretch the scale
  const masked = heatmapLayout({ title: "t", panels: [{ z, mask: causal(4) }] });
  assert.equal(masked.zmax, 0.5);
  const plain = heatmap({ title: "t", panels: [{ z: square(4, (r, c) => r - c) }] });
  assert.equal(plain.data.length, 1);
  assert.ok(!plain.svg.includes(MASK_COLOR));
  assert.ok(!((plain.layout as Json).shapes as Json[]).some((s) => s.fillcolor === MASK_COLOR));
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assert.notEqual(pngsIn(plain.svg)[0].rgb(r, c), MASK_COLOR);
});

test("the grey of masked cells is not a colour of the diverging scale", () => {
  const fig = heatmap({ title: "t", panels: [{ z: square(41, (r, c) => (r * 41 + c) / 840 - 1) }], clipQuantile: 1 });
  const png = pngsIn(fig.svg)[0];
  for (let r = 0; r < 41; r++) for (let c = 0; c < 41; c++) assert.notEqual(png.rgb(r, c), MASK_COLOR);
  assert.ok(!DIVERGING.some(([, color]) => color === MASK_COLOR));
});

test("range: a fixed colour range, the same in plotly and in the SVG; values outside it take its end colours", () => {
  const z = [[0.05, 0.1], [0.12, 2]]; // 2 is outside [0, 1]
  const fig = heatmap({ title: "t", panels: [{ z }], scale: "sequential", range: [0, 1] });
  const main = fig.data[0] as Json;
  assert.equal(main.zmin, 0);
  assert.equal(main.zmax, 1);
  assert.deepEqual((main.colorbar as Json).tickvals, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const png = pngsIn(fig.svg)[0];
  assert.equal(png.rgb(1, 1), SEQUENTIAL[SEQUENTIAL.length - 1][1], "above the range: the top colour");
  const fromData = heatmapLayout({ title: "t", panels: [{ z }], scale: "sequential", clipQuantile: 1 });
  assert.equal(fromData.zmax, 2, "without range, the data set the top");
  for (const bad of [[1, 0], [0, NaN], [0, 0]] as [number, number][]) {
    assert.throws(() => heatmapLayout({ title: "t", panels: [{ z }], range: bad }), /range must be two finite numbers/);
  }
});

test("x titles under labels turned upright get plotly's standoff (counted from the labels' end); under horizontal labels, plotly's default", () => {
  const long = Array.from({ length: 26 }, (_, i) => `token${i}`);
  const upright = heatmapLayout({ title: "t", panels: [{ z: square(26, () => 1), x: { labels: long, title: "key" } }], width: 400 });
  assert.equal(upright.panels[0].x.angle, -90);
  const flat = heatmapLayout({ title: "t", panels: [{ z: square(3, () => 1), x: { labels: ["a", "b", "c"], title: "key" } }], width: 400 });
  assert.equal(flat.panels[0].x.angle, 0);
  const titleOf = (fig: ReturnType<typeof heatmap>) => ((fig.layout as Json).xaxis as Json).title as Json;
  assert.equal(titleOf(heatmap({ title: "t", panels: [{ z: square(26, () => 1), x: { labels: long, title: "key" } }], width: 400 })).standoff, 17);
  assert.ok(!("standoff" in titleOf(heatmap({ title: "t", panels: [{ z: square(3, () => 1), x: { labels: ["a", "b", "c"], title: "key" } }], width: 400 }))));
});

// --- grids

test("grid: 12 panels as 3 rows of 4, inside the figure, not overlapping, one shared colour scale", () => {
  const labels = ["The", "␣cat", "␣sat", "␣on", "␣the", "␣mat"];
  const panels = Array.from({ length: 12 }, (_, h) => ({
    title: `head ${h}`,
    z: square(6, (r, c) => Math.sin(h + r * 6 + c) * (h + 1)),
    mask: causal(6),
    x: { labels, title: "key" },
    y: { labels, title: "query" },
  }));
  const options = { title: "All 12 heads", arrange: "grid" as const, columns: 4, panels, width: 900 };
  const layout = heatmapLayout(options);
  const boxes = layout.panels.map((p) => p.box);
  const cbLeft = layout.colorbar.box.x;
  boxes.forEach((b, i) => {
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= cbLeft && b.y + b.h <= layout.height, `panel ${i} outside: ${JSON.stringify(b)}`);
    assert.equal(Math.round(b.x), Math.round(boxes[i % 4].x), `panel ${i} column`);
    assert.equal(Math.round(b.y), Math.round(boxes[Math.floor(i / 4) * 4].y), `panel ${i} row`);
    for (let j = 0; j < i; j++) {
      const o = boxes[j];
      const apart = b.x >= o.x + o.w || o.x >= b.x + b.w || b.y >= o.y + o.h || o.y >= b.y + b.h;
      assert.ok(apart, `panels ${j} and ${i} overlap`);
    }
  });
  assert.equal(new Set(boxes.map((b) => Math.round(b.y))).size, 3, "3 rows");
  assert.equal(new Set(boxes.map((b) => Math.round(b.x))).size, 4, "4 columns");
  // Tick labels on the outer panels only.
  layout.panels.forEach((p, i) => {
    assert.equal(p.y.showLabels, i % 4 === 0, `panel ${i} y labels`);
    assert.equal(p.x.showLabels, i >= 8, `panel ${i} x labels`);
  });
  // The masked-cell legend sits below the lowest panels, inside the figure.
  const lowest = Math.max(...boxes.map((b) => b.y + b.h));
  assert.ok(layout.mask && layout.mask.swatch.y > lowest && layout.mask.swatch.y + layout.mask.swatch.h <= layout.height);

  const fig = heatmap(options);
  const traces = (fig.data as Json[]).filter((d) => !String(d.name).endsWith("(masked)"));
  assert.equal(traces.length, 12);
  assert.equal(new Set(traces.map((d) => `${d.zmin},${d.zmax}`)).size, 1, "one colour scale");
  assert.equal(traces.filter((d) => d.showscale).length, 1, "one colour bar");
  const l = fig.layout as Json;
  for (let i = 0; i < 12; i++) {
    const ax = i === 0 ? "" : String(i + 1);
    for (const d of [l[`xaxis${ax}`].domain, l[`yaxis${ax}`].domain]) assert.ok(d[0] >= 0 && d[1] <= 1 && d[0] < d[1], `axis ${ax} domain ${d}`);
  }
  assert.equal(l.annotations.filter((a: Json) => /^<b>head \d+<\/b>$/.test(a.text)).length, 12, "a title per panel");
  assert.equal(pngsIn(fig.svg).length, 12);
});

test("grid: an incomplete last row still gets x labels under every column", () => {
  const panels = Array.from({ length: 5 }, () => ({ z: square(3, (r, c) => r + c), x: { title: "key" } }));
  const layout = heatmapLayout({ title: "t", arrange: "grid", columns: 3, panels });
  assert.deepEqual(layout.panels.map((p) => p.x.showLabels), [false, false, true, true, true]);
  const [above, below] = [layout.panels[2].box, layout.panels[3].box]; // row 0's last column; row 1's first panel
  assert.ok(above.y + above.h + layout.panels[2].x.extent <= below.y, "its labels end above the next row");
});

test("heatmap keeps its old options: panels in a row, dividers and group labels", () => {
  const fig = heatmap({
    title: "Q cut into heads",
    panels: [{ z: [Array.from({ length: 8 }, (_, c) => c - 4)], y: { labels: ["x"] }, xDividers: [4], xGroupLabels: [{ at: 2, text: "head 0" }, { at: 6, text: "head 1" }] }],
  });
  assert.equal(fig.data.length, 1);
  assert.equal(((fig.layout as Json).shapes as Json[]).filter((s) => s.type === "line").length, 1);
  assert.ok(textsIn(fig.svg).some((t) => t.text === "head 1"));
  assert.throws(() => heatmap({ title: "t", panels: [] }), /at least one panel/);
});

// --- bars: ticks, reference lines, legends

test("bars: round y ticks, a dashed reference line at 1 in both renderings", () => {
  const fig = bars({
    title: "ratio",
    categories: ["6 tokens", "128 tokens", "1024 tokens"],
    series: [{ name: "separate ÷ combined", values: [1.013, 0.978, 1.094] }],
    valueFormat: (v) => `${v.toFixed(2)}×`,
    referenceLines: [{ y: 1, label: "1 = same speed" }],
  });
  const l = fig.layout as Json;
  assert.deepEqual(l.yaxis.tickvals, [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
  assert.deepEqual(l.yaxis.ticktext, ["0", "0.2", "0.4", "0.6", "0.8", "1", "1.2"]);
  assert.deepEqual(l.yaxis.range, [0, 1.2]);
  const ref = (l.shapes as Json[]).find((s) => s.type === "line" && s.yref === "y");
  assert.ok(ref && ref.y0 === 1 && ref.y1 === 1 && ref.line.dash === "dash", JSON.stringify(ref));
  assert.ok((l.annotations as Json[]).some((a) => a.text === "1 = same speed" && a.y === 1));
  assert.equal(l.showlegend, false, "one series: no legend");

  const layout = barLayout({ title: "ratio", categories: ["a"], series: [{ name: "s", values: [1.094] }], referenceLines: [{ y: 1 }] });
  const yPixel = layout.plot.y + layout.plot.h - ((1 - layout.y.min) / (layout.y.max - layout.y.min)) * layout.plot.h;
  const dashed = [...fig.svg.matchAll(/<line x1="[-\d.]+" y1="([-\d.]+)" x2="[-\d.]+" y2="([-\d.]+)"[^>]*stroke-dasharray/g)];
  assert.equal(dashed.length, 1);
  assert.ok(Math.abs(Number(dashed[0][1]) - yPixel) < 0.01 && dashed[0][1] === dashed[0][2], `dashed line at y ${dashed[0][1]}, expected ${yPixel}`);
  for (const label of ["0", "0.2", "1.2", "1.09×", "1 = same speed"]) assert.ok(textsIn(fig.svg).some((t) => t.text === label), `SVG lacks "${label}"`);
});

test("bars: a legend with long names fits inside the figure, in both renderings", () => {
  const names = ["combined: 1 × (C, 3C) + split", "separate: 3 × (C, C)"];
  for (const width of [760, 820, 600]) {
    const options = { title: "t", categories: ["6", "128", "1024"], series: names.map((name, i) => ({ name, values: [0.7 + i, 10.5, 90] })), width };
    const layout = barLayout(options);
    const fig = bars(options);
    for (const entry of layout.legend) {
      // textWidth errs on the wide side of the real font (the last test checks that).
      assert.ok(entry.at.x + textWidth(entry.name, 11) <= width, `width ${width}: "${entry.name}" runs past the edge`);
      assert.ok(entry.at.x >= layout.plot.x + layout.plot.w, "legend right of the plot");
      assert.ok(textsIn(fig.svg).some((t) => t.text === entry.name.replace(/&/g, "&amp;") && Math.abs(t.x - entry.at.x) < 0.01), "SVG legend text where the layout says");
    }
    const l = fig.layout as Json;
    assert.equal(l.showlegend, true);
    const plotW = width - l.margin.l - l.margin.r;
    assert.ok(Math.abs(l.margin.l + l.legend.x * plotW - (layout.plot.x + layout.plot.w + 16)) < 0.01, "plotly legend where the SVG's starts");
  }
});

test("titles too long for the figure are set smaller, in both renderings", () => {
  const title = "c_attn.weight: the query, key and value blocks (top-left 64 × 64 of each; stand-in weights) — and more words";
  const fig = heatmap({ title, width: 700, panels: [{ z: square(3, (r, c) => r * c) }] });
  const size = ((fig.layout as Json).title as Json).font.size as number;
  assert.ok(size < 15 && textWidth(title, size) <= 700 * 0.96, `size ${size}`);
  assert.match(fig.svg, new RegExp(`<text [^>]*font-size="${size}"[^>]*>c_attn`));
});

// --- text widths: conservative against a real font

/** Advance widths (in em) of a TrueType font, read from its cmap (format 4) and hmtx tables. */
function fontWidths(file: string): (ch: string) => number {
  const f = fs.readFileSync(file);
  const tables: Record<string, number> = {};
  for (let i = 0; i < f.readUInt16BE(4); i++) tables[f.toString("ascii", 12 + 16 * i, 16 + 16 * i)] = f.readUInt32BE(20 + 16 * i);
  const unitsPerEm = f.readUInt16BE(tables.head + 18);
  const metrics = f.readUInt16BE(tables.hhea + 34);
  let sub = 0;
  for (let i = 0; i < f.readUInt16BE(tables.cmap + 2); i++) {
    const rec = tables.cmap + 4 + 8 * i;
    if (f.readUInt16BE(rec) === 3 && f.readUInt16BE(rec + 2) === 1) sub = tables.cmap + f.readUInt32BE(rec + 4);
  }
  const glyph = (code: number): number => {
    const segX2 = f.readUInt16BE(sub + 6);
    const ends = sub + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const ranges = deltas + segX2;
    for (let i = 0; i < segX2 / 2; i++) {
      if (code > f.readUInt16BE(ends + 2 * i)) continue;
      const start = f.readUInt16BE(starts + 2 * i);
      if (code < start) return 0;
      const delta = f.readInt16BE(deltas + 2 * i);
      const range = f.readUInt16BE(ranges + 2 * i);
      if (range === 0) return (code + delta) & 0xffff;
      const g = f.readUInt16BE(ranges + 2 * i + range + 2 * (code - start));
      return g ? (g + delta) & 0xffff : 0;
    }
    return 0;
  };
  return (ch) => f.readUInt16BE(tables.hmtx + 4 * Math.min(glyph(ch.codePointAt(0)!), metrics - 1)) / unitsPerEm;
}

const DEJAVU = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"];
test("textWidth is never narrower than DejaVu Sans (what Chromium on Debian draws these labels with)", { skip: !DEJAVU.every((f) => fs.existsSync(f)) && "DejaVu fonts not installed" }, () => {
  const samples = [
    "combined: 1 × (C, 3C) + split", "separate ÷ combined", "‖q‖", "␣cat", "The cat sat on the mat", "WWW mmm @@@ %%%",
    "c_attn.weight: the query, key and value blocks (top-left 64 × 64 of each; stand-in weights)", "-0.04", "1024 tokens",
  ];
  let printable = "";
  for (let c = 32; c < 127; c++) printable += String.fromCharCode(c);
  for (const file of DEJAVU) {
    const width = fontWidths(file);
    for (const s of [...samples, printable]) {
      const real = [...s].reduce((w, ch) => w + width(ch), 0) * 11;
      assert.ok(textWidth(s, 11) >= real - 1e-9, `${file}: "${s}" is ${real.toFixed(1)} px, estimated ${textWidth(s, 11).toFixed(1)}`);
    }
  }
});
