// Writes every step's reference file (checks/stepNN/reference.safetensors): the input and the
// expected outputs that the step's check compares a learner's class with.
//
// Independent of tfjs on purpose: the weights and input come from a seeded PRNG in plain
// TypeScript (checks/engine/seeded.ts), and each step computes its outputs with float64 loops
// (its spec's `compute`). Only the seed is stored for the weights; their sha256 is stored so the
// checker can prove it regenerated the same ones.
//
//   npm run make-reference                      # rewrite every step's file in place
//   npm run make-reference -- 07                # one step
//   npm run make-reference -- 07 --out other.safetensors
import * as path from "node:path";
import { writeReference } from "../checks/engine/reference-file";
import { loadStep, normalizeStep, stepIds } from "../checks/engine/steps";

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--out");
  const out = at >= 0 && args[at + 1] ? path.resolve(args[at + 1]) : undefined;
  const named = args.filter((a, i) => !a.startsWith("--") && !(at >= 0 && i === at + 1)).map((a) => normalizeStep(a) ?? a);
  const steps = named.length ? named : stepIds();
  if (out && steps.length !== 1) {
    console.error("--out needs exactly one step: npm run make-reference -- 07 --out file.safetensors");
    process.exit(2);
  }
  for (const id of steps) {
    const spec = loadStep(id);
    const t0 = Date.now();
    const file = out ?? spec.reference.file;
    const bytes = writeReference(spec.reference, id, file);
    console.log(`step ${id}: wrote ${path.relative(process.cwd(), file) || file} (${bytes} bytes) in ${Date.now() - t0} ms.`);
  }
}
