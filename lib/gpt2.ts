// The whole GPT-2 (steps 10 to 14): token and position embeddings, n_layer blocks of
// LayerNorm → attention → LayerNorm → MLP with residuals, a final LayerNorm, and the language-model
// head that reuses the token embedding. Parameter names follow Hugging Face's checkpoint
// (wte.weight, h.0.attn.c_attn.weight, ...), so loading is a plain name-to-name copy.
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "./tf";
import { ensureBackend } from "./backend";
import { GPT2Config, gpt2ParameterShapes } from "./config";
import { Module, Linear, variableFrom, initialWeight } from "./module";
import { LayerNorm } from "./layer-norm";
import { GPT2Attention, KVCacheLayer } from "./attention";
import { readSafetensorsHeader, forEachSafetensorsArray } from "./safetensors-file";
import { layersIn, takeChecked, loadFromCheckpoint, configForWidth } from "./state-dict";
import { shapeText, expectBTC, describeInput } from "./shape";

/**
 * GPT-2's GELU ("gelu_new"), the tanh form: 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³).
 * Computed as x·σ(2u), the same function (tanh(u) = 2σ(2u) − 1): on the wasm backend sigmoid is
 * about 15x faster than tanh, and x·x·x than pow(x, 3) (bench/generate.ts).
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI)); // (..., n)
    return tf.mul(x, tf.sigmoid(tf.mul(u, 2))); // (..., n)
  });
}

/** The textbook way to write geluNew, with tanh and pow: for the benchmark and the tests. */
export function geluNewTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)); // (..., n)
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(u), 1)); // (..., n)
  });
}

/** The feed-forward part of a block: c_fc (C → 4C), GELU, c_proj (4C → C). */
export class MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;

  constructor(config: GPT2Config, initStd = 0.02) {
    super();
    this.c_fc = new Linear(config.n_embd, 4 * config.n_embd, { initStd }); // W: (C, 4C)
    this.c_proj = new Linear(4 * config.n_embd, config.n_embd, { initStd }); // W: (4C, C)
  }

  /** x: [B, T, C] → [B, T, C]. */
  forward(x: tf.Tensor): tf.Tensor {
    expectBTC(x, this.c_fc.inFeatures, "MLP.forward");
    return tf.tidy(() => this.c_proj.forward(geluNew(this.c_fc.forward(x)))); // (B, T, C)
  }
}

/** A lookup table: row i of `weight` [num, dim] is the vector of token (or position) i. */
export class Embedding extends Module {
  readonly weight: tf.Variable; // (num, dim)

  constructor(num: number, dim: number, initStd = 0.02) {
    super();
    ensureBackend();
    this.weight = variableFrom(initialWeight([num, dim], initStd));
  }
}

/** What a block can run as its attention: x [B, T, C] → y [B, T, C]. */
export interface BlockAttention {
  forward(x: tf.Tensor): tf.Tensor;
}

/** One transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
export class Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: GPT2Attention;
  readonly ln_2: LayerNorm;
  readonly mlp: MLP;
  /** Runs in place of attn when set (useAttention). A private field: not walked for parameters. */
  #plugged: BlockAttention | null = null;

  constructor(config: GPT2Config, initStd = 0.02) {
    super();
    this.ln_1 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.attn = new GPT2Attention(config, { initStd });
    this.ln_2 = new LayerNorm(config.n_embd, config.layer_norm_epsilon);
    this.mlp = new MLP(config, initStd);
  }

  /**
   * Run `attention` in forward instead of attn (the finale plugs a learner's layers in here), or
   * attn again with null. attn keeps its weights; the plugged one brings its own. It takes x
   * alone, so while one is plugged in the block refuses a KV cache.
   */
  useAttention(attention: BlockAttention | null): void {
    this.#plugged = attention;
  }

  /** What useAttention plugged in, or null when attn runs. */
  get pluggedAttention(): BlockAttention | null {
    return this.#plugged;
  }

  /** x: [B, T, C] → [B, T, C]; with a cache, x holds only the new positions. */
  forward(x: tf.Tensor, cache?: KVCacheLayer): tf.Tensor3D {
    expectBTC(x, this.attn.n_embd, "Block.forward");
    const plugged = this.#plugged;
    if (plugged && cache) {
      throw new Error("Block.forward: this block runs a plugged-in attention, which takes no KV cache; generate with { kvCache: false }.");
    }
    return tf.tidy(() => {
      const a = plugged ? plugged.forward(this.ln_1.forward(x)) : this.attn.forward(this.ln_1.forward(x), cache); // (B, T, C)
      if (!(a instanceof tf.Tensor) || !tf.util.arraysEqual(a.shape, x.shape)) {
        throw new Error(`Block.forward: the plugged-in attention returned ${describeInput(a)}; it must keep x's shape ${shapeText(x.shape)}.`);
      }
      const h = tf.add(x, a); // (B, T, C)
      return tf.add(h, this.mlp.forward(this.ln_2.forward(h))) as tf.Tensor3D; // (B, T, C)
    });
  }
}

/** Every block's keys and values so far, for generating one token at a time. dispose() when done. */
export class KVCache {
  readonly layers: KVCacheLayer[];

  constructor(n_layer: number) {
    this.layers = Array.from({ length: n_layer }, () => new KVCacheLayer());
  }

  /** Positions held so far (the position of the next token). */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}

/** Token ids: [B, T] as a tensor or nested arrays. */
export type TokenIds = tf.Tensor | number[][];

export interface GenerateOptions {
  /** How many tokens to add (default 20). Generation also stops when the sequence reaches n_positions. */
  maxNewTokens?: number;
  /** 0: always the most likely token (greedy). Above 0: sample from softmax(logits / temperature). Default 1. */
  temperature?: number;
  /** Sample only among the k most likely tokens. Default: all of them. */
  topK?: number;
  /** Seed of the sampler: the same seed gives the same tokens. Default: a random one. */
  seed?: number;
  /** Called with each step's new token of every sequence, as soon as it is chosen. */
  onToken?: (tokens: number[], step: number) => void;
  /** Reuse earlier keys and values (default true); false recomputes the whole sequence each step. */
  kvCache?: boolean;
}

export class GPT2LMHeadModel extends Module {
  readonly config: GPT2Config;
  readonly wte: Embedding; // (vocab_size, C): token embedding, and the language-model head (tied)
  readonly wpe: Embedding; // (n_positions, C): position embedding
  readonly h: Block[];
  readonly ln_f: LayerNorm;
  /** wteᵀ, made on first use on wasm: see lmHead. Not a parameter. */
  private headCache: { dataId: unknown; wteT: tf.Tensor2D } | null = null;

  /** GPT-2 with N(0, initStd²) weights (0.02 as GPT-2's initialisation; 0 gives zeros, for loading). */
  constructor(config: GPT2Config = new GPT2Config(), options: { initStd?: number } = {}) {
    super();
    this.config = config instanceof GPT2Config ? config : new GPT2Config(config as Record<string, unknown>);
    const { n_embd, n_layer, n_positions, vocab_size, layer_norm_epsilon } = this.config;
    const initStd = options.initStd ?? 0.02;
    this.wte = new Embedding(vocab_size, n_embd, initStd);
    this.wpe = new Embedding(n_positions, n_embd, initStd);
    this.h = Array.from({ length: n_layer }, () => new Block(this.config, initStd));
    this.ln_f = new LayerNorm(n_embd, layer_norm_epsilon);
  }

  /** ids: [B, T] → logits [B, T, vocab_size]. With a cache, ids are the positions after those it holds. */
  forward(ids: TokenIds, cache?: KVCache): tf.Tensor3D {
    const rows = this.checkIds(ids, cache, "forward");
    return tf.tidy(() => this.lmHead(this.hidden(rows, cache)) as tf.Tensor3D); // (B, T, V)
  }

  /**
   * The first block's input, wte[ids] + wpe[positions]: ids [B, T] → [B, T, C]. Without a cache
   * the positions are 0 .. T-1; with one, those after the positions it holds (it is not changed).
   */
  embed(ids: TokenIds, cache?: KVCache): tf.Tensor3D {
    const rows = this.checkIds(ids, cache, "embed");
    return this.embedRows(rows, cache?.length ?? 0);
  }

  /** embed for checked rows of token ids, at positions past .. past + T - 1. */
  private embedRows(rows: number[][], past: number): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T, C] = [rows.length, rows[0].length, this.config.n_embd];
      const tok = tf.gather(this.wte.weight, tf.tensor2d(rows, [B, T], "int32")); // (B, T, C)
      const pos = tf.slice(this.wpe.weight, [past, 0], [T, C]); // (T, C)
      return tf.add(tok, pos) as tf.Tensor3D; // (B, T, C)
    });
  }

  /** Hidden states after ln_f, [B, T, C], for checked rows of token ids. */
  private hidden(rows: number[][], cache?: KVCache): tf.Tensor3D {
    return tf.tidy(() => {
      let x = this.embedRows(rows, cache?.length ?? 0); // (B, T, C)
      for (const [i, block] of this.h.entries()) x = block.forward(x, cache?.layers[i]); // (B, T, C)
      return this.ln_f.forward(x) as tf.Tensor3D; // (B, T, C)
    });
  }

  /**
   * Logits: x · wteᵀ, the head tied to the token embedding. [..., C] → [..., vocab_size].
   * On wasm, a product with transposeB is about 4x slower than with a plain [C, V] matrix, so there
   * wteᵀ is made once and kept (154 MB for GPT-2 small; remade when wte changes). On the cpu
   * backend it is the other way round (about 3x), so there transposeB it is. bench/generate.ts
   * measures both.
   */
  lmHead(x: tf.Tensor): tf.Tensor {
    const wte = this.wte.weight;
    let wteT: tf.Tensor2D | null = null;
    if (tf.getBackend() === "wasm") {
      if (this.headCache?.dataId !== wte.dataId) {
        this.headCache?.wteT.dispose();
        this.headCache = { dataId: wte.dataId, wteT: tf.keep(tf.transpose(wte)) as tf.Tensor2D }; // (C, V)
      }
      wteT = this.headCache.wteT;
    }
    return tf.tidy(() => {
      const x2 = tf.reshape(x, [-1, this.config.n_embd]) as tf.Tensor2D; // (B*T, C)
      const logits = wteT ? tf.matMul(x2, wteT) : tf.matMul(x2, wte as tf.Tensor2D, false, true); // (B*T, V)
      return tf.reshape(logits, [...x.shape.slice(0, -1), this.config.vocab_size]); // (..., V)
    });
  }

  /** Frees the parameters and the kept wteᵀ. */
  override dispose(): void {
    this.headCache?.wteT.dispose();
    this.headCache = null;
    super.dispose();
  }

  /**
   * Continue each sequence of `ids` ([B, T], or one sequence as number[]) by up to maxNewTokens
   * tokens, one at a time. Returns the new ids of each sequence. See GenerateOptions.
   */
  async generate(ids: TokenIds | number[], options: GenerateOptions = {}): Promise<number[][]> {
    const rows = this.checkIds(oneOrMore(ids), undefined, "generate");
    const out: number[][] = rows.map(() => []);
    let step = 0;
    for await (const tokens of this.sample(rows, options)) {
      tokens.forEach((t, b) => out[b].push(t));
      options.onToken?.(tokens, step++);
    }
    return out;
  }

  /** generate as an async iterator: yields each step's new token of every sequence. */
  async *stream(ids: TokenIds | number[], options: Omit<GenerateOptions, "onToken"> = {}): AsyncGenerator<number[]> {
    yield* this.sample(this.checkIds(oneOrMore(ids), undefined, "stream"), options);
  }

  /** What generate and stream run, for rows that checkIds has passed. */
  private async *sample(rows: number[][], options: Omit<GenerateOptions, "onToken">): AsyncGenerator<number[]> {
    const { maxNewTokens, temperature, topK, seed } = checkGenerateOptions(options);
    const random = seededRandom(seed);
    const room = this.config.n_positions - rows[0].length; // tokens that still have a position
    const cache = options.kvCache === false ? undefined : new KVCache(this.config.n_layer);
    const sequences = rows.map((r) => [...r]);
    try {
      let feed = rows; // what the next forward pass reads: the prompt, then (with a cache) the last token
      for (let step = 0; step < Math.min(maxNewTokens, room); step++) {
        const last = tf.tidy(() => {
          const h = this.hidden(feed, cache); // (B, T, C)
          const [B, T, C] = h.shape;
          return this.lmHead(tf.slice(h, [0, T - 1, 0], [B, 1, C])); // (B, 1, V): only the last position's logits
        });
        const logits = last.dataSync() as Float32Array;
        last.dispose();
        const V = this.config.vocab_size;
        const tokens = sequences.map((_, b) => pickToken(logits.subarray(b * V, (b + 1) * V), temperature, topK, random));
        tokens.forEach((t, b) => sequences[b].push(t));
        feed = cache ? tokens.map((t) => [t]) : sequences;
        yield tokens;
        await new Promise((resolve) => setImmediate(resolve)); // let the caller's output (a terminal, a notebook) show it
      }
    } finally {
      cache?.dispose();
    }
  }

  /** Token ids as checked rows: B ≥ 1 rows of equal length T ≥ 1, integers in [0, vocab_size), fitting n_positions. */
  private checkIds(ids: TokenIds, cache: KVCache | undefined, who: string): number[][] {
    const { vocab_size, n_positions } = this.config;
    const usage = `GPT2LMHeadModel.${who} takes token ids [batch, seq]: a tf.Tensor or number[][]`;
    let rows: number[][];
    if (ids instanceof tf.Tensor) {
      if (ids.rank !== 2) throw new Error(`${usage}; got a tensor of shape ${shapeText(ids.shape)}. For one sequence use [ids] or tf.tensor2d([ids]).`);
      rows = ids.arraySync() as number[][];
    } else if (Array.isArray(ids) && ids.every(Array.isArray)) {
      rows = ids as number[][];
    } else {
      throw new Error(`${usage}; got ${Array.isArray(ids) ? "an array that is not an array of arrays" : String(ids)}. For one sequence use [ids].`);
    }
    const T = rows[0]?.length ?? 0;
    if (rows.length === 0 || T === 0) throw new Error(`${usage}; got an empty batch or an empty sequence.`);
    if (rows.some((r) => r.length !== T)) throw new Error(`${usage}; the sequences have different lengths (${rows.map((r) => r.length).join(", ")}): pad or split them.`);
    for (const [b, row] of rows.entries()) {
      const bad = row.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= vocab_size);
      if (bad >= 0) throw new Error(`${usage}; sequence ${b} has ${String(row[bad])} at position ${bad}, not a token id in [0, ${vocab_size}).`);
    }
    if (cache && cache.layers.length !== this.config.n_layer) {
      throw new Error(`GPT2LMHeadModel.${who}: the KV cache has ${cache.layers.length} layers but the model ${this.config.n_layer}; make it with new KVCache(model.config.n_layer).`);
    }
    const past = cache?.length ?? 0;
    if (past + T > n_positions) {
      throw new Error(`GPT2LMHeadModel.${who}: ${past ? `${past} cached positions + ` : ""}${T} tokens is more than the model's ${n_positions} positions (n_positions); shorten the input.`);
    }
    if (cache && past > 0 && cache.layers[0].batch !== rows.length) {
      throw new Error(`GPT2LMHeadModel.${who}: the KV cache holds ${cache.layers[0].batch} sequences but the ids have ${rows.length}.`);
    }
    return rows;
  }

  /**
   * GPT-2 from a Hugging Face model folder (config.json + model.safetensors), or from a state
   * dict already loaded (with the config; without it the sizes are read off the tensors and the
   * head count off GPT-2's released sizes). Keys may carry a `transformer.` prefix.
   *
   * Every tensor's name and shape is checked against the model before any is read. The file's
   * `h.{i}.attn.bias` (and `masked_bias`) are the causal mask as a buffer, [1, 1, 1024, 1024]
   * float32 per block: that is why the hub's file is 548 MB while GPT-2 small's 124.4 M float32
   * parameters take 498 MB (12 × 4 MiB = 50 MB of masks). They are never read (causalMask makes
   * the mask). `lm_head.weight`, where a file has it, is wte again (tied) and is not read either.
   */
  static fromPretrained(source: string | Record<string, tf.Tensor>, config?: GPT2Config): GPT2LMHeadModel {
    if (typeof source !== "string") return fromStateDict(source, config);
    const { file, config: fileConfig } = locateModel(source, config);
    const { prefix, names } = checkGPT2File(file, fileConfig);
    const model = new GPT2LMHeadModel(fileConfig, { initStd: 0 }); // zeros: every parameter is about to be overwritten
    try {
      const params = new Map(model.namedParameters().map(([name, p]) => [prefix + name, p]));
      // One tensor at a time, straight into its parameter: memory stays near the model's own size.
      forEachSafetensorsArray(file, (name, array) => {
        const t = tf.tensor(array.data, array.shape, "float32");
        params.get(name)!.assign(t);
        t.dispose();
      }, { filter: (name) => names.has(name) });
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }
}

/**
 * Check a GPT-2 safetensors file against a config from its header alone (no data read): every
 * parameter present with its shape, nothing unexpected but the mask buffers and a tied
 * lm_head.weight. Errors name the file, the tensors and both shapes. Returns the key prefix
 * ("" or "transformer.") and the names of the tensors to read.
 */
export function checkGPT2File(file: string, config: GPT2Config): { prefix: string; names: Set<string> } {
  const header = readSafetensorsHeader(file);
  const entries = Object.fromEntries(header.entries.map((e) => [e.name, e]));
  const prefix = checkpointPrefix(entries);
  const shapes = gpt2ParameterShapes(config);
  const skipped = /^(?:transformer\.)?(?:h\.\d+\.attn\.(?:bias|masked_bias)|lm_head\.weight)$/;
  const unexpected = Object.keys(entries).filter((n) => !(n.slice(prefix.length) in shapes && n.startsWith(prefix)) && !skipped.test(n));
  if (unexpected.length) {
    throw new Error(`${file}: tensors this GPT-2 (${describeConfig(config)}) does not have: ${unexpected.slice(0, 8).join(", ")}${unexpected.length > 8 ? ", ..." : ""}. Is it a GPT-2 checkpoint, and is config.json the one that came with it?`);
  }
  const wanted = Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [prefix + name, { key: prefix + name, shape }]));
  takeChecked(entries, wanted, `${file} (config: ${describeConfig(config)})`);
  return { prefix, names: new Set(Object.keys(wanted)) };
}

/** "transformer." when a checkpoint's names carry that prefix (some exports add it), else "". */
function checkpointPrefix(names: Record<string, unknown>): string {
  return "transformer.wte.weight" in names ? "transformer." : "";
}

/** One sequence (number[]) as a batch of one; anything else as it is. */
function oneOrMore(ids: TokenIds | number[]): TokenIds {
  return Array.isArray(ids) && typeof ids[0] === "number" ? [ids as number[]] : (ids as TokenIds);
}

/** fromPretrained for tensors already in memory. */
function fromStateDict(stateDict: Record<string, tf.Tensor>, config?: GPT2Config): GPT2LMHeadModel {
  const prefix = checkpointPrefix(stateDict);
  const wte = stateDict[`${prefix}wte.weight`];
  const wpe = stateDict[`${prefix}wpe.weight`];
  if (!(wte instanceof tf.Tensor) || wte.rank !== 2 || !(wpe instanceof tf.Tensor) || wpe.rank !== 2) {
    throw new Error(`A GPT-2 state dict needs "wte.weight" [vocab_size, n_embd] and "wpe.weight" [n_positions, n_embd]; first keys here: ${Object.keys(stateDict).slice(0, 5).join(", ") || "(none)"}.`);
  }
  const [vocab_size, n_embd] = wte.shape as [number, number];
  const sizes = { vocab_size, n_positions: wpe.shape[0] as number, n_layer: layersIn(stateDict).length || 1 };
  const base = configForWidth(n_embd, config, `${prefix}wte.weight`, true);
  const resolved = config ?? new GPT2Config({ n_embd: base.n_embd, n_head: base.n_head, ...sizes });
  return loadFromCheckpoint(new GPT2LMHeadModel(resolved, { initStd: 0 }), stateDict, prefix);
}

/** The safetensors file and config of a model folder (or of a .safetensors path inside one). */
function locateModel(source: string, config?: GPT2Config): { file: string; config: GPT2Config } {
  const file = source.endsWith(".safetensors") ? source : path.join(source, "model.safetensors");
  const folder = path.dirname(file);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist. Download GPT-2 small with \`npm run weights\` (into weights/gpt2/), or pass the folder that holds config.json and model.safetensors.`);
  }
  if (config) return { file, config };
  const fromJson = readConfigJson(folder);
  if (!fromJson) {
    throw new Error(`${path.join(folder, "config.json")} does not exist: the model's sizes (n_head above all) come from it. \`npm run weights\` downloads it with the weights, or pass a GPT2Config.`);
  }
  return { file, config: fromJson };
}

/**
 * The config.json of a Hugging Face model folder as a GPT2Config; null when the folder has none.
 * A file that does not parse or does not make a valid config is an error that names it.
 */
export function readConfigJson(folder: string): GPT2Config | null {
  const json = path.join(folder, "config.json");
  if (!fs.existsSync(json)) return null;
  try {
    return new GPT2Config(JSON.parse(fs.readFileSync(json, "utf8")));
  } catch (err) {
    throw new Error(`${json} is not a usable GPT-2 config (${(err as Error).message})`);
  }
}

function describeConfig(c: GPT2Config): string {
  return `n_layer ${c.n_layer}, n_embd ${c.n_embd}, n_head ${c.n_head}, vocab_size ${c.vocab_size}, n_positions ${c.n_positions}`;
}

function checkGenerateOptions(o: Omit<GenerateOptions, "onToken">): { maxNewTokens: number; temperature: number; topK: number; seed: number } {
  const maxNewTokens = o.maxNewTokens ?? 20;
  const temperature = o.temperature ?? 1;
  const topK = o.topK ?? 0;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new Error(`maxNewTokens must be a whole number >= 0, got ${String(o.maxNewTokens)}.`);
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0) throw new Error(`temperature must be a number >= 0 (0 = greedy), got ${String(o.temperature)}.`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be a whole number >= 1 (or 0 for no limit), got ${String(o.topK)}.`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`seed must be a whole number in [0, 2^32), got ${String(o.seed)}.`);
  return { maxNewTokens, temperature, topK, seed };
}

/**
 * The next token from one row of logits: the largest (the first of equals) at temperature 0;
 * otherwise a draw from softmax(logits / temperature) over the topK largest (all when 0),
 * computed in float64.
 */
export function pickToken(logits: Float32Array, temperature: number, topK: number, random: () => number): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  // Keep every logit at least as large as the k-th largest, as Hugging Face's top-k filter does.
  const floor = topK > 0 && topK < logits.length ? kthLargest(logits, topK) : -Infinity;
  let max = -Infinity;
  for (const l of logits) if (l >= floor && l > max) max = l;
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] >= floor) sum += weights[i] = Math.exp((logits[i] - max) / temperature);
  }
  let u = random() * sum;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  return weights.reduce((last, w, i) => (w > 0 ? i : last), 0); // u landed on the rounding error at the end
}

/**
 * The k-th largest of `values` counting repeats, exactly `Float32Array.from(values).sort()[length - k]`
 * (where NaN sorts above everything and -0 below +0), for a whole k in [1, length]; any other k
 * gives NaN, which like the sort's `undefined` is no logit's floor. It keeps the k largest so far
 * in a min-heap: for top-k sampling, 50257 logits with k = 40 need no copy and no full sort.
 */
export function kthLargest(values: Float32Array, k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > values.length) return NaN;
  let nans = 0;
  for (const v of values) if (v !== v) nans++;
  if (k <= nans) return NaN; // the top `nans` places of the sort are NaN
  // The (k - nans)-th largest of the other values. `above` is the sort's order: -0 below +0.
  const above = (a: number, b: number) => a > b || (a === 0 && b === 0 && Object.is(b, -0) && !Object.is(a, -0));
  const heap = new Float32Array(k - nans); // heap[0] is the smallest kept
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let least = i;
      if (l < heap.length && above(heap[least], heap[l])) least = l;
      if (r < heap.length && above(heap[least], heap[r])) least = r;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least], heap[i]];
      i = least;
    }
  };
  let filled = 0;
  for (const v of values) {
    if (v !== v) continue;
    if (filled < heap.length) {
      heap[filled++] = v;
      if (filled === heap.length) for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
    } else if (above(v, heap[0])) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap[0];
}

/** A small seeded generator (sfc32, its state spread from the seed by splitmix32): uniforms in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let [a, b, c, d] = [splitmix(), splitmix(), splitmix(), splitmix()];
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}
