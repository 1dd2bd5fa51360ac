// Writes checks/data/step07-reference.safetensors: the input and the expected Q, K and V that
// `checkStep07` compares a learner's class with.
//
// Independent of tfjs on purpose: the weights and input come from a seeded PRNG in plain
// TypeScript (checks/seeded.ts), and c_attn is computed with float64 loops (checks/float64.ts).
// Only the seed is stored for the weights (they would be 7 MB); their sha256 is stored so the
// checker can prove it regenerated the same ones.
//
//   npm run make-reference                       # rewrite the file in place
//   npm run make-reference -- --out other.safetensors
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { GENERATOR, INPUT_STD, BIAS_STD, WEIGHT_STD, seededBias, seededInput, seededWeight } from "../checks/seeded";
import type { ReferenceSpec } from "../checks/seeded";
import { cAttnFloat64, splitLast3 } from "../checks/float64";
import { DEFAULT_SPEC, REFERENCE_FILE, REFERENCE_FORMAT, REFERENCE_VERSION } from "../checks/reference-format";
import { encodeSafetensors, float32Bytes } from "../lib/safetensors-file";

function sha256(buf: Buffer): string {
  return crypto.createHash("sha256").update(buf).digest("hex");
}

export function makeReference(file: string, spec: ReferenceSpec = DEFAULT_SPEC): void {
  const { batch, seq, n_embd } = spec;
  const rows = batch * seq;
  const weight = seededWeight(spec);
  const bias = seededBias(spec);
  const x = seededInput(spec);
  const [q, k, v] = splitLast3(cAttnFloat64(x, weight, bias, rows, n_embd), rows, n_embd);
  const shape = [batch, seq, n_embd];
  const tensors = [
    { name: "input", shape, data: x },
    { name: "q", shape, data: q },
    { name: "k", shape, data: k },
    { name: "v", shape, data: v },
  ];
  const metadata: Record<string, string> = {
    format: REFERENCE_FORMAT,
    version: REFERENCE_VERSION,
    generator: GENERATOR,
    seed: String(spec.seed),
    batch: String(batch),
    seq: String(seq),
    n_embd: String(n_embd),
    weight_std: String(WEIGHT_STD),
    bias_std: String(BIAS_STD),
    input_std: String(INPUT_STD),
    computed_with: "float64 loops in plain TypeScript (scripts/make-reference.ts), no tfjs; stored rounded to float32",
    sha256_weight: sha256(float32Bytes(weight)),
    sha256_bias: sha256(float32Bytes(bias)),
  };
  for (const t of tensors) metadata[`sha256_${t.name}`] = sha256(float32Bytes(t.data));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodeSafetensors(tensors, metadata));
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--out");
  const file = at >= 0 && args[at + 1] ? path.resolve(args[at + 1]) : REFERENCE_FILE;
  const t0 = Date.now();
  makeReference(file);
  console.log(`Wrote ${path.relative(process.cwd(), file) || file} (${fs.statSync(file).size} bytes) in ${Date.now() - t0} ms.`);
}
