// Calling a learner's code without letting it take the check down: every throw is caught, every
// Promise is bounded in time, and every error becomes plain data (its message and where in the
// learner's code it came from).
//
// Limitation: JavaScript cannot interrupt a *synchronous* endless loop from the same thread. Such
// a call is timed when it returns; one that never returns hangs the caller. `npm run check` runs
// the learner's code in a child process and stops it when a call outlives its bound.
import { placeOf } from "./location";
import type { Call, ErrorInfo } from "./types";

/** Milliseconds, from any fixed origin. Tests pass their own to time calls without waiting. */
export type Clock = () => number;
export const realClock: Clock = () => performance.now();

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
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

export function errorInfo(error: unknown, Impl?: unknown): ErrorInfo {
  const place = placeOf(error, Impl); // first: it reads the stack before anything else does
  const name = error instanceof Error && error.name && error.name !== "Error" ? error.name : "";
  return { message: errorMessage(error), name, place };
}

/**
 * Run `fn`; if it returns a Promise, wait for it at most `timeoutMs`. Never throws and never
 * leaves an unhandled rejection behind (one would crash Node, or the notebook's kernel).
 */
export async function guarded(fn: () => unknown, timeoutMs: number, Impl?: unknown, clock: Clock = realClock): Promise<Call<unknown>> {
  const t0 = clock();
  let value: unknown;
  // tfjs adds a dozen frames between a learner's line and a throw inside an op; the default
  // limit of 10 frames would cut the learner's line off.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, 50);
  try {
    value = fn();
  } catch (error) {
    return { kind: "threw", error: errorInfo(error, Impl), ms: clock() - t0, wasPromise: false };
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (!isThenable(value)) return { kind: "value", value, ms: clock() - t0, wasPromise: false };
  const pending = value;
  return new Promise<Call<unknown>>((resolve) => {
    let settled = false;
    const settle = (call: Call<unknown>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(call);
    };
    const timer = setTimeout(() => settle({ kind: "timeout", ms: clock() - t0, wasPromise: true }), Math.max(0, timeoutMs - (clock() - t0)));
    try {
      pending.then(
        (v) => settle({ kind: "value", value: v, ms: clock() - t0, wasPromise: true }),
        (error) => settle({ kind: "threw", error: errorInfo(error, Impl), ms: clock() - t0, wasPromise: true }),
      );
    } catch (error) {
      // A hand-made "thenable" whose then() throws.
      settle({ kind: "threw", error: errorInfo(error, Impl), ms: clock() - t0, wasPromise: true });
    }
  });
}
