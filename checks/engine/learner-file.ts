// Finding a learner's class in a file, for `npm run check -- <step> <file>`: a .ts file that
// exports it, or a notebook whose exercise cell ("// EXERCISE: step07") defines it.
//
// The code is written to a git-ignored .check-tmp/ folder inside the project (so that tsx
// compiles it and "./lib/index" or "@tensorflow/tfjs-core" resolve from here), with its imports
// of the project's files rewritten to point at them. Lines keep their numbers where they can,
// and `sourceName` maps a line in the temporary file back to the learner's file or cell.
import * as fs from "node:fs";
import * as path from "node:path";
import { Module } from "../../lib/module";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const TEMP_DIR = path.join(PROJECT_ROOT, ".check-tmp");

/** Temporary files end with the pid of the process that loads them, so a supervisor can remove them. */
export const TEMP_SUFFIX = (pid: number): string => `-${pid}.ts`;

/** Remove what a (possibly killed) process left in TEMP_DIR, then the folder if it is empty. */
export function removeTempFiles(pid: number): void {
  try {
    for (const name of fs.readdirSync(TEMP_DIR)) if (name.endsWith(TEMP_SUFFIX(pid))) fs.rmSync(path.join(TEMP_DIR, name), { force: true });
    fs.rmdirSync(TEMP_DIR);
  } catch {
    // not there, or still in use by another run
  }
}

/** A usage or loading problem: `npm run check` exits 2 with this message. */
export class LearnerFileError extends Error {}

export interface LoadedLearner {
  Impl: unknown;
  className: string;
  /** The file that was actually loaded (a temporary copy, or the file itself). */
  loadedFile: string;
  /** Turn "line N of <loaded file's name>" into the learner's own file, or notebook cell. */
  sourceName(message: string): string;
  cleanup(): void;
}

// `import … from "x"` (possibly over several lines), `import "x"`, and `require("x")`.
const IMPORT_STATEMENT = /^[ \t]*import\s+(?:type\s+)?(?:[\s\S]*?\sfrom\s*)?["'][^"']+["'][ \t]*;?/gm;
const SPECIFIER = /(\bfrom\s*|^[ \t]*import\s*|\brequire\(\s*)(["'])([^"']+)\2/gm;
const CLASS_EXTENDS_MODULE = /\bclass\s+([A-Za-z_$][\w$]*)\s+extends\s+Module\b/g;
/** The first line of a step's exercise cell: "// EXERCISE: step07" (the leading 0 optional). */
const exerciseMark = (step: string): RegExp => new RegExp(`^\\s*\\/\\/\\s*EXERCISE:\\s*step\\s*0?${Number(step)}\\b`, "i");
/** A line that runs a step's check: notebooks blank it where only the class is wanted. */
export const CHECK_CALL = /\bcheckStep\d+\s*\(/;

/** Whether a cell's first non-blank line is step `step`'s exercise mark ("07" for step07). */
export const isExerciseCell = (text: string, step: string): boolean => exerciseMark(step).test(text.split("\n").find((l) => l.trim() !== "") ?? "");

/** The problem with a notebook that JSON.parse (or reading it) refused. */
export const unreadableNotebook = (file: string, err: unknown): string => `${file} is not a readable notebook (${(err as Error).message.split("\n")[0]})`;

/** Where a relative specifier points, trying each base folder in turn; null if nowhere. */
function resolveRelative(spec: string, bases: string[]): string | null {
  for (const base of bases) {
    const target = path.resolve(base, spec);
    for (const candidate of [target, `${target}.ts`, `${target}.js`, path.join(target, "index.ts"), path.join(target, "index.js")]) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return target;
    }
  }
  return null;
}

/** Point relative imports at the same files from TEMP_DIR. Keeps the line count. */
function rewriteImports(source: string, bases: string[]): string {
  return source.replace(SPECIFIER, (whole, lead: string, quote: string, spec: string) => {
    if (!spec.startsWith(".")) return whole;
    const target = resolveRelative(spec, bases);
    if (!target) return whole;
    let rel = path.relative(TEMP_DIR, target).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    return `${lead}${quote}${rel}${quote}`;
  });
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

export function cellText(cell: { source?: string | string[] }): string {
  return Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
}

/** Build a .ts module from a notebook: every import, then the exercise cell(s), then exports. */
function notebookModule(file: string, step: string): { source: string; cellLines: { cell: number; startLine: number; lines: number }[]; classes: string[] } {
  let nb: { cells?: NotebookCell[] };
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new LearnerFileError(`${unreadableNotebook(file, err)}.`);
  }
  const cells = (nb.cells ?? []).map((c, i) => ({ index: i, cell: c })).filter((c) => c.cell.cell_type === "code");
  const marked = cells.filter((c) => isExerciseCell(cellText(c.cell), step));
  const chosen = marked.length > 0 ? marked : cells.filter((c) => new RegExp(CLASS_EXTENDS_MODULE.source).test(cellText(c.cell)));
  if (chosen.length === 0) {
    throw new LearnerFileError(
      `${file} has no exercise cell: no code cell starts with "// EXERCISE: step${step}", and none defines a class that extends Module.`,
    );
  }
  // Imports may sit in any cell (the notebook's first cell, usually); each is put on one line so
  // that the exercise cell's lines stay easy to map back.
  const imports = new Set<string>();
  for (const c of cells) {
    for (const m of cellText(c.cell).match(IMPORT_STATEMENT) ?? []) imports.add(m.trim().replace(/\s*\n\s*/g, " "));
  }
  const lines: string[] = [`// Generated by npm run check from ${file}; safe to delete.`, ...imports];
  const cellLines: { cell: number; startLine: number; lines: number }[] = [];
  const classes: string[] = [];
  for (const c of chosen) {
    // Keep every line (so numbers map back), blanking imports (already above) and the calls
    // that run the check, whose top-level await a module cannot have.
    const body = cellText(c.cell)
      .replace(IMPORT_STATEMENT, (m) => m.replace(/[^\n]/g, ""))
      .split("\n")
      .map((l) => (CHECK_CALL.test(l) ? "" : l));
    cellLines.push({ cell: c.index, startLine: lines.length + 1, lines: body.length });
    lines.push(...body);
    for (const m of cellText(c.cell).matchAll(CLASS_EXTENDS_MODULE)) classes.push(m[1]);
  }
  if (classes.length > 0) lines.push(`export { ${[...new Set(classes)].join(", ")} };`);
  return { source: lines.join("\n") + "\n", cellLines, classes };
}

function isClass(v: unknown): v is new (...args: unknown[]) => unknown {
  return typeof v === "function" && typeof (v as { prototype?: unknown }).prototype === "object";
}

/** The one class to check among a module's exports (a Module subclass, or any class with forward). */
function pickClass(exports: Record<string, unknown>, file: string, wanted?: string): { Impl: unknown; name: string } {
  const entries = Object.entries(exports).filter(([, v]) => isClass(v)) as [string, new (...a: unknown[]) => unknown][];
  if (wanted) {
    const hit = entries.find(([k, v]) => k === wanted || v.name === wanted);
    if (!hit) throw new LearnerFileError(`${file} exports no class named ${wanted} (it exports: ${entries.map(([k]) => k).join(", ") || "no classes"}).`);
    return { Impl: hit[1], name: hit[1].name || wanted };
  }
  const unique = (list: [string, new (...a: unknown[]) => unknown][]) => [...new Map(list.map(([k, v]) => [v, k])).entries()];
  let found = unique(entries.filter(([, v]) => v.prototype instanceof Module));
  if (found.length === 0) found = unique(entries.filter(([, v]) => typeof (v.prototype as { forward?: unknown }).forward === "function"));
  if (found.length === 1) return { Impl: found[0][0], name: found[0][0].name || found[0][1] };
  if (found.length === 0) {
    throw new LearnerFileError(
      `${file} exports no class that extends Module. Export your class (export class MyQKV extends Module { … }, or export default MyQKV).`,
    );
  }
  throw new LearnerFileError(
    `${file} has several classes that could be the exercise: ${found.map(([v, k]) => v.name || k).join(", ")}. Choose one with --class <Name>.`,
  );
}

export function loadLearnerFile(file: string, options: { className?: string; step: string }): LoadedLearner {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs) || !fs.statSync(abs).isFile()) throw new LearnerFileError(`${file}: no such file.`);
  const ext = path.extname(abs).toLowerCase();
  if (![".ts", ".js", ".ipynb"].includes(ext)) {
    throw new LearnerFileError(`${file}: expected a .ts file that exports your class, or a .ipynb notebook with the exercise cell.`);
  }
  const shown = path.relative(process.cwd(), abs) || abs;
  fs.mkdirSync(TEMP_DIR, { recursive: true });
  const stem = path.basename(abs, ext).replace(/[^\w.-]/g, "_");
  const tempFile = path.join(TEMP_DIR, `${stem}${TEMP_SUFFIX(process.pid)}`);
  let loadedFile = abs;
  let sourceName = (m: string) => m;
  const inProject = !path.relative(PROJECT_ROOT, abs).startsWith("..") && !abs.startsWith(TEMP_DIR);

  if (ext === ".ipynb") {
    const nb = notebookModule(abs, options.step);
    fs.writeFileSync(tempFile, rewriteImports(nb.source, [path.dirname(abs), PROJECT_ROOT]));
    loadedFile = tempFile;
    const base = path.basename(tempFile);
    sourceName = (m) =>
      m.replace(new RegExp(`line (\\d+) of ${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "g"), (whole, n: string) => {
        const line = Number(n);
        const cell = nb.cellLines.find((c) => line >= c.startLine && line < c.startLine + c.lines);
        return cell ? `line ${line - cell.startLine + 1} of cell ${cell.cell + 1} of ${path.basename(abs)}` : whole;
      });
  } else if (!inProject) {
    // Outside the project its imports would not resolve; a copy inside does, line for line.
    fs.writeFileSync(tempFile, rewriteImports(fs.readFileSync(abs, "utf8"), [path.dirname(abs), PROJECT_ROOT]));
    loadedFile = tempFile;
    const base = path.basename(tempFile);
    sourceName = (m) => m.split(tempFile).join(shown).split(base).join(path.basename(abs));
  }
  const cleanup = () => removeTempFiles(process.pid);

  let exports: Record<string, unknown>;
  try {
    exports = require(loadedFile);
  } catch (err) {
    cleanup();
    const e = err as Error;
    const first = sourceName(String(e.message).split("\n").slice(0, 3).join(" ").replace(/\s+/g, " "));
    const hint = /Cannot find module/.test(first)
      ? " Import the kit as \"./lib/index\" (from the project root) and tf from it, not \"@tensorflow/tfjs\"."
      : "";
    throw new LearnerFileError(`Could not load ${shown}: ${first}.${hint}`);
  }
  try {
    const { Impl, name } = pickClass(exports ?? {}, shown, options.className);
    return { Impl, className: name, loadedFile, sourceName, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
