// One source, two notebooks, for every step: notebooks/src/stepNN.src.ipynb →
// notebooks/stepNN-exercise.ipynb + notebooks/stepNN-solution.ipynb.
//
//   npm run build:notebooks            write them all
//   npm run build:notebooks -- --check exit 1 if the committed ones differ from a fresh build
//
// As in nbgrader, code between `// BEGIN SOLUTION` and `// END SOLUTION` lines is the solution:
//   exercise: the region becomes `// YOUR CODE HERE` + `throw new Error("not implemented yet");`
//             (the check reports that message as "not implemented yet", and the notebook runs on);
//   solution: the marker lines are dropped and the code stays.
// Everything else (prose, hints, demos) is shared. Outputs are never written: the notebooks are
// committed clean, and running them reproduces every output.
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");
const SRC_DIR = path.join(ROOT, "notebooks", "src");

/** One step's lesson: its source and the two notebooks built from it. */
export interface Lesson {
  id: string;
  source: string;
  exercise: string;
  solution: string;
}

/** Every notebooks/src/stepNN.src.ipynb, in order. */
export function lessons(): Lesson[] {
  return fs
    .readdirSync(SRC_DIR)
    .map((name) => /^step(\d\d)\.src\.ipynb$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort()
    .map((id) => ({
      id,
      source: path.join(SRC_DIR, `step${id}.src.ipynb`),
      exercise: path.join(ROOT, "notebooks", `step${id}-exercise.ipynb`),
      solution: path.join(ROOT, "notebooks", `step${id}-solution.ipynb`),
    }));
}

const BEGIN = /^(\s*)\/\/\s*BEGIN SOLUTION\s*$/;
const END = /^\s*\/\/\s*END SOLUTION\s*$/;
export const STUB_ERROR = "not implemented yet";

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  metadata: Record<string, unknown>;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
  attachments?: unknown;
}

export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export function sourceText(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Replace or unwrap the solution regions of one code cell. Throws on unbalanced markers. */
export function transformSource(source: string, mode: "exercise" | "solution", where = "cell"): string {
  const out: string[] = [];
  let open: { indent: string; line: number } | null = null;
  source.split("\n").forEach((line, i) => {
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open) throw new Error(`${where}, line ${i + 1}: BEGIN SOLUTION inside the region opened on line ${open.line}.`);
      open = { indent: begin[1], line: i + 1 };
      if (mode === "exercise") out.push(`${begin[1]}// YOUR CODE HERE`, `${begin[1]}throw new Error("${STUB_ERROR}");`);
      return;
    }
    if (END.test(line)) {
      if (!open) throw new Error(`${where}, line ${i + 1}: END SOLUTION without a BEGIN SOLUTION.`);
      open = null;
      return;
    }
    if (!open || mode === "solution") out.push(line);
  });
  if (open) throw new Error(`${where}: BEGIN SOLUTION on line ${(open as { line: number }).line} is never closed.`);
  return out.join("\n");
}

/** Code inside the solution regions only (for the test that the stubs hide all of it). */
export function solutionRegions(source: string): string[] {
  const regions: string[] = [];
  let cur: string[] | null = null;
  for (const line of source.split("\n")) {
    if (BEGIN.test(line)) cur = [];
    else if (END.test(line)) {
      if (cur) regions.push(cur.join("\n"));
      cur = null;
    } else if (cur) cur.push(line);
  }
  return regions;
}

function banner(mode: "exercise" | "solution", id: string): Cell {
  const text =
    mode === "exercise"
      ? `*Exercise notebook.* Generated from \`notebooks/src/step${id}.src.ipynb\` by \`npm run build:notebooks\`: ` +
        `edit the source, not this file. The worked answer is in \`step${id}-solution.ipynb\`; try first.`
      : "*Solution notebook*: the same lesson with the exercise filled in. Generated from " +
        `\`notebooks/src/step${id}.src.ipynb\` by \`npm run build:notebooks\`: edit the source, not this file.`;
  return { cell_type: "markdown", id: `generated-${mode}`, metadata: {}, source: text };
}

/** Build one of the two notebooks from the source notebook (pure: no file access). */
export function buildNotebook(src: Notebook, mode: "exercise" | "solution", id = "07"): Notebook {
  const cells: Cell[] = [banner(mode, id)];
  src.cells.forEach((cell, i) => {
    const where = `cell ${i} (${cell.id ?? "no id"})`;
    if (cell.cell_type === "code") {
      cells.push({
        cell_type: "code",
        execution_count: null,
        id: cell.id,
        metadata: {},
        outputs: [],
        source: transformSource(sourceText(cell), mode, where),
      });
    } else {
      const copy: Cell = { cell_type: cell.cell_type, id: cell.id, metadata: {}, source: sourceText(cell) };
      if (cell.attachments) copy.attachments = cell.attachments;
      cells.push(copy);
    }
  });
  return { cells, metadata: src.metadata, nbformat: src.nbformat, nbformat_minor: src.nbformat_minor };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Lines with their newlines, as nbformat stores multi-line strings. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Serialise exactly as Jupyter/nbformat does (sorted keys, indent 1, sources as line lists). */
export function serializeNotebook(nb: Notebook): string {
  const cells = nb.cells.map((c) => ({ ...c, source: splitLines(sourceText(c)) }));
  return JSON.stringify(sortKeys({ ...nb, cells }), null, 1) + "\n";
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

export function buildAll(): { file: string; text: string }[] {
  return lessons().flatMap((l) => {
    const src = readNotebook(l.source);
    return [
      { file: l.exercise, text: serializeNotebook(buildNotebook(src, "exercise", l.id)) },
      { file: l.solution, text: serializeNotebook(buildNotebook(src, "solution", l.id)) },
    ];
  });
}

/** The files among `builds` whose contents on disk differ from (or lack) the freshly built text. */
export function driftedFiles(builds: { file: string; text: string }[]): string[] {
  return builds.filter(({ file, text }) => !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text).map((b) => b.file);
}

function main(): number {
  const check = process.argv.includes("--check");
  const builds = buildAll();
  const drifted = new Set(driftedFiles(builds));
  let stale = 0;
  for (const { file, text } of builds) {
    const rel = path.relative(ROOT, file);
    if (!drifted.has(file)) {
      console.log(`${rel}: up to date`);
    } else if (check) {
      console.log(`${rel}: differs from a fresh build of its source in notebooks/src/. Run: npm run build:notebooks`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      console.log(`${rel}: written`);
    }
  }
  return stale ? 1 : 0;
}

if (require.main === module) process.exit(main());
