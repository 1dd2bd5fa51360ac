// Showing rich output in a notebook from library code, with several representations at once.
//
// tslab's public API (`tslab.display.html(...)`, `.svg(...)`, `.raw(mime, data)`) sends exactly one
// mime type per output. A figure needs several in ONE output, so that each viewer picks the best
// it can render (plotly JSON in JupyterLab, HTML in the classic Notebook, a static SVG where HTML
// is dropped), and a check result carries its data as JSON beside its HTML table. So this is the
// one place that calls tslab's internal writer, the function its public API itself calls
// (`tslab/dist/jupyter`, `lastWriteDisplayData`, present in tslab 1.0.22, which package.json pins).
// Outside a tslab kernel, or if that function is ever missing, the text/plain form is printed.

export type Bundle = Record<string, unknown>;

type Writer = (data: { data: Bundle; metadata: Bundle; transient: Bundle }, update: boolean) => void;

/** tslab's writer, when this code runs inside a tslab kernel. */
function tslabWriter(): Writer | null {
  // tslab sets globalThis.__tslab__ before running any cell; checking it first avoids loading
  // tslab (and its TypeScript compiler) in a terminal.
  if (!(globalThis as { __tslab__?: unknown }).__tslab__) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: Writer };
    return typeof jupyter.lastWriteDisplayData === "function" ? jupyter.lastWriteDisplayData : null;
  } catch {
    return null;
  }
}

/** True inside a tslab kernel that can show rich output. */
export function canDisplayRich(): boolean {
  return tslabWriter() !== null;
}

/**
 * Display one output with several representations (mime type → data); outside a notebook, print
 * its text/plain. Returns false when there was no notebook to show it in.
 */
export function displayBundle(data: Bundle): boolean {
  const write = tslabWriter();
  if (write) {
    try {
      write({ data, metadata: {}, transient: {} }, false);
      return true;
    } catch {
      // "not ready": called outside a running cell; fall through to text
    }
  }
  console.log(String(data["text/plain"] ?? "(rich output)"));
  return false;
}
