// Step 07, before any numbers: does the learner's module have GPT-2's c_attn, built the way the
// checkpoint needs (one Linear, n_embd → 3·n_embd, with a bias)?
import { tf, GPT2Config, Module, Linear } from "../lib/index";

export interface Row {
  name: string;
  passed: boolean;
  message: string;
}

export interface StructureReport {
  rows: Row[];
  /** The Linear to load reference weights into, when its weight has the right shape. */
  cAttn: Linear | null;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

function isLinear(v: unknown): v is Linear {
  return v instanceof Linear;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (v instanceof tf.Variable) return `a tf.Variable of shape ${shapeText(v.shape)}`;
  if (v instanceof tf.Tensor) return `a tf.Tensor of shape ${shapeText(v.shape)}`;
  if (typeof v === "function") return "a function";
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "plain object"}`;
  return `a ${typeof v} (${String(v)})`;
}

function linearsOf(instance: object): [string, Linear][] {
  return Object.entries(instance).filter((e): e is [string, Linear] => isLinear(e[1]));
}

export function inspectStructure(instance: unknown, config: GPT2Config): StructureReport {
  const C = config.n_embd;
  const rows: Row[] = [];
  const fix = `create it in the constructor: this.c_attn = new Linear(config.n_embd, 3 * config.n_embd)`;
  if (instance === null || typeof instance !== "object") {
    rows.push({ name: "c_attn", passed: false, message: `The constructor produced ${kindOf(instance)}, not an object with a c_attn.` });
    return { rows, cAttn: null };
  }
  const cAttn = (instance as { c_attn?: unknown }).c_attn;
  const linears = linearsOf(instance);

  if (!isLinear(cAttn)) {
    let message: string;
    const separate = linears.filter(([, l]) => l.inFeatures === C && l.outFeatures === C);
    const combined = linears.filter(([, l]) => l.inFeatures === C && l.outFeatures === 3 * C);
    if (cAttn === undefined && separate.length >= 3) {
      message =
        `Three separate layers (${separate.map(([n]) => n).join(", ")}, each ${C} → ${C}) instead of one combined c_attn. ` +
        `GPT-2 computes Q, K and V with a single Linear, c_attn, from ${C} to ${3 * C} = 3 × n_embd, and splits its output; ` +
        `its checkpoint stores one c_attn weight, so the weights load by name only into that layout. Replace them with one c_attn.`;
    } else if (cAttn === undefined && combined.length === 1) {
      message = `Your ${C} → ${3 * C} Linear is called "${combined[0][0]}"; GPT-2's checkpoint calls it "c_attn". Rename it so that the weights load by name.`;
    } else if (cAttn === undefined) {
      const others = Object.keys(instance).filter((k) => /c.?attn|attn/i.test(k));
      message =
        (others.length ? `There is no this.c_attn (but there is ${others.map((k) => `"${k}"`).join(", ")}: check the spelling). ` : `There is no this.c_attn: not implemented yet? `) +
        `GPT-2's query/key/value projection is one Linear named c_attn; ${fix}.`;
    } else if (cAttn instanceof tf.Tensor) {
      message = `c_attn is ${kindOf(cAttn)}, not a Linear. Use a Linear, which holds both the weight and the bias: ${fix}.`;
    } else if (cAttn instanceof Module) {
      message = `c_attn is ${kindOf(cAttn)}, not a Linear from the lib. ${fix[0].toUpperCase()}${fix.slice(1)}.`;
    } else {
      message = `c_attn is ${kindOf(cAttn)}, not a Linear. ${fix[0].toUpperCase()}${fix.slice(1)}.`;
    }
    rows.push({ name: "c_attn", passed: false, message });
    return { rows, cAttn: null };
  }

  const separate = linears.filter(([n, l]) => n !== "c_attn" && l.inFeatures === C && l.outFeatures === C);
  rows.push({
    name: "c_attn",
    passed: true,
    message:
      `c_attn is a Linear (${cAttn.inFeatures} → ${cAttn.outFeatures})` +
      (separate.length ? `; note: ${separate.map(([n]) => n).join(", ")} are extra layers that GPT-2's c_attn step does not have` : ""),
  });

  const w = cAttn.weight;
  const wShape = w instanceof tf.Tensor ? w.shape : [];
  let weightOk = false;
  let weightMessage: string;
  if (!(w instanceof tf.Variable) || w.isDisposed) {
    weightMessage = `c_attn.weight is ${w instanceof tf.Tensor && w.isDisposed ? "disposed" : kindOf(w)}; it must be the tf.Variable that Linear creates.`;
  } else if (wShape.length === 2 && wShape[0] === C && wShape[1] === 3 * C) {
    weightOk = true;
    weightMessage = `c_attn.weight is [${C}, ${3 * C}] = [n_embd, 3 × n_embd] ([in, out], the layout of GPT-2's Conv1D)`;
  } else if (wShape.length === 2 && wShape[0] === 3 * C && wShape[1] === C) {
    weightMessage =
      `In and out are swapped: c_attn maps ${3 * C} → ${C}, but GPT-2's maps n_embd = ${C} → 3 × n_embd = ${3 * C}. ` +
      `Linear takes (inFeatures, outFeatures): write new Linear(config.n_embd, 3 * config.n_embd).`;
  } else if (wShape.length === 2 && wShape[0] === C) {
    const perHead = wShape[1] === 3 * config.headDim ? ` (3 × head_dim = 3 × ${config.headDim}: this step is one head of the full width n_embd)` : "";
    weightMessage = `c_attn maps ${C} → ${wShape[1]}${perHead}; GPT-2's maps ${C} → ${3 * C} = 3 × n_embd so that Q, K and V each get ${C}. Write new Linear(config.n_embd, 3 * config.n_embd).`;
  } else {
    weightMessage =
      `c_attn.weight has shape ${shapeText(wShape)}; GPT-2's is [${C}, ${3 * C}]: each token's n_embd = ${C} values in, 3 × n_embd = ${3 * C} out. ` +
      `Write new Linear(config.n_embd, 3 * config.n_embd).`;
  }
  rows.push({ name: "c_attn.weight", passed: weightOk, message: weightMessage });

  const b = cAttn.bias;
  if (b === null || b === undefined) {
    rows.push({
      name: "c_attn.bias",
      passed: false,
      message: `c_attn has no bias. GPT-2's c_attn has one, ${3 * C} values that the checkpoint stores as c_attn.bias: drop \`bias: false\` (a Linear has a bias by default).`,
    });
  } else if (!(b instanceof tf.Variable) || b.isDisposed) {
    rows.push({ name: "c_attn.bias", passed: false, message: `c_attn.bias is ${b instanceof tf.Tensor && b.isDisposed ? "disposed" : kindOf(b)}; it must be the tf.Variable that Linear creates.` });
  } else if (b.rank === 1 && b.shape[0] === 3 * C) {
    rows.push({ name: "c_attn.bias", passed: true, message: `c_attn.bias is [${3 * C}]` });
  } else {
    rows.push({ name: "c_attn.bias", passed: false, message: `c_attn.bias has shape ${shapeText(b.shape)}; GPT-2's is [${3 * C}], one value per output of c_attn.` });
  }
  return { rows, cAttn: weightOk ? cAttn : null };
}
