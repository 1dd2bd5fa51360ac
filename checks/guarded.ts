// Calling a learner's code without letting it take the check down: every throw is caught,
// every Promise is bounded in time, and every error is turned into a message with the learner's
// own words and the line they came from.
//
// Limitation: JavaScript cannot interrupt a *synchronous* infinite loop from the same thread.
// Such a call is timed when it returns; one that never returns hangs the caller. `npm run s07`
// runs the check in a child process with a hard time limit for that reason.

export type Guarded<T> =
  | { kind: "value"; value: T; ms: number; wasPromise: boolean }
  | { kind: "threw"; error: unknown; ms: number; wasPromise: boolean }
  | { kind: "timeout"; ms: number; wasPromise: true };

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}

/**
 * Run `fn`; if it returns a Promise, wait for it at most `timeoutMs`. Never throws and never
 * leaves an unhandled rejection behind (one would crash Node, or the notebook's kernel).
 */
export async function guarded<T>(fn: () => T, timeoutMs: number): Promise<Guarded<unknown>> {
  const t0 = performance.now();
  let value: unknown;
  // tfjs adds a dozen frames between a learner's line and a throw inside an op; the default
  // limit of 10 frames would cut the learner's line off.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, 50);
  try {
    value = fn();
  } catch (error) {
    return { kind: "threw", error, ms: performance.now() - t0, wasPromise: false };
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (!isThenable(value)) return { kind: "value", value, ms: performance.now() - t0, wasPromise: false };
  const pending = value;
  return new Promise<Guarded<unknown>>((resolve) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      resolve({ kind: "timeout", ms: performance.now() - t0, wasPromise: true });
    }, Math.max(0, timeoutMs - (performance.now() - t0)));
    try {
      pending.then(
        (v) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ kind: "value", value: v, ms: performance.now() - t0, wasPromise: true });
        },
        (error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ kind: "threw", error, ms: performance.now() - t0, wasPromise: true });
        },
      );
    } catch (error) {
      // A hand-made "thenable" whose then() throws.
      settled = true;
      clearTimeout(timer);
      resolve({ kind: "threw", error, ms: performance.now() - t0, wasPromise: true });
    }
  });
}

/** The thrown value's own message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return `a non-Error value: ${JSON.stringify(error)}`;
  } catch {
    return `a non-Error value: ${String(error)}`;
  }
}

// Frames from these places are ours or the platform's, not the learner's.
const NOT_LEARNER = [/node:internal/, /[\\/]node_modules[\\/]/, /[\\/]lib[\\/][\w-]+\.[jt]s/, /[\\/]checks[\\/](?!solutions[\\/])[\w-]+\.[jt]s/, /[\\/]tfjs-[\w-]+[\\/]src[\\/]/, /\(<anonymous>\)$/, /^\s*at <anonymous>$/];

/**
 * Where the error came from in the learner's code, as "in MyQKV.forward, line 12 of my-qkv.ts"
 * (or "about line 12 of your cell" in a notebook), or "" when the stack does not say.
 */
export function errorLocation(error: unknown): string {
  if (!(error instanceof Error) || typeof error.stack !== "string") return "";
  for (const line of error.stack.split("\n").slice(1)) {
    if (!/^\s*at /.test(line)) continue;
    if (NOT_LEARNER.some((re) => re.test(line))) continue;
    const m = /\(?([^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1].replace(/^file:\/\//, "");
    const base = file.split(/[\\/]/).pop() || file;
    const fn = /^\s*at (?:async )?(.+?) \(/.exec(line)?.[1] ?? "";
    const inFunction = /^new [\w$]+$/.test(fn)
      ? `in the constructor of ${fn.slice(4)}, `
      : /^[\w$]+\.[\w$]+$/.test(fn) && !fn.startsWith("Object.")
        ? `in ${fn}, `
        : "";
    // A notebook cell has no file: tslab runs it as "evalmachine.<anonymous>", and the line is
    // that of the compiled JavaScript, close to but not always the same as the cell's.
    if (/^evalmachine/.test(base) || /^<.*>$/.test(base)) return `${inFunction}about line ${m[2]} of your cell`;
    return `${inFunction}line ${m[2]} of ${base}`;
  }
  return "";
}

/** "the learner's message" (line N of file) */
export function describeError(error: unknown): string {
  const where = errorLocation(error);
  const name = error instanceof Error && error.name && error.name !== "Error" ? `${error.name}: ` : "";
  return `"${name}${errorMessage(error)}"${where ? ` (${where})` : ""}`;
}
