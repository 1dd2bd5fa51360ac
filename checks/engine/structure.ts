// Structure rules that steps share: is there a Linear under this name, of this size, with a
// bias, built the way GPT-2's checkpoint needs? Works on the module's snapshot (plain data).
import { shapeText } from "../../lib/shape";
import { fail, pass } from "./rows";
import type { CheckRow, PropertyInfo, Snapshot } from "./types";

export function property(snap: Snapshot, name: string): PropertyInfo | undefined {
  return snap.properties.find((p) => p.name === name);
}

export function linears(snap: Snapshot): PropertyInfo[] {
  return snap.properties.filter((p) => p.kind === "linear");
}

function kindText(p: PropertyInfo | undefined): string {
  if (!p) return "undefined";
  if (p.kind === "variable" || p.kind === "tensor") return `a ${p.typeName} of shape ${shapeText(p.shape ?? [])}`;
  if (p.kind === "number") return `the number ${p.value}`;
  return `a ${p.typeName}`;
}

export interface LinearRule {
  /** Property name: "c_attn". */
  name: string;
  inFeatures: number;
  outFeatures: number;
  /** How the sizes read in messages: "n_embd = 768 → 3 × n_embd = 2304". */
  sizes: string;
  /** The line that creates it: "this.c_attn = new Linear(config.n_embd, 3 * config.n_embd)". */
  create: string;
  /** Extra words when the output width is wrong (e.g. "3 × head_dim: ..."). */
  widthNote?: (out: number) => string;
  /** Name other square Linears as layers this step does not have (step 07: separate q/k/v layers). */
  noteExtraLayers?: boolean;
}

/**
 * Rows for one Linear: "<name>", "<name>.weight", "<name>.bias". `ok` is false when the
 * reference weights cannot go in (no such Linear, or a weight of another shape). `missing` says
 * what to tell a learner whose module has no property of that name (title: "No <name>" unless given).
 */
export function linearRows(snap: Snapshot, rule: LinearRule, missing: () => { message: string; title?: string }): { rows: CheckRow[]; ok: boolean } {
  const { name, inFeatures: I, outFeatures: O } = rule;
  const p = property(snap, name);
  const fix = `Create it in the constructor: ${rule.create}.`;
  if (!p) {
    const { message, title = `No ${name}` } = missing();
    return { rows: [fail(name, "missing", message, { title, fix: rule.create })], ok: false };
  }
  if (p.kind !== "linear" || !p.linear) {
    const message = `${name} is ${kindText(p)}, not a Linear${p.kind === "variable" || p.kind === "tensor" ? ". Use a Linear, which holds both the weight and the bias" : " from the lib"}. ${fix}`;
    return { rows: [fail(name, "not-linear", message, { title: `${name} is not a Linear`, fix: rule.create })], ok: false };
  }
  const l = p.linear;
  const rows: CheckRow[] = [];
  const extras = rule.noteExtraLayers ? linears(snap).filter((q) => q.name !== name && q.linear!.inFeatures === I && q.linear!.outFeatures === I) : [];
  const note = extras.length ? `; note: ${extras.map((q) => q.name).join(", ")} ${extras.length > 1 ? "are extra layers" : "is an extra layer"} that this step does not have` : "";
  rows.push(pass(name, `${name} is a Linear (${l.inFeatures} → ${l.outFeatures})${note}`));

  const w = l.weight;
  let weightOk = false;
  if (!w || !w.isVariable || w.disposed) {
    rows.push(fail(`${name}.weight`, "weight-not-variable", `${name}.weight is ${w && w.disposed ? "disposed" : "not a tf.Variable"}; it must be the tf.Variable that Linear creates.`, { title: "Broken weight" }));
  } else if (w.shape.length === 2 && w.shape[0] === I && w.shape[1] === O) {
    weightOk = true;
    rows.push(pass(`${name}.weight`, `${name}.weight is [${I}, ${O}] ([in, out], the layout of GPT-2's Conv1D)`));
  } else if (w.shape.length === 2 && w.shape[0] === O && w.shape[1] === I && I !== O) {
    rows.push(fail(`${name}.weight`, "in-out-swapped", `In and out are swapped: ${name} maps ${O} → ${I}, but GPT-2's maps ${rule.sizes}. Linear takes (inFeatures, outFeatures).`, { title: "In and out swapped", fix: rule.create }));
  } else if (w.shape.length === 2 && w.shape[0] === I) {
    rows.push(fail(`${name}.weight`, "wrong-width", `${name} maps ${I} → ${w.shape[1]}${rule.widthNote?.(w.shape[1]) ?? ""}; GPT-2's maps ${rule.sizes}.`, { title: "Wrong width", fix: rule.create }));
  } else {
    rows.push(fail(`${name}.weight`, "wrong-shape", `${name}.weight has shape ${shapeText(w.shape)}; GPT-2's is [${I}, ${O}]: ${rule.sizes}.`, { title: "Wrong weight shape", fix: rule.create }));
  }

  const b = l.bias;
  if (b === "missing") {
    rows.push(fail(`${name}.bias`, "no-bias", `${name} has no bias. GPT-2's ${name} has one, ${O} values that the checkpoint stores as ${name}.bias: drop \`bias: false\` (a Linear has a bias by default).`, { title: "No bias" }));
  } else if (!b || !b.isVariable || b.disposed) {
    rows.push(fail(`${name}.bias`, "bias-not-variable", `${name}.bias is ${b && b.disposed ? "disposed" : "not a tf.Variable"}; it must be the tf.Variable that Linear creates.`, { title: "Broken bias" }));
  } else if (b.shape.length === 1 && b.shape[0] === O) {
    rows.push(pass(`${name}.bias`, `${name}.bias is [${O}]`));
  } else {
    rows.push(fail(`${name}.bias`, "bias-shape", `${name}.bias has shape ${shapeText(b.shape)}; GPT-2's is [${O}], one value per output of ${name}.`, { title: "Wrong bias shape" }));
  }
  return { rows, ok: weightOk };
}

/** The constructor did not produce an object at all. */
export function notAnObject(snap: Snapshot, name: string): CheckRow {
  return fail(name, "not-an-object", `The constructor produced ${snap.description}, not an object with a ${name}.`);
}
