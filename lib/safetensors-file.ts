// The safetensors file format, in plain bytes: no tfjs here, so the reference generator
// (scripts/make-reference.ts) and the checks read and write files with the same code as the lib.
//
// The format: 8 bytes, a little-endian u64 N; then N bytes of JSON, mapping each tensor name to
// { dtype, shape, data_offsets: [start, end] } (offsets relative to the byte after the header),
// plus an optional "__metadata__" of string pairs; then the raw little-endian data.
import * as fs from "node:fs";
import * as os from "node:os";

/** Dtypes this loader reads. F16, BF16 and F64 are converted to float32. */
export type SafetensorsDtype = "F32" | "F16" | "BF16" | "F64";

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

// Valid in the format but not useful for GPT-2 weights; named so the error can say "unsupported"
// rather than "unknown".
const OTHER_DTYPES = new Set(["F8_E4M3", "F8_E5M2", "I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL"]);

/** Largest JSON header we accept. The reference implementation refuses more than 100 MB too. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets within the file (already shifted past the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte where the data area starts: 8 + header length. */
  dataStart: number;
  fileSize: number;
}

export class SafetensorsError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: not a valid safetensors file: ${problem}`);
    this.name = "SafetensorsError";
  }
}

function parseHeader(file: string, fd: number, fileSize: number): SafetensorsHeader {
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, problem);
  };
  if (fileSize < 8) fail(`it is ${fileSize} bytes long, shorter than the 8-byte header length (truncated or empty file?)`);
  const lenBuf = Buffer.alloc(8);
  fs.readSync(fd, lenBuf, 0, 8, 0);
  const headerLen = lenBuf.readBigUInt64LE(0);
  if (headerLen > BigInt(fileSize - 8)) {
    fail(`the header claims ${headerLen} bytes but only ${fileSize - 8} follow (truncated file, or not safetensors at all)`);
  }
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`the header claims ${headerLen} bytes, more than the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLen);
  if (n < 2) fail(`the header is ${n} bytes long; it must hold at least "{}"`);
  const jsonBuf = Buffer.alloc(n);
  fs.readSync(fd, jsonBuf, 0, n, 8);
  let raw: unknown;
  try {
    raw = JSON.parse(jsonBuf.toString("utf8"));
  } catch (err) {
    fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("the header must be a JSON object");
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) fail(`"__metadata__" must be an object of strings`);
      metadata = value as Record<string, string>;
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== "object") fail(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = info as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== "string") fail(`entry "${name}" has no dtype`);
    if (!(dtype as string in BYTES)) {
      fail(
        OTHER_DTYPES.has(dtype as string)
          ? `entry "${name}" has dtype ${dtype}, which this kit does not load (it reads F32, F16, BF16 and F64)`
          : `entry "${name}" has unknown dtype "${dtype}" (expected F32, F16, BF16 or F64)`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`entry "${name}" has shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`entry "${name}" has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] as non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`entry "${name}" has data_offsets [${begin}, ${end}]: end before begin`);
    if (end > dataSize) {
      fail(`entry "${name}" has data_offsets [${begin}, ${end}] but the data area is only ${dataSize} bytes (truncated file?)`);
    }
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * BYTES[dtype as SafetensorsDtype];
    if (expected !== end - begin) {
      fail(
        `entry "${name}": shape ${JSON.stringify(shape)} of ${dtype} needs ${expected} bytes, ` +
          `but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) {
      fail(`entries "${sorted[i - 1].name}" and "${sorted[i].name}" overlap in the data area`);
    }
  }
  return { entries, metadata, dataStart, fileSize };
}

function withFile<T>(file: string, body: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === "ENOENT"
        ? `${file}: no such file. For real GPT-2 weights run \`npm run weights\` (into weights/gpt2/), or download model.safetensors from Hugging Face's "gpt2" repository and set GPT2_SAFETENSORS to its path.`
        : `${file}: cannot open (${e.message})`,
    );
  }
  try {
    const size = fs.fstatSync(fd).size;
    return body(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read only the header: names, dtypes, shapes and metadata, without touching the data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (fd, size) => parseHeader(file, fd, size));
}

const LITTLE_ENDIAN_HOST = os.endianness() === "LE";

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.byteLength / BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") {
    if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const out = new Float32Array(n);
  if (dtype === "F64") {
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (dtype === "BF16") {
    // bfloat16 is the top half of a float32: shift it back into place.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  } else {
    for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  }
  return out;
}

export interface SafetensorsArray {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values, converted to float32. */
  data: Float32Array;
}

/**
 * Read tensors one at a time, straight from the file into a buffer of their own, and hand each
 * to `each` as float32 before reading the next; a large file thus needs about one tensor's worth
 * of extra memory. `filter` skips tensors (their bytes are never read). Every structural problem
 * is a SafetensorsError raised before any large allocation.
 */
export function forEachSafetensorsArray(
  file: string,
  each: (name: string, array: SafetensorsArray) => void,
  options: { filter?: (name: string) => boolean } = {},
): void {
  withFile(file, (fd, size) => {
    const header = parseHeader(file, fd, size);
    for (const entry of header.entries) {
      if (options.filter && !options.filter(entry.name)) continue;
      const length = entry.end - entry.begin;
      // A fresh, aligned buffer per tensor: this also copes with offsets that are not a
      // multiple of 4, which the format allows.
      const bytes = new Uint8Array(length);
      let read = 0;
      while (read < length) {
        const got = fs.readSync(fd, bytes, read, length - read, entry.begin + read);
        if (got === 0) throw new SafetensorsError(file, `entry "${entry.name}" ends past the end of the file`);
        read += got;
      }
      each(entry.name, { dtype: entry.dtype, shape: entry.shape, data: decode(bytes, entry.dtype) });
    }
  });
}

/** Every tensor (that passes `filter`) as a float32 array. */
export function readSafetensorsArrays(file: string, options: { filter?: (name: string) => boolean } = {}): Record<string, SafetensorsArray> {
  const out: Record<string, SafetensorsArray> = {};
  forEachSafetensorsArray(file, (name, array) => (out[name] = array), options);
  return out;
}

/** Little-endian float32 bytes of `values`. */
export function float32Bytes(values: ArrayLike<number>): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i], 4 * i);
  return buf;
}

/**
 * The start of a float32 safetensors file: the header's length (8 bytes, little-endian), then the
 * JSON header, padded with spaces to a multiple of 8 bytes (as Hugging Face's writer does), with
 * `__metadata__` first when there is any. The tensors' data are to follow in the order given,
 * `byteLength` bytes each. The same input always gives the same bytes.
 */
export function encodeSafetensorsHeader(tensors: { name: string; shape: readonly number[]; byteLength: number }[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + t.byteLength] };
    offset += t.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json]);
}

/**
 * A float32 safetensors file as bytes: encodeSafetensorsHeader, then the tensors' data in the
 * order given. The same input always gives the same bytes.
 */
export function encodeSafetensors(tensors: { name: string; shape: readonly number[]; data: ArrayLike<number> }[], metadata: Record<string, string> = {}): Buffer {
  const chunks = tensors.map((t) => float32Bytes(t.data));
  const header = encodeSafetensorsHeader(tensors.map((t, i) => ({ name: t.name, shape: t.shape, byteLength: chunks[i].length })), metadata);
  return Buffer.concat([header, ...chunks]);
}
