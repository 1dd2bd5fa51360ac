// loadSafetensors on files the test writes byte by byte, in Hugging Face's GPT-2 layout:
// several dtypes, an unaligned offset, two layers; then every malformed case gets its own test.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, selectBackend, loadSafetensors, readSafetensorsHeader, saveSafetensors, SafetensorsError, GPT2SingleHeadQKV } from "../lib/index";
import { normals } from "./helpers";

let dir = "";
before(async () => {
  await selectBackend(undefined, { log: null });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-safetensors-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

type Dtype = "F32" | "F16" | "BF16" | "F64";

// Encoders written independently of the loader's decoders.
function encode(values: ArrayLike<number>, dtype: Dtype): Buffer {
  const size = { F32: 4, F16: 2, BF16: 2, F64: 8 }[dtype];
  const buf = Buffer.alloc(values.length * size);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (dtype === "F32") buf.writeFloatLE(v, 4 * i);
    else if (dtype === "F64") buf.writeDoubleLE(v, 8 * i);
    else if (dtype === "BF16") {
      f32[0] = v;
      buf.writeUInt16LE(u32[0] >>> 16, 2 * i); // truncation: exact for the test values below
    } else buf.writeUInt16LE(toHalf(v), 2 * i);
  }
  return buf;
}

function toHalf(v: number): number {
  // Only for values exactly representable in float16 (the test uses those).
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const sign = v < 0 ? 0x8000 : 0;
  let a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (e < -14) return sign | Math.round(a / 2 ** -24); // subnormal
  const frac = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | frac;
}

interface RawEntry {
  dtype: string;
  shape: number[];
  data: Buffer;
  offsets?: [number, number]; // override for malformed files
}

/** Write a file; `gap` bytes before each tensor make offsets unaligned on purpose. */
function writeRaw(name: string, entries: Record<string, RawEntry>, opts: { gap?: number; headerOverride?: string; lengthOverride?: bigint; truncateTo?: number } = {}): string {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [key, e] of Object.entries(entries)) {
    if (opts.gap) {
      chunks.push(Buffer.alloc(opts.gap));
      offset += opts.gap;
    }
    header[key] = { dtype: e.dtype, shape: e.shape, data_offsets: e.offsets ?? [offset, offset + e.data.length] };
    chunks.push(e.data);
    offset += e.data.length;
  }
  const json = Buffer.from(opts.headerOverride ?? JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.lengthOverride ?? BigInt(json.length));
  let bytes = Buffer.concat([len, json, ...chunks]);
  if (opts.truncateTo !== undefined) bytes = bytes.subarray(0, opts.truncateTo);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

// Values exactly representable in F16 and BF16, so every dtype must round-trip exactly.
const EXACT = [0, 1, -1, 0.5, -2.25, 3.75, 0.015625, -0.0078125, 96, -1024, 0.375, 2];

describe("round trips", () => {
  for (const dtype of ["F32", "F16", "BF16", "F64"] as Dtype[]) {
    test(`${dtype} tensor reads back exactly as float32`, () => {
      const file = writeRaw(`exact-${dtype}.safetensors`, { t: { dtype, shape: [3, 4], data: encode(EXACT, dtype) } });
      const { t } = loadSafetensors(file);
      assert.deepEqual(t.shape, [3, 4]);
      assert.equal(t.dtype, "float32");
      assert.deepEqual(Array.from(t.dataSync()), EXACT);
      t.dispose();
    });
  }

  test("F16 specials: subnormal, infinity, NaN", () => {
    const data = Buffer.alloc(8);
    data.writeUInt16LE(0x0001, 0); // smallest subnormal 2^-24
    data.writeUInt16LE(0x7c00, 2); // +Inf
    data.writeUInt16LE(0xfc00, 4); // -Inf
    data.writeUInt16LE(0x7e00, 6); // NaN
    const { t } = loadSafetensors(writeRaw("f16-special.safetensors", { t: { dtype: "F16", shape: [4], data } }));
    const v = Array.from(t.dataSync());
    assert.equal(v[0], 2 ** -24);
    assert.equal(v[1], Infinity);
    assert.equal(v[2], -Infinity);
    assert.ok(Number.isNaN(v[3]));
    t.dispose();
  });

  test("a two-layer GPT-2-layout file with mixed dtypes and unaligned offsets", () => {
    const C = 8;
    const w0 = normals(C * 3 * C, 0.02, 1);
    const b0 = normals(3 * C, 0.02, 2);
    const b1 = Float32Array.from({ length: 3 * C }, (_, i) => EXACT[i % EXACT.length] * (i < 12 ? 1 : -1)); // exact in BF16
    const file = writeRaw(
      "two-layers.safetensors",
      {
        "h.0.attn.c_attn.weight": { dtype: "F32", shape: [C, 3 * C], data: encode(w0, "F32") },
        "h.0.attn.c_attn.bias": { dtype: "F32", shape: [3 * C], data: encode(b0, "F32") },
        "h.1.attn.c_attn.weight": { dtype: "F16", shape: [C, 3 * C], data: encode(new Array(C * 3 * C).fill(0.5), "F16") },
        "h.1.attn.c_attn.bias": { dtype: "BF16", shape: [3 * C], data: encode(b1, "BF16") },
        "wte.weight": { dtype: "F32", shape: [5, C], data: encode(normals(5 * C, 0.1, 3), "F32") },
      },
      { gap: 3 }, // every tensor starts at an offset that is not a multiple of 4
    );
    const header = readSafetensorsHeader(file);
    assert.equal(header.entries.length, 5);
    assert.ok(header.entries.some((e) => e.begin % 4 !== 0), "the file really has unaligned offsets");
    assert.deepEqual(header.metadata, { format: "pt" });

    const sd = loadSafetensors(file);
    assert.deepEqual(Object.keys(sd).sort(), ["h.0.attn.c_attn.bias", "h.0.attn.c_attn.weight", "h.1.attn.c_attn.bias", "h.1.attn.c_attn.weight", "wte.weight"]);
    assert.deepEqual(Array.from(sd["h.0.attn.c_attn.weight"].dataSync()), Array.from(w0));
    assert.deepEqual(Array.from(sd["h.1.attn.c_attn.bias"].dataSync()), Array.from(b1));

    const layer1 = GPT2SingleHeadQKV.fromPretrained(sd, 1);
    assert.deepEqual(Array.from(layer1.c_attn.weight.dataSync()), new Array(C * 3 * C).fill(0.5));
    assert.throws(() => GPT2SingleHeadQKV.fromPretrained(sd, 5), /It has layers 0, 1; pass one of those/);
    layer1.dispose();
    tf.dispose(Object.values(sd));
  });

  test("filter reads only the tensors asked for", () => {
    const file = writeRaw("filter.safetensors", {
      a: { dtype: "F32", shape: [2], data: encode([1, 2], "F32") },
      b: { dtype: "F32", shape: [2], data: encode([3, 4], "F32") },
    });
    const start = tf.memory().numTensors;
    const sd = loadSafetensors(file, { filter: (n) => n === "b" });
    assert.deepEqual(Object.keys(sd), ["b"]);
    assert.equal(tf.memory().numTensors, start + 1);
    sd.b.dispose();
  });

  test("saveSafetensors writes what loadSafetensors reads, with metadata, 8-byte aligned header", () => {
    const t = tf.tensor2d([[1.5, -2], [3, 4.25]]);
    const file = path.join(dir, "saved.safetensors");
    saveSafetensors(file, { "h.0.attn.c_attn.weight": t, extra: { shape: [1], data: Float32Array.of(7) } }, { version: "1" });
    const bytes = fs.readFileSync(file);
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
    const header = readSafetensorsHeader(file);
    assert.deepEqual(header.metadata, { version: "1" });
    const sd = loadSafetensors(file);
    assert.deepEqual(Array.from(sd["h.0.attn.c_attn.weight"].dataSync()), [1.5, -2, 3, 4.25]);
    assert.deepEqual(Array.from(sd.extra.dataSync()), [7]);
    tf.dispose([t, ...Object.values(sd)]);
  });

  test("the transformer. prefix some exports carry is accepted", () => {
    const C = 4;
    const file = writeRaw("prefixed.safetensors", {
      "transformer.h.0.attn.c_attn.weight": { dtype: "F32", shape: [C, 3 * C], data: encode(new Array(C * 3 * C).fill(1), "F32") },
      "transformer.h.0.attn.c_attn.bias": { dtype: "F32", shape: [3 * C], data: encode(new Array(3 * C).fill(2), "F32") },
    });
    const sd = loadSafetensors(file);
    const m = GPT2SingleHeadQKV.fromPretrained(sd);
    assert.equal(m.n_embd, C);
    assert.deepEqual(Array.from(m.c_attn.bias!.dataSync()), new Array(3 * C).fill(2));
    m.dispose();
    tf.dispose(Object.values(sd));
  });
});

describe("malformed files get a clear SafetensorsError, never a hang or a huge allocation", () => {
  const good = () => ({ t: { dtype: "F32", shape: [2, 2], data: encode([1, 2, 3, 4], "F32") } });

  function rejects(file: string, pattern: RegExp): void {
    const start = tf.memory().numTensors;
    assert.throws(() => loadSafetensors(file), (err: unknown) => {
      assert.ok(err instanceof SafetensorsError, `expected SafetensorsError, got ${String(err)}`);
      assert.match((err as Error).message, pattern);
      assert.ok((err as Error).message.includes(file), "the message names the file");
      return true;
    });
    assert.equal(tf.memory().numTensors, start, "nothing is left allocated");
  }

  test("empty file", () => rejects(writeRaw("empty.safetensors", {}, { truncateTo: 0 }), /0 bytes long, shorter than the 8-byte header length/));
  test("truncated inside the length field", () => rejects(writeRaw("trunc-len.safetensors", good(), { truncateTo: 5 }), /shorter than the 8-byte/));
  test("truncated inside the header", () => rejects(writeRaw("trunc-header.safetensors", good(), { truncateTo: 20 }), /header claims \d+ bytes but only 12 follow/));
  test("truncated inside the data", () => {
    const full = writeRaw("full.safetensors", good());
    const size = fs.statSync(full).size;
    rejects(writeRaw("trunc-data.safetensors", good(), { truncateTo: size - 3 }), /data_offsets \[0, 16\] but the data area is only 13 bytes \(truncated file\?\)/);
  });
  test("header length beyond the file (2^63), without allocating it", () =>
    rejects(writeRaw("huge-len.safetensors", good(), { lengthOverride: 2n ** 63n }), /header claims 9223372036854775808 bytes but only/));
  test("invalid JSON header", () => rejects(writeRaw("bad-json.safetensors", good(), { headerOverride: '{"t": {"dtype": "F32",' }), /not valid JSON/));
  test("header that is not an object", () => rejects(writeRaw("array.safetensors", good(), { headerOverride: "[1, 2, 3]" }), /must be a JSON object/));
  test("offsets out of range", () =>
    rejects(writeRaw("range.safetensors", { t: { ...good().t, offsets: [0, 4096] } }), /data_offsets \[0, 4096\] but the data area is only 16 bytes/));
  test("offsets reversed", () => rejects(writeRaw("reversed.safetensors", { t: { ...good().t, offsets: [16, 0] } }), /end before begin/));
  test("offsets that are not integers", () => rejects(writeRaw("float-off.safetensors", { t: { ...good().t, offsets: [0.5, 16] as [number, number] } }), /expected \[begin, end\] as non-negative integers/));
  test("overlapping tensors", () =>
    rejects(
      writeRaw("overlap.safetensors", {
        a: { dtype: "F32", shape: [2, 2], data: encode([1, 2, 3, 4], "F32"), offsets: [0, 16] },
        b: { dtype: "F32", shape: [2], data: Buffer.alloc(0), offsets: [8, 16] },
      }),
      /entries "a" and "b" overlap/,
    ));
  test("shape that disagrees with the byte count", () =>
    rejects(writeRaw("shape.safetensors", { t: { dtype: "F32", shape: [3, 2], data: encode([1, 2, 3, 4], "F32") } }), /shape \[3,2\] of F32 needs 24 bytes, but data_offsets \[0, 16\] hold 16/));
  test("negative or fractional dimension", () =>
    rejects(writeRaw("neg-shape.safetensors", { t: { dtype: "F32", shape: [-1, 4], data: encode([1, 2, 3, 4], "F32") } }), /shape \[-1,4\]; a shape is a list of non-negative integers/));
  test("unknown dtype", () => rejects(writeRaw("dtype.safetensors", { t: { dtype: "F33", shape: [4], data: encode([1, 2, 3, 4], "F32") } }), /unknown dtype "F33"/));
  test("a valid but unsupported dtype is named as such", () =>
    rejects(writeRaw("i64.safetensors", { t: { dtype: "I64", shape: [2], data: Buffer.alloc(16) } }), /dtype I64, which this kit does not load/));
  test("missing file says where real GPT-2 weights come from", () => {
    assert.throws(() => loadSafetensors(path.join(dir, "nope.safetensors")), /no such file.*model\.safetensors.*GPT2_SAFETENSORS/);
  });
});
