// The step 07 reference file: where it lives and what its header must say.
// Shared by the checker (checks/reference.ts) and the script that writes it
// (scripts/make-reference.ts); deliberately free of tfjs.
import * as path from "node:path";
import type { ReferenceSpec } from "./seeded";

/** A safetensors file: input x and expected q, k, v (F32), with metadata in `__metadata__`. */
export const REFERENCE_FILE = path.join(__dirname, "data", "step07-reference.safetensors");

/** The file's "magic": `__metadata__.format` must be exactly this. */
export const REFERENCE_FORMAT = "gpt2-qkv-lessons/step07-reference";

/** Bump when the layout or meaning of the file changes; the checker accepts only this version. */
export const REFERENCE_VERSION = "1";

/** How to get a good file back; every "missing or corrupted" message ends with it. */
export const REGENERATE_HINT = "Regenerate it with `npm run make-reference` (or restore it with `git checkout -- checks/data/`).";

/** GPT-2 small's width, and an input small enough that the check takes well under a second on cpu. */
export const DEFAULT_SPEC: ReferenceSpec = { seed: 20070, batch: 2, seq: 8, n_embd: 768 };

/** Tensors stored in the file, in the order the checker reads them. */
export const STORED_TENSORS = ["input", "q", "k", "v"] as const;
