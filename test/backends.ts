// For test files that use tfjs: run on every backend this machine has, and turn the checkpoint
// entries test/helpers.ts makes (tfjs-free) into tensors or a loaded module.
import { before, after } from "node:test";
import { tf, selectBackend, availableBackends } from "../lib/index";
import type { Module } from "../lib/index";

/**
 * Registers hooks that select a backend, list every available one in `names`, and restore the
 * starting backend (`original`) when the file's tests are done. Read the fields inside tests.
 */
export function everyBackend(): { names: string[]; original: string } {
  const state = { names: [] as string[], original: "" };
  before(async () => {
    await selectBackend(undefined, { log: null });
    state.original = tf.getBackend();
    state.names = await availableBackends();
  });
  after(async () => {
    await tf.setBackend(state.original);
  });
  return state;
}

type Entries = Record<string, { shape: number[]; data: Float32Array }>;

/** Checkpoint entries as tensors, by the same names; the caller disposes them. */
export function tensors(entries: Entries): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(entries).map(([name, e]) => [name, tf.tensor(e.data, e.shape)]));
}

/** `module` with `entries` loaded by a plain name-to-name copy (loadStateDict); the tensors made for it are disposed. */
export function loadEntries<M extends Module>(module: M, entries: Entries): M {
  const sd = tensors(entries);
  module.loadStateDict(sd);
  tf.dispose(Object.values(sd));
  return module;
}
