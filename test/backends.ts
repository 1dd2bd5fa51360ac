// For test files that run on every backend this machine has.
import { before, after } from "node:test";
import { tf, selectBackend, availableBackends } from "../lib/index";

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
