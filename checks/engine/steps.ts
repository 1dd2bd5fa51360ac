// The steps this kit can check: every folder checks/stepNN/ with a spec.ts that exports a
// StepSpec. Found by looking, so that adding a step needs no edit here, in the CLI, in
// make-reference or in build:notebooks.
import * as fs from "node:fs";
import * as path from "node:path";
import type { StepSpec } from "./types";

export const CHECKS_DIR = path.resolve(__dirname, "..");

/** Step ids with a spec, in order: ["07", "08", ...]. */
export function stepIds(): string[] {
  return fs
    .readdirSync(CHECKS_DIR)
    .map((name) => /^step(\d\d)$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined && fs.existsSync(path.join(CHECKS_DIR, `step${id}`, "spec.ts")))
    .sort();
}

/** "7", "07" or "step07" → "07"; null when it is not a step number. */
export function normalizeStep(text: string): string | null {
  const m = /^(?:step)?0*(\d{1,2})$/i.exec(text.trim());
  return m ? m[1].padStart(2, "0") : null;
}

/** The spec of step `id` ("07"). Throws, listing the steps there are, when there is none. */
export function loadStep(id: string): StepSpec {
  const file = path.join(CHECKS_DIR, `step${id}`, "spec.ts");
  if (!fs.existsSync(file)) throw new Error(`There is no step ${id} check. Steps with a check: ${stepIds().join(", ")}.`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mod = require(path.join(CHECKS_DIR, `step${id}`, "spec")) as Record<string, unknown>;
  const spec = Object.values(mod).find((v): v is StepSpec => !!v && typeof v === "object" && (v as StepSpec).id === id);
  if (!spec) throw new Error(`${file} exports no StepSpec with id "${id}".`);
  return spec;
}
