// The finale: a learner's step 07, 08 and 09 classes inside the whole GPT-2 (gpt2-finale.ipynb).
//
// How each step's class fits GPT-2's attention block, h.{i}.attn (GPT2Attention: c_attn, heads,
// causal attention in each head, merge, c_proj):
//   step 09  MultiHeadAttention is a whole block's attention. It replaces it, with that block's
//            c_attn and c_proj weights copied in by name.
//   step 07  SingleHeadQKV computes q, k, v inside the kit's attention, in place of the kit's c_attn
//            (its c_attn gets the block's c_attn weights).
//   step 08  SingleHeadAttention is ONE head as wide as its config's n_embd, scaled by 1/√n_embd.
//            GPT-2's heads are n_embd / n_head wide (64 in GPT-2 small), so it runs once per head:
//            built with a config of the head's width, it gets each head's q, k, v through a
//            stand-in c_attn whose forward returns concat([q_h, k_h, v_h], -1) whatever it is given,
//            and an input of shape [B, T, head width] that is there only for its shape. Its output
//            is then exactly that head's attention. A class that never calls this.c_attn.forward(x)
//            cannot be fed this way; its trial run says so and the kit's solution runs instead.
// Blocks run them through Block.useAttention. They take x alone, so generation runs without the KV
// cache: every new token recomputes the whole sequence.
//
// Where the learner's classes come from: the cell marked "// EXERCISE: step07" (08, 09) of their
// saved exercise notebook, compiled with the TypeScript that tslab uses and run with the kit's own
// lib, or a class passed in directly. Where there is none yet, the kit's reference solution
// (checks/stepNN/solution.ts) stands in, plugged in the same way, and the tables say so.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import { createRequire } from "node:module";
import * as lib from "../lib/index";
import { tf, GPT2Config, GPT2Attention, GPT2LMHeadModel, causalAttention, shapeText } from "../lib/index";
import type { BlockAttention, GenerateOptions } from "../lib/index";
import { SingleHeadQKV } from "../checks/step07/solution";
import { SingleHeadAttention } from "../checks/step08/solution";
import { MultiHeadAttention } from "../checks/step09/solution";
import { detokenize, visibleToken } from "./tokens";
import { bars } from "./plot";
import type { Figure } from "./plot";
import { esc, FONT } from "./plot/text";
import { PROJECT_ROOT, CHECK_CALL, cellText, isExerciseCell, unreadableNotebook } from "../checks/engine/learner-file";

/** Which weights a model has, for plot titles: "random stand-in weights", "GPT-2 small's real weights", or the folder's name. */
export function weightsLabel(loaded: { source: "real" | "stand-in"; dir: string | null; model: GPT2LMHeadModel }): string {
  const { n_embd, n_layer, n_head } = loaded.model.config;
  if (loaded.source === "stand-in") return "random stand-in weights";
  return n_embd === 768 && n_layer === 12 && n_head === 12 ? "GPT-2 small's real weights" : `weights from ${path.basename(loaded.dir ?? "?")}/`;
}

export const STEPS = ["step07", "step08", "step09"] as const;
export type Step = (typeof STEPS)[number];

/** A class as the exercises write it: `new Impl(config)`, then `forward(x)`. */
export type LayerClass = new (config: GPT2Config) => object;

export interface StepInfo {
  /** The class name the exercise asks for. */
  className: string;
  /** What it computes inside GPT-2's attention block, for tables. */
  part: string;
  /** The kit's reference solution, which stands in where the learner's class is not there yet. */
  kit: LayerClass;
  /** The exercise notebook its class is read from by default (relative to the project root). */
  notebook: string;
}

export const FINALE_STEPS: Record<Step, StepInfo> = {
  step07: { className: "SingleHeadQKV", part: "q, k, v (c_attn and the split)", kit: SingleHeadQKV, notebook: "notebooks/step07-exercise.ipynb" },
  step08: { className: "SingleHeadAttention", part: "causal attention in each head", kit: SingleHeadAttention, notebook: "notebooks/step08-exercise.ipynb" },
  step09: { className: "MultiHeadAttention", part: "the whole attention block", kit: MultiHeadAttention, notebook: "notebooks/step09-exercise.ipynb" },
};

// ---- The learner's classes, from their exercise notebooks ----------------------------------------

export interface FoundClass {
  step: Step;
  /** The learner's class, or null when there is none to use (problem says why). */
  Impl: LayerClass | null;
  /** Where it came from: a notebook, or "this notebook" for a class passed in. */
  from: string;
  problem: string | null;
}

/** The parts of the TypeScript compiler API used here (tslab's own compiler, @tslab/typescript-for-tslab). */
interface TsNode {
  getStart(): number;
  end: number;
  name?: { text: string };
}
interface TsApi {
  createSourceFile(name: string, text: string, target: number, setParents: boolean): { statements: TsNode[] };
  isImportDeclaration(node: TsNode): boolean;
  isClassDeclaration(node: TsNode): boolean;
  transpileModule(source: string, options: object): { outputText: string; diagnostics?: { messageText: unknown }[] };
  flattenDiagnosticMessageText(message: unknown, newLine: string): string;
  ScriptTarget: { ES2022: number };
  ModuleKind: { CommonJS: number };
}

let tsApi: TsApi | null = null;
function typescript(): TsApi {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  tsApi ??= require("@tslab/typescript-for-tslab") as TsApi;
  return tsApi;
}

/**
 * What a class in the learner's notebook may import: the kit's lib and notebook helpers as the
 * notebook has them (the same modules, so tf and Module are the very ones the model uses), and
 * npm packages. The checks are not needed to define a class; using one inside it is an error.
 */
function requireForLearner(spec: string): unknown {
  if (!spec.startsWith(".")) return createRequire(path.join(PROJECT_ROOT, "package.json"))(spec);
  const target = path.resolve(PROJECT_ROOT, spec).replace(/\.(ts|js)$/, "").replace(/[\\/]index$/, "");
  if (target === path.join(PROJECT_ROOT, "lib")) return lib;
  // Required when first asked for: notebook-helpers/index imports this file.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  if (target === path.join(PROJECT_ROOT, "notebook-helpers")) return require("./index");
  return new Proxy({}, {
    get: (_t, name) => {
      if (name === "__esModule") return true;
      throw new Error(`${String(name)} (from "${spec}") is not available in the finale: a class that needs it cannot run here.`);
    },
  });
}

/** Compile and run one exercise cell (with the notebook's imports); returns the classes it defines. */
function classesOfCell(notebook: string, cells: string[], exercise: number, label: string): Record<string, unknown> {
  const ts = typescript();
  const imports: string[] = [];
  const classes: string[] = [];
  cells.forEach((text, i) => {
    for (const node of ts.createSourceFile(`cell${i}.ts`, text, ts.ScriptTarget.ES2022, true).statements) {
      if (i !== exercise && ts.isImportDeclaration(node)) imports.push(text.slice(node.getStart(), node.end));
      if (i === exercise && ts.isClassDeclaration(node) && node.name) classes.push(node.name.text);
    }
  });
  // The check call, if it shares the cell, is not part of the class (and its top-level await
  // would not compile here).
  const body = cells[exercise].split("\n").map((line) => (CHECK_CALL.test(line) ? "" : line));
  const source = [...new Set(imports), ...body, `module.exports = { ${classes.join(", ")} };`].join("\n");
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    reportDiagnostics: true,
    fileName: `${path.basename(notebook)}.ts`,
  });
  const errors = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, " "));
  if (errors.length) throw new Error(`${label} does not compile: ${errors.slice(0, 2).join("; ")}`);
  const run = vm.runInThisContext(`(function (exports, require, module) {${out.outputText}\n})`, { filename: label }) as (e: object, r: (s: string) => unknown, m: { exports: object }) => void;
  const mod = { exports: {} as Record<string, unknown> };
  run(mod.exports, requireForLearner, mod);
  return mod.exports;
}

/**
 * The learner's class for `step`: from the cell marked "// EXERCISE: step07" (08, 09) of a saved
 * notebook (a path relative to the project root), or a class passed in. Never throws: when there
 * is no class to use, `Impl` is null and `problem` says why (no notebook, no such cell, a compile
 * error, or the exercise's "not implemented yet" stub still in place).
 */
export function findYourClass(step: Step, from: string | LayerClass): FoundClass {
  const info = FINALE_STEPS[step];
  const where = typeof from === "function" ? "this notebook" : from;
  const found = (Impl: LayerClass | null, problem: string | null): FoundClass => ({ step, Impl, from: where, problem });
  const stub = (err: unknown): FoundClass => {
    const message = (err as Error)?.message ?? String(err);
    return found(null, /not implemented yet/i.test(message) ? `the exercise's stub is still in place ("not implemented yet"): fill it in, save ${where}, and run this notebook again` : message);
  };
  if (typeof from === "function") {
    try {
      return found(constructs(step, from), null);
    } catch (err) {
      return stub(err);
    }
  }
  if (!fs.existsSync(from)) return found(null, `${from} does not exist`);
  let cells: string[];
  try {
    const nb = JSON.parse(fs.readFileSync(from, "utf8")) as { cells?: { cell_type: string; source?: string | string[] }[] };
    cells = (nb.cells ?? []).filter((c) => c.cell_type === "code").map(cellText);
  } catch (err) {
    return found(null, unreadableNotebook(from, err));
  }
  const exercise = cells.findIndex((text) => isExerciseCell(text, step.slice(4)));
  if (exercise < 0) return found(null, `${from} has no code cell that starts with "// EXERCISE: ${step}"`);
  try {
    const classes = classesOfCell(from, cells, exercise, `${from}, the "// EXERCISE: ${step}" cell`);
    const Impl = classes[info.className] ?? Object.values(classes).find((v) => typeof v === "function");
    if (typeof Impl !== "function") return found(null, `the "// EXERCISE: ${step}" cell of ${from} defines no class`);
    return found(constructs(step, Impl as LayerClass), null);
  } catch (err) {
    return stub(err);
  }
}

/** The class itself, once `new Impl(config)` works with a small config; throws what it throws. */
function constructs(step: Step, Impl: LayerClass): LayerClass {
  const config = new GPT2Config({ n_embd: 8, n_head: step === "step08" ? 1 : 2, n_layer: 1, n_positions: 8, vocab_size: 8 });
  disposeModule(new Impl(config));
  return Impl;
}

/** findYourClass for each step: `from` maps each step to a notebook path or a class. */
export function findYourClasses(from: Record<Step, string | LayerClass>): Record<Step, FoundClass> {
  return Object.fromEntries(STEPS.map((s) => [s, findYourClass(s, from[s])])) as Record<Step, FoundClass>;
}

// ---- Plugging classes into a block ---------------------------------------------------------------

/** What runs in one block: a class for each step plugged in, or null for the kit's own code there. */
export interface BlockPlan {
  step07: LayerClass | null;
  step08: LayerClass | null;
  step09: LayerClass | null;
}

type Forward = { forward(x: tf.Tensor): unknown };

function disposeModule(m: unknown): void {
  (m as { dispose?: () => void } | null)?.dispose?.();
}

function forwardOf(m: object, who: string): Forward {
  if (typeof (m as Partial<Forward>).forward !== "function") throw new Error(`${who} has no forward(x) method.`);
  return m as Forward;
}

/** `value` as a float32 tensor of `shape`, or an error that says what it is instead. */
function expectTensor(value: unknown, shape: number[], who: string): tf.Tensor {
  if (!(value instanceof tf.Tensor)) throw new Error(`${who} returned ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}, not a tensor of shape ${shapeText(shape)}.`);
  if (!tf.util.arraysEqual(value.shape, shape)) throw new Error(`${who} returned shape ${shapeText(value.shape)}; expected ${shapeText(shape)}.`);
  return value;
}

/**
 * Copy the block's attention weights into `m` by name (c_attn.weight, c_attn.bias, c_proj.*), a
 * plain copy. Every parameter of `m` must be one the block has, with its shape. Returns the
 * block's parameters that `m` has no place for (a step 09 class without c_proj leaves c_proj's).
 */
function copyWeights(m: object, kit: GPT2Attention, who: string): string[] {
  if (typeof (m as { namedParameters?: unknown }).namedParameters !== "function") {
    throw new Error(`${who} does not extend Module, so its c_attn cannot be found to give it GPT-2's weights.`);
  }
  const theirs = new Map(kit.namedParameters());
  const mine = (m as lib.Module).namedParameters();
  const strangers = mine.filter(([name]) => !theirs.has(name)).map(([name]) => name);
  if (strangers.length) {
    throw new Error(`${who} has parameters that GPT-2's attention block does not: ${strangers.join(", ")} (it has ${[...theirs.keys()].join(", ")}).`);
  }
  (m as lib.Module).loadStateDict(Object.fromEntries(mine.map(([name]) => [name, theirs.get(name)!])));
  const used = new Set(mine.map(([name]) => name));
  return [...theirs.keys()].filter((name) => !used.has(name));
}

/** A step 08 class run once per head, fed each head's q, k, v through a stand-in c_attn. */
class PerHead {
  readonly hs: number;
  private readonly layer: Forward;
  private readonly standIn: { inFeatures: number; outFeatures: number; calls: number; qkv: tf.Tensor[]; forward(x: tf.Tensor): tf.Tensor };

  constructor(Impl: LayerClass, model: GPT2Config) {
    // One head's width; the model's other sizes (a class may size a mask by n_positions).
    const hs = (this.hs = model.n_embd / model.n_head);
    const config = new GPT2Config({ ...model, n_embd: hs, n_head: 1 });
    const layer = new Impl(config) as { c_attn?: unknown };
    disposeModule(layer.c_attn); // its own c_attn is never used: the stand-in takes its place
    this.standIn = {
      inFeatures: hs,
      outFeatures: 3 * hs,
      calls: 0,
      qkv: [],
      forward(): tf.Tensor {
        this.calls++;
        return tf.concat(this.qkv, -1); // (B, T, 3·hs): this head's q, k, v, whatever the input
      },
    };
    layer.c_attn = this.standIn;
    this.layer = forwardOf(layer, FINALE_STEPS.step08.className);
  }

  /** q, k, v [B, T, C] → every head's attention by the learner's class, side by side: [B, T, C]. */
  run(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
    const [B, T, C] = q.shape;
    const hs = this.hs;
    const x = tf.zeros([B, T, hs]); // there for its shape only
    const ys = Array.from({ length: C / hs }, (_, h) => {
      this.standIn.qkv = [q, k, v].map((t) => tf.slice(t, [0, 0, h * hs], [B, T, hs])); // 3 × (B, T, hs): head h
      this.standIn.calls = 0;
      let y: unknown;
      let failure: unknown = null;
      try {
        y = this.layer.forward(x);
      } catch (err) {
        failure = err;
      }
      if (this.standIn.calls === 0) {
        const after = failure ? ` (it stopped with: ${(failure as Error).message ?? String(failure)})` : "";
        throw new Error(`${FINALE_STEPS.step08.className}.forward does not call this.c_attn.forward(x), so it cannot be given one head's q, k, v${after}.`);
      }
      if (failure) throw failure;
      return expectTensor(y, [B, T, hs], `${FINALE_STEPS.step08.className}.forward, given head ${h}'s q, k, v,`);
    });
    return tf.concat(ys, -1); // (B, T, C): the heads side by side, as GPT-2 merges them
  }

  dispose(): void {
    disposeModule(this.layer);
  }
}

/** A block's attention with learner classes plugged in (see the top of this file). Not a Module. */
class PluggedAttention implements BlockAttention {
  private readonly whole: Forward | null = null;
  private readonly qkv: Forward | null = null;
  private readonly heads: PerHead | null = null;
  /** The block's weights this plan leaves unused (a step 09 class without c_proj). */
  readonly unused: string[] = [];

  constructor(readonly kit: GPT2Attention, plan: BlockPlan) {
    const config = kit.config;
    try {
      if (plan.step09) {
        const m = new plan.step09(config);
        this.whole = forwardOf(m, FINALE_STEPS.step09.className);
        this.unused = copyWeights(m, kit, FINALE_STEPS.step09.className);
      } else {
        if (plan.step07) {
          const m = new plan.step07(config);
          this.qkv = forwardOf(m, FINALE_STEPS.step07.className);
          copyWeights(m, kit, FINALE_STEPS.step07.className);
        }
        if (plan.step08) this.heads = new PerHead(plan.step08, config);
      }
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** x: [B, T, C] → y: [B, T, C]. */
  forward(x: tf.Tensor): tf.Tensor {
    const [B, T, C] = x.shape;
    if (this.whole) return tf.tidy(() => expectTensor(this.whole!.forward(x), [B, T, C], `${FINALE_STEPS.step09.className}.forward`));
    if (!this.heads) {
      // Only q, k, v are the learner's: the kit's GPT2Attention.forward itself, with its
      // projectQKV (c_attn and the split) answered by the learner's class.
      const view = Object.create(this.kit, { projectQKV: { value: (input: tf.Tensor) => this.projectQKV(input) } }) as GPT2Attention;
      return GPT2Attention.prototype.forward.call(view, x);
    }
    return tf.tidy(() => {
      const [q, k, v] = this.projectQKV(x); // 3 × (B, T, C)
      return this.kit.c_proj.forward(this.heads!.run(q, k, v)); // (B, T, C)
    });
  }

  private projectQKV(x: tf.Tensor): tf.Tensor[] {
    if (!this.qkv) return tf.split(this.kit.c_attn.forward(x), 3, -1); // the kit's c_attn
    const out = this.qkv.forward(x);
    const who = `${FINALE_STEPS.step07.className}.forward`;
    if (!Array.isArray(out) || out.length !== 3) throw new Error(`${who} returned ${Array.isArray(out) ? `${out.length} tensors` : typeof out}; expected [q, k, v].`);
    return out.map((t, i) => expectTensor(t, x.shape, `${who} (${"qkv"[i]})`));
  }

  dispose(): void {
    disposeModule(this.whole);
    disposeModule(this.qkv);
    this.heads?.dispose();
  }
}

export interface Plugged {
  /** The plan of each block, h.0 first. */
  plans: BlockPlan[];
  /** Put the kit's attention back in every block and free the plugged layers' weights. */
  unplug(): void;
}

/** Plug `plans` (one for every block, or one for all) into the model's blocks. unplug() when done. */
export function plugLayers(model: GPT2LMHeadModel, plans: BlockPlan | BlockPlan[]): Plugged {
  const list = Array.isArray(plans) ? plans : model.h.map(() => plans);
  if (list.length !== model.h.length) throw new Error(`plugLayers: ${list.length} plans for ${model.h.length} blocks.`);
  const plugged: PluggedAttention[] = [];
  const unplug = () => {
    model.h.forEach((block) => block.useAttention(null));
    plugged.forEach((p) => p.dispose());
    plugged.length = 0;
  };
  try {
    model.h.forEach((block, i) => {
      const p = list[i];
      if (!p.step07 && !p.step08 && !p.step09) return;
      plugged.push(new PluggedAttention(block.attn, p));
      block.useAttention(plugged[plugged.length - 1]);
    });
  } catch (err) {
    unplug();
    throw err;
  }
  return { plans: list, unplug };
}

/**
 * Run `fn` with `plans` plugged in, and unplug when it is done (when the promise it returns settles,
 * if it returns one), whether it succeeded or not.
 */
export function withLayers<T>(model: GPT2LMHeadModel, plans: BlockPlan | BlockPlan[], fn: () => T): T {
  const plugged = plugLayers(model, plans);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    plugged.unplug();
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => plugged.unplug()) as T;
  plugged.unplug();
  return result;
}

// ---- Choosing what runs -------------------------------------------------------------------------

export interface ChosenLayer {
  step: Step;
  /** What runs where this step is "yours": the learner's class, or the kit's solution in its place. */
  Impl: LayerClass;
  whose: "yours" | "kit's solution";
  /** In a sentence: where it came from, and how its trial run went. */
  note: string;
  /** On the trial input, the largest |difference| of the block's output from the kit's (null: not tried). */
  maxDiff: number | null;
}

/**
 * One block's attention output with only `step` swapped for `Impl`, against the kit's, on a seeded
 * random input: the largest |difference|, and the block weights left unused. Throws what the
 * class throws.
 */
export function trialRun(step: Step, Impl: LayerClass, kit: GPT2Attention): { maxDiff: number; unused: string[] } {
  const plan: BlockPlan = { step07: null, step08: null, step09: null, [step]: Impl };
  const p = new PluggedAttention(kit, plan);
  try {
    const maxDiff = tf.tidy(() => {
      const x = tf.randomNormal([1, 5, kit.n_embd], 0, 1, "float32", 8); // (1, 5, C)
      return tf.max(tf.abs(tf.sub(p.forward(x), kit.forward(x)))).dataSync()[0];
    });
    return { maxDiff, unused: p.unused };
  } finally {
    p.dispose();
  }
}

/**
 * For each step, what "yours" means in this model: the learner's class when it was found and its
 * trial run (block 0, the model's own weights) went through, else the kit's solution, with why.
 */
export function chooseLayers(model: GPT2LMHeadModel, found: Record<Step, FoundClass>): Record<Step, ChosenLayer> {
  const kit = model.h[0].attn;
  const choose = (step: Step): ChosenLayer => {
    const f = found[step];
    const standIn = (why: string): ChosenLayer => ({ step, Impl: FINALE_STEPS[step].kit, whose: "kit's solution", note: `the kit's solution runs in place of yours: ${why}`, maxDiff: null });
    if (!f.Impl) return standIn(f.problem ?? "no class");
    try {
      const { maxDiff, unused } = trialRun(step, f.Impl, kit);
      const verdict = !(maxDiff <= 1e-4)
        ? `its output differs from the kit's by up to ${maxDiff.toPrecision(2)} on a test input, so expect the distributions to change (${f.from === "this notebook" ? `checkStep${step.slice(4)} names the mistake` : `npm run check -- ${step.slice(4)} ${f.from} names the mistake`})`
        : `on a test input its output matches the kit's (max |difference| ${maxDiff.toExponential(1)})`;
      const left = unused.length ? `; it has no place for GPT-2's ${unused.join(", ")}, which go unused` : "";
      return { step, Impl: f.Impl, whose: "yours", note: `yours, from ${f.from}: ${verdict}${left}`, maxDiff };
    } catch (err) {
      return standIn(`yours (from ${f.from}) failed its trial run: ${(err as Error).message ?? String(err)}`);
    }
  };
  return Object.fromEntries(STEPS.map((s) => [s, choose(s)])) as Record<Step, ChosenLayer>;
}

export type Use = Record<Step, "yours" | "kit">;

/**
 * The plan of every block for a USE switch. "kit" keeps the kit's own code for that step. Step 09's
 * class is a whole attention block, with its own q, k, v and attention inside, so steps 07 and 08
 * cannot run inside it: when step 09 and step 07 or 08 are all "yours", step 09's class takes the
 * odd-numbered blocks and steps 07 and 08 run in the kit's block in the even-numbered ones.
 */
export function blockPlans(use: Use, chosen: Record<Step, ChosenLayer>, n_layer: number): BlockPlan[] {
  const pick = (s: Step) => (use[s] === "yours" ? chosen[s].Impl : null);
  const [q, a, whole] = [pick("step07"), pick("step08"), pick("step09")];
  return Array.from({ length: n_layer }, (_, i) =>
    whole && (!(q || a) || i % 2 === 1) ? { step07: null, step08: null, step09: whole } : { step07: q, step08: a, step09: null },
  );
}

/** Blocks with the same plan, as "h.0–h.11" or "h.0, h.2, h.4". */
function blockNames(indices: number[]): string {
  const contiguous = indices.every((b, j) => j === 0 || b === indices[j - 1] + 1);
  return contiguous && indices.length > 2 ? `h.${indices[0]}–h.${indices[indices.length - 1]}` : indices.map((b) => `h.${b}`).join(", ");
}

/** One table row per group of blocks with the same plan: whose code computes each part. */
export function planRows(plans: BlockPlan[], chosen: Record<Step, ChosenLayer>): { blocks: string; step07: string; step08: string; step09: string }[] {
  const whose = (s: Step, Impl: LayerClass | null) => (Impl ? (chosen[s].whose === "yours" ? "yours" : "kit's solution*") : "kit");
  const groups = new Map<string, number[]>();
  plans.forEach((p, i) => {
    const key = STEPS.map((s) => (p[s] ? s : "-")).join(" ");
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()].map((indices) => {
    const p = plans[indices[0]];
    const inside = p.step09 ? "inside step 09's class" : null;
    return {
      blocks: blockNames(indices),
      step07: inside ?? whose("step07", p.step07),
      step08: inside ?? whose("step08", p.step08),
      step09: whose("step09", p.step09),
    };
  });
}

/** A table cell's style: left-aligned (the classic Notebook right-aligns output tables). */
const CELL = "padding:3px 10px;text-align:left;vertical-align:top";

/** planRows as an HTML table (yours green, the kit's solution yellow) with a plain-text twin. */
export function planTable(plans: BlockPlan[], chosen: Record<Step, ChosenLayer>, caption: string): { html: string; text: string } {
  const rows = planRows(plans, chosen);
  const colour = (v: string) => (v === "yours" ? "#d9f2d9" : v.startsWith("kit's solution") ? "#fff3c4" : "#f2f2f2");
  const td = (v: string) => `<td style="${CELL};background:${colour(v)}">${esc(v)}</td>`;
  const head = ["blocks", `q, k, v (step 07, ${FINALE_STEPS.step07.className})`, `attention in each head (step 08, ${FINALE_STEPS.step08.className})`, `the block: heads, merge, c_proj (step 09, ${FINALE_STEPS.step09.className})`];
  const html =
    `<table class="qkv-finale-plan" style="border-collapse:collapse;font:13px/1.4 ${FONT}">` +
    `<caption style="text-align:left;font-weight:bold;padding-bottom:4px">${esc(caption)}</caption>` +
    `<tr>${head.map((h) => `<th style="${CELL};border-bottom:1px solid #999">${esc(h)}</th>`).join("")}</tr>` +
    rows.map((r) => `<tr><td style="${CELL}">${esc(r.blocks)}</td>${td(r.step07)}${td(r.step08)}${td(r.step09)}</tr>`).join("") +
    `</table>`;
  const text = [caption, ...rows.map((r) => `  ${r.blocks}: step 07 ${r.step07}; step 08 ${r.step08}; step 09 ${r.step09}`)].join("\n");
  const standIns = rows.some((r) => [r.step07, r.step08, r.step09].some((v) => v.startsWith("kit's solution")));
  const footnote = "* the kit's solution, plugged in the same way, in place of yours (the table above says why)";
  return { html: html + (standIns ? `<div style="font:12px ${FONT};color:#555;margin-top:4px">${esc(footnote)}</div>` : ""), text: standIns ? `${text}\n${footnote}` : text };
}

/** What "yours" means for each step (chooseLayers), as an HTML table with a plain-text twin. */
export function chosenTable(chosen: Record<Step, ChosenLayer>): { html: string; text: string } {
  const rows = STEPS.map((s) => ({ ...chosen[s], step: `step ${s.slice(4)}`, cls: FINALE_STEPS[s].className, part: FINALE_STEPS[s].part }));
  const html =
    `<table class="qkv-finale-classes" style="border-collapse:collapse;font:13px/1.4 ${FONT}">` +
    `<tr>${["step", "class", "computes", "runs", "why"].map((h) => `<th style="${CELL};border-bottom:1px solid #999">${h}</th>`).join("")}</tr>` +
    rows.map((r) =>
      `<tr><td style="${CELL};white-space:nowrap">${r.step}</td><td style="${CELL}"><code>${r.cls}</code></td><td style="${CELL}">${esc(r.part)}</td>` +
      `<td style="${CELL};white-space:nowrap;background:${r.whose === "yours" ? "#d9f2d9" : "#fff3c4"}">${esc(r.whose)}</td><td style="${CELL};max-width:560px">${esc(r.note)}</td></tr>`,
    ).join("") +
    `</table>`;
  return { html, text: rows.map((r) => `${r.step} (${r.cls}): ${r.note}`).join("\n") };
}

// ---- The next token ------------------------------------------------------------------------------

export interface NextTokens {
  /** softmax of the last position's logits, in float64. */
  probs: Float64Array;
  logits: Float32Array;
  /** The k most likely token ids, most likely first. */
  top: number[];
}

/** The model's distribution over the token after `ids` (one sequence). */
export function nextTokens(model: GPT2LMHeadModel, ids: number[], k = 10): NextTokens {
  const logits = tf.tidy(() => {
    const all = model.forward([ids]); // (1, T, V)
    const [, T, V] = all.shape;
    return tf.reshape(tf.slice(all, [0, T - 1, 0], [1, 1, V]), [V]); // (V): the last position's
  });
  const l = logits.dataSync() as Float32Array;
  logits.dispose();
  let max = -Infinity;
  for (const v of l) max = Math.max(max, v);
  const probs = Float64Array.from(l, (v) => Math.exp(v - max));
  const sum = probs.reduce((a, b) => a + b, 0);
  for (let i = 0; i < probs.length; i++) probs[i] /= sum;
  const top = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, k);
  return { probs, logits: l, top };
}

export interface NextTokenComparison {
  /** The same k tokens on top, in the same order. */
  sameTop: boolean;
  /** The largest |difference| of a probability, over the whole vocabulary. */
  maxProb: number;
  /** The largest |difference| of a logit. */
  maxLogit: number;
}

export function compareNextTokens(a: NextTokens, b: NextTokens): NextTokenComparison {
  let maxProb = 0;
  let maxLogit = 0;
  for (let i = 0; i < a.probs.length; i++) {
    maxProb = Math.max(maxProb, Math.abs(a.probs[i] - b.probs[i]));
    maxLogit = Math.max(maxLogit, Math.abs(a.logits[i] - b.logits[i]));
  }
  return { sameTop: a.top.length === b.top.length && a.top.every((t, i) => t === b.top[i]), maxProb, maxLogit };
}

/** A comparison with the kit's model in words, on two lines. */
export function describeComparison(what: string, c: NextTokenComparison, k: number): string {
  const top = c.sameTop ? `the same top ${k} as the kit's model, in the same order` : `a different top ${k} from the kit's model`;
  return `${what}: ${top};\n  largest change of a probability ${c.maxProb.toExponential(1)}, of a logit ${c.maxLogit.toExponential(1)}`;
}

/** A token as a short axis label: spaces and newlines visible, control bytes as \xNN, at most `max` characters. */
function tokenLabel(id: number, max = 9): string {
  const text = visibleToken(detokenize([id])).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text || "(empty)";
}

/** Labels for token ids, made unique (two tokens can print alike) by adding the id where needed. */
export function tokenLabels(ids: number[]): string[] {
  const labels = ids.map((id) => tokenLabel(id));
  return labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) ? `${l} #${ids[i]}` : l));
}

/**
 * Bars of the k most likely next tokens (probabilities in %), labelled with the tokens; with `kit`,
 * the kit's model's probability of the same tokens beside each, in grey.
 */
export function nextTokenFigure(options: { title: string; next: NextTokens; name: string; kit?: NextTokens }): Figure {
  const { next, kit } = options;
  const pct = (p: Float64Array) => next.top.map((id) => 100 * p[id]);
  const series = [
    ...(kit ? [{ name: "the kit's model", values: pct(kit.probs), color: "#9a9a9a" }] : []),
    { name: options.name, values: pct(next.probs), color: "#1f77b4" },
  ];
  return bars({
    title: options.title,
    categories: tokenLabels(next.top),
    series,
    yTitle: "probability (%)",
    xTitle: "next token",
    width: 860,
    height: 340,
  });
}

// ---- Continuing a prompt -------------------------------------------------------------------------

/**
 * Generate from `prompt` and write the text as it comes (by default to the notebook's output),
 * holding back only while the text ends in half a character (a character can span two tokens).
 * Returns the new token ids and the time taken.
 */
export async function streamText(
  model: GPT2LMHeadModel,
  prompt: number[],
  options: Omit<GenerateOptions, "onToken">,
  write: (text: string) => void = (text) => void process.stdout.write(text),
): Promise<{ ids: number[]; seconds: number }> {
  const ids: number[] = [];
  let shown = "";
  const t0 = performance.now();
  for await (const [token] of model.stream([prompt], options)) {
    ids.push(token);
    const text = detokenize(ids);
    if (text.endsWith("\uFFFD")) continue;
    write(text.slice(shown.length));
    shown = text;
  }
  const text = detokenize(ids);
  if (text !== shown) write(text.slice(shown.length));
  return { ids, seconds: (performance.now() - t0) / 1000 };
}

/** Whether two generations agree, in words: "the same 10 tokens" or where they part. */
export function describeSameTokens(a: number[], b: number[]): string {
  const first = a.findIndex((t, i) => t !== b[i]);
  if (first < 0 && a.length === b.length) return `the same ${a.length} tokens`;
  const at = first < 0 ? Math.min(a.length, b.length) : first;
  return `the same first ${at} tokens, then different ones`;
}
