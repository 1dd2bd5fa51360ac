// Where an error came from in the learner's code: the method, the statement, and (where a real
// line number exists) the line.
//
// In a notebook, tslab compiles each cell to JavaScript before running it, and TypeScript's
// output drops blank lines, so a line number from the stack is not the cell's line and cannot be
// mapped back. What does survive is the statement itself: V8's call sites give the throwing
// line's position and the start of its enclosing function, and the learner's class gives that
// function's compiled text, so the statement can be quoted exactly. From a file (npm run check),
// tsx's source maps give the real line, and the statement is read from the file.
import * as fs from "node:fs";
import type { ErrorPlace } from "./types";

// Frames from these places are ours or the platform's, not the learner's.
// A learner's class may live anywhere, even in checks/stepNN/ (the solution, the skeleton).
const NOT_LEARNER = [
  /node:internal/,
  /[\\/]node_modules[\\/]/,
  /[\\/]lib[\\/][\w-]+\.[jt]s/,
  /[\\/]notebook-helpers[\\/]/,
  /[\\/]checks[\\/](?:engine[\\/][\w-]+|index|step\d+[\\/](?:spec|mistakes|index))\.[jt]s/,
  /[\\/]tfjs-[\w-]+[\\/]src[\\/]/,
  /\(<anonymous>\)$/,
  /^\s*at <anonymous>$/,
];

const inTslab = (): boolean => Boolean((globalThis as { __tslab__?: unknown }).__tslab__);

/** Trim a statement for a message: one line, no tslab import prefixes, not too long. */
function statement(text: string): string {
  const s = text.trim().replace(/\bexports\.(?=[A-Za-z_$])/g, "").replace(/\s+/g, " ");
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** "in the constructor of B" / "in B.forward" / "" from a frame's names. */
function describeFunction(isConstructor: boolean, typeName: string | null, fnName: string | null): string {
  if (isConstructor && fnName) return `in the constructor of ${fnName}`;
  if (typeName && fnName && typeName !== "Object" && /^[\w$]+$/.test(fnName)) return `in ${typeName}.${fnName}`;
  return "";
}

// ---- In a notebook: V8 call sites ---------------------------------------------------------------

function callSites(error: Error): NodeJS.CallSite[] | null {
  const prev = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] | null = null;
  Error.prepareStackTrace = (err, cs) => {
    sites = cs;
    return prev ? prev(err, cs) : `${String(err)}\n${cs.map((c) => `    at ${String(c)}`).join("\n")}`;
  };
  try {
    void error.stack; // V8 formats the stack on first read, through prepareStackTrace
  } finally {
    Error.prepareStackTrace = prev;
  }
  return sites;
}

/** The class, or a parent class, named `name` (a learner's class may extend their own base). */
function classNamed(Impl: unknown, name: string): { toString(): string } | null {
  for (let c = Impl as { name?: string } | null; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (c.name === name) return c;
  }
  return null;
}

/** The method `name` as defined on the learner's class or one of its parents. */
function methodNamed(Impl: unknown, name: string): { toString(): string } | null {
  const proto = typeof Impl === "function" ? (Impl as { prototype?: object }).prototype : null;
  for (let p = proto ?? null; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name);
    if (d && typeof d.value === "function") return d.value as { toString(): string };
  }
  return null;
}

function fromCallSites(sites: NodeJS.CallSite[], Impl: unknown): ErrorPlace | null {
  const cell = sites.filter((s) => /^evalmachine/.test(s.getFileName() ?? ""));
  if (cell.length === 0) return null;
  const top = cell[0];
  // The first frame with a name says where; the top frame says which statement.
  for (const s of cell) {
    const fnName = s.getFunctionName();
    const where = describeFunction(s.isConstructor(), s.getTypeName(), s.getMethodName() ?? fnName);
    if (!where) continue;
    const start = (s as unknown as { getEnclosingLineNumber?: () => number }).getEnclosingLineNumber?.();
    const line = top.getLineNumber();
    let lines: string[] | null = null;
    let offset = 0;
    if (s.isConstructor() && fnName) {
      // A constructor's text is inside its class's text, which starts at `class`.
      const text = classNamed(Impl, fnName)?.toString().split("\n") ?? null;
      const at = text ? text.findIndex((l) => /^\s*constructor\s*\(/.test(l)) : -1;
      if (text && at >= 0) [lines, offset] = [text, at];
    } else {
      const name = s.getMethodName() ?? fnName;
      lines = name ? methodNamed(Impl, name)?.toString().split("\n") ?? null : null;
    }
    const i = start !== undefined && line !== null ? offset + (line - start) : -1;
    const code = lines && i >= offset && i < lines.length ? statement(lines[i]) : undefined;
    return { where, code: code || undefined };
  }
  return { where: "" };
}

// ---- From a file: the source-mapped stack text ------------------------------------------------

function fromStackText(stack: string): ErrorPlace | null {
  // The first learner frame is the statement; the first one with a name says where it is (a
  // statement inside tf.tidy(() => ...) runs in an arrow function, named by the frame below).
  let place: ErrorPlace | null = null;
  for (const frame of stack.split("\n").slice(1)) {
    if (!/^\s*at /.test(frame) || NOT_LEARNER.some((re) => re.test(frame))) continue;
    const m = /\(?([^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(frame);
    if (!m) continue;
    const fn = /^\s*at (?:async )?(.+?) \(/.exec(frame)?.[1] ?? "";
    const ctor = /^new ([\w$]+)$/.exec(fn);
    const method = /^([\w$]+)\.([\w$]+)$/.exec(fn);
    const where = ctor ? describeFunction(true, null, ctor[1]) : method ? describeFunction(false, method[1], method[2]) : "";
    if (!place) {
      const file = m[1].replace(/^file:\/\//, "");
      const base = file.split(/[\\/]/).pop() || file;
      const lineNo = Number(m[2]);
      let code: string | undefined;
      try {
        code = statement(fs.readFileSync(file, "utf8").split("\n")[lineNo - 1] ?? "") || undefined;
      } catch {
        code = undefined; // not a readable file (a cell, a URL)
      }
      place = /^evalmachine/.test(base) ? { where, code } : { where, line: `line ${lineNo} of ${base}`, code };
    } else if (!place.where) {
      place.where = where;
    }
    if (place.where) break;
  }
  return place;
}

/**
 * Where `error` came from in the learner's code (`Impl` is the learner's class, whose source
 * text gives the statement in a notebook). Read it before anything else reads `error.stack`.
 */
export function placeOf(error: unknown, Impl?: unknown): ErrorPlace {
  if (!(error instanceof Error)) return { where: "" };
  if (inTslab()) {
    const sites = callSites(error);
    const place = sites ? fromCallSites(sites, Impl) : null;
    if (place) return place;
  }
  return (typeof error.stack === "string" ? fromStackText(error.stack) : null) ?? { where: "" };
}

/** "(in MyQKV.forward, line 13 of my-qkv.ts: `const qkv = ...`)", or "" when nothing is known. */
export function placeText(place: ErrorPlace): string {
  const parts = [place.where, place.line].filter(Boolean).join(", ");
  const code = place.code ? `${place.line ? ":" : parts ? ", at" : "at"} \`${place.code}\`` : "";
  return parts || code ? ` (${parts}${code})` : "";
}
