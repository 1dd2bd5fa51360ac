// Downloading GPT-2 small from the Hugging Face hub (npm run weights): config.json and
// model.safetensors, resumable, verified, never half-written under the final name.
//
// Each file goes to <name>.part first. An interrupted transfer (offline, a server that stops
// mid-file or goes quiet) keeps the .part, and the next run resumes it with an HTTP Range request.
// A finished .part is checked (the size the server announced; the sha256 the hub announces for
// large files in X-Linked-Etag; for the weights, every tensor GPT-2 needs in its shape, from the
// safetensors header) and only then renamed. A file that fails a check is deleted, as is a
// .part that could not be written (disk full).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { GPT2Config } from "../lib/config";
import { checkGPT2File } from "../lib/gpt2";

export const DEFAULT_ENDPOINT = "https://huggingface.co";
export const GPT2_REPO = "openai-community/gpt2";

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadError";
  }
}

export interface DownloadOptions {
  /** The hub: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Default weights/gpt2. */
  dir?: string;
  /** Download again even when both files are there and check out. */
  force?: boolean;
  /** Give up on a connection that sends nothing for this long (default 30 s); the .part is kept. */
  idleTimeoutMs?: number;
  /** "bar": one line redrawn (a terminal); "lines": a line per 10%; "none". Default: bar on a TTY. */
  progress?: "bar" | "lines" | "none";
  /** Where messages and progress go (default: stderr). */
  write?: (text: string) => void;
}

/** Download GPT-2 small's config.json and model.safetensors into `dir`. Throws a DownloadError that says what to do. */
export async function downloadGPT2(options: DownloadOptions = {}): Promise<void> {
  const endpoint = (options.endpoint || process.env.HF_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, "");
  const dir = options.dir ?? path.join("weights", "gpt2");
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  const progress = options.progress ?? (process.stderr.isTTY ? "bar" : "lines");
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const config = path.join(dir, "config.json");
  const weights = path.join(dir, "model.safetensors");

  const have = (file: string) => !options.force && fs.existsSync(file);
  if (have(config) && have(weights)) {
    checkFolder(config, weights);
    write(`${dir}/ already has config.json and model.safetensors (every tensor checked); --force downloads them again.\n`);
    return;
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new DownloadError(`cannot create ${dir}/: ${(err as Error).message}`);
  }
  const get = (file: string) => fetchToPart(`${endpoint}/${GPT2_REPO}/resolve/main/${path.basename(file)}`, file, { idleTimeoutMs, progress, write });

  const configFile = have(config) ? config : await get(config);
  checkFolder(configFile, null); // a config that is not GPT-2's fails before 548 MB are fetched
  const weightsFile = have(weights) ? weights : await get(weights);
  checkFolder(configFile, weightsFile);
  for (const [file, final] of [[weightsFile, weights], [configFile, config]]) if (file !== final) fs.renameSync(file, final);
  write(`GPT-2 small is in ${dir}/: config.json and model.safetensors (${mb(fs.statSync(weights).size)}).\n`);
}

/**
 * The config parses as GPT-2's, and the weights' header has every tensor it needs. A download
 * (.part) that fails is deleted; a file already in place is left for the user to look at.
 */
function checkFolder(configFile: string, weightsFile: string | null): void {
  const fail = (file: string, problem: string): never => {
    const ours = file.endsWith(".part");
    if (ours) fs.rmSync(file, { force: true });
    throw new DownloadError(`${file.replace(/\.part$/, "")}: ${problem}; ${ours ? "deleted it. Run again, or check HF_ENDPOINT." : "move it away and run again."}`);
  };
  let config: GPT2Config | undefined;
  try {
    config = new GPT2Config(JSON.parse(fs.readFileSync(configFile, "utf8")));
  } catch (err) {
    fail(configFile, `not a GPT-2 config.json (${(err as Error).message})`);
  }
  if (weightsFile === null || config === undefined) return;
  try {
    checkGPT2File(weightsFile, config);
  } catch (err) {
    fail(weightsFile, `not GPT-2's weights: ${(err as Error).message}`);
  }
}

interface FetchOptions {
  idleTimeoutMs: number;
  progress: "bar" | "lines" | "none";
  write: (text: string) => void;
}

/** GET with redirects followed by hand, keeping what the hub says about the file on the way (the CDN does not repeat it). */
async function request(url: string, from: number, signal: AbortSignal): Promise<{ res: Response; sha256: string | null; size: number | null }> {
  let current = url;
  let sha256: string | null = null;
  let size: number | null = null;
  for (let hop = 0; hop < 10; hop++) {
    let res: Response;
    try {
      res = await fetch(current, { redirect: "manual", headers: from > 0 ? { Range: `bytes=${from}-` } : {}, signal });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      if (signal.aborted) throw new DownloadError(`${current}: no answer in time; run again (a partial download is resumed)`);
      throw new DownloadError(`cannot reach ${new URL(current).host} (${cause?.code ?? cause?.message ?? (err as Error).message}): offline? Set HF_ENDPOINT to use a mirror.`);
    }
    // X-Linked-Etag: the sha256 of a large (LFS) file, quoted ("…") and perhaps marked weak (W/"…").
    const etag = res.headers.get("x-linked-etag")?.replace(/^W\//, "").replace(/"/g, "").trim().toLowerCase();
    if (etag && /^[0-9a-f]{64}$/.test(etag)) sha256 = etag;
    const linkedSize = Number(res.headers.get("x-linked-size"));
    if (linkedSize > 0) size = linkedSize;
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const location = res.headers.get("location");
      await res.body?.cancel();
      if (!location) throw new DownloadError(`${current}: a redirect (HTTP ${res.status}) without a Location`);
      current = new URL(location, current).toString();
      continue;
    }
    return { res, sha256, size };
  }
  throw new DownloadError(`${url}: more than 10 redirects`);
}

/** Fetch `url` into `dest`.part, resuming what is there; returns the .part once complete and its size and sha256 check out. */
async function fetchToPart(url: string, dest: string, o: FetchOptions): Promise<string> {
  const part = `${dest}.part`;
  const name = path.basename(dest);
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const abort = new AbortController();
  let idle = setTimeout(() => abort.abort(), o.idleTimeoutMs);
  const awake = () => {
    clearTimeout(idle);
    idle = setTimeout(() => abort.abort(), o.idleTimeoutMs);
  };
  try {
    const { res, sha256, size } = await request(url, have, abort.signal);
    if (res.status === 416) {
      // The .part is as long as the file or longer: it cannot be resumed. Start again.
      await res.body?.cancel();
      fs.rmSync(part, { force: true });
      return fetchToPart(url, dest, o);
    }
    if (res.status === 404) throw new DownloadError(`${url}: not found (HTTP 404). Is HF_ENDPOINT right (now ${new URL(url).origin})?`);
    if (res.status !== 200 && res.status !== 206) throw new DownloadError(`${url}: HTTP ${res.status} ${res.statusText}`);
    let total: number | null = null;
    if (res.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(res.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== have) {
        await res.body?.cancel();
        fs.rmSync(part, { force: true });
        throw new DownloadError(`${url}: the server resumed at the wrong place (Content-Range ${res.headers.get("content-range")}); deleted ${part}, run again`);
      }
      total = Number(range[2]);
    } else {
      if (have > 0) o.write(`${name}: the server does not resume downloads; starting again\n`);
      have = 0;
      const length = res.headers.get("content-length");
      total = length === null ? null : Number(length);
    }
    if (size !== null && total !== null && size !== total) {
      await res.body?.cancel();
      throw new DownloadError(`${url}: the hub says ${size} bytes but the download is ${total}; run again later`);
    }
    total ??= size;
    if (have > 0) o.write(`${name}: resuming at ${mb(have)}${total ? ` of ${mb(total)}` : ""}\n`);

    const hash = createHash("sha256");
    if (have > 0) hashFile(part, hash);
    const fd = fs.openSync(part, have > 0 ? "a" : "w");
    const meter = new Progress(name, have, total, o);
    let received = have;
    try {
      if (!res.body) throw new DownloadError(`${url}: an empty answer`);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        awake();
        writeAll(fd, chunk, part);
        hash.update(chunk);
        received += chunk.length;
        meter.update(received);
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      const why = abort.signal.aborted ? `no data for ${(o.idleTimeoutMs / 1000).toFixed(1)} s` : `the connection broke (${(err as Error).message})`;
      throw new DownloadError(`${name}: ${why} at ${mb(received)}${total ? ` of ${mb(total)}` : ""}. Run again to resume from there (${part} is kept).`);
    } finally {
      fs.closeSync(fd);
      meter.done(received);
    }
    if (total !== null && received !== total) {
      throw new DownloadError(`${name}: the connection ended at ${mb(received)} of ${mb(total)}. Run again to resume from there (${part} is kept).`);
    }
    if (sha256 !== null) {
      const got = hash.digest("hex");
      if (got !== sha256) {
        fs.rmSync(part, { force: true });
        throw new DownloadError(`${name}: corrupted: its sha256 is ${got}, the hub announced ${sha256}. Deleted it; run again.`);
      }
    }
    return part;
  } finally {
    clearTimeout(idle);
  }
}

/** Write every byte; a full disk deletes the .part (a half-written file is of no use) and says so. */
function writeAll(fd: number, chunk: Uint8Array, part: string): void {
  try {
    for (let done = 0; done < chunk.length; ) done += fs.writeSync(fd, chunk, done, chunk.length - done);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    fs.rmSync(part, { force: true });
    throw new DownloadError(
      e.code === "ENOSPC" || e.code === "EDQUOT"
        ? `disk full while writing ${part}: GPT-2 small needs 548 MB free in ${path.dirname(part)}/. Deleted the partial file; free some space and run again.`
        : `cannot write ${part} (${e.message}); deleted it.`,
    );
  }
}

function hashFile(file: string, hash: ReturnType<typeof createHash>): void {
  const fd = fs.openSync(file, "r");
  const buf = Buffer.alloc(1 << 22);
  try {
    for (let n: number; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes, rate and time left: one line redrawn on a terminal, or a line per 10% elsewhere. */
class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private lastTenth: number;

  constructor(private readonly name: string, private readonly from: number, private readonly total: number | null, private readonly o: FetchOptions) {
    this.lastTenth = total ? Math.floor((10 * from) / total) : 0;
  }

  private text(received: number): string {
    const seconds = Math.max((Date.now() - this.start) / 1000, 1e-3);
    const rate = (received - this.from) / seconds;
    const left = this.total && rate > 0 ? `, ${Math.ceil((this.total - received) / rate)} s left` : "";
    const of = this.total ? ` of ${mb(this.total)}` : "";
    return `${mb(received)}${of}, ${mb(rate)}/s${left}`;
  }

  update(received: number): void {
    if (this.o.progress === "bar") {
      const now = Date.now();
      if (now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const share = this.total ? received / this.total : 0;
      const bar = this.total ? `[${"#".repeat(Math.round(share * 30)).padEnd(30, "-")}] ${(100 * share).toFixed(0).padStart(3)}% ` : "";
      this.o.write(`\r${this.name} ${bar}${this.text(received)}   `);
    } else if (this.o.progress === "lines" && this.total) {
      const tenth = Math.floor((10 * received) / this.total);
      if (tenth > this.lastTenth) {
        this.lastTenth = tenth;
        this.o.write(`${this.name}: ${tenth * 10}% (${this.text(received)})\n`);
      }
    }
  }

  done(received: number): void {
    if (this.o.progress === "bar") this.o.write(`\r${this.name} ${this.text(received)}`.padEnd(80) + "\n");
  }
}

function mb(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
