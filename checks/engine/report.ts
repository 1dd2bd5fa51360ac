// Showing a check's result: a table of rows, then one summary line. HTML inside a notebook (with
// the result itself as JSON beside it, for tools), text in a terminal.
//
// One count: only "check" rows are counted, the same way whether they pass or fail; a
// "diagnosis" row explains failures and is not a check. A row's suggested fix is code, shown on a
// line of its own. The summary names what to fix first and points at its row; it does not repeat it.
import { displayBundle, canDisplayRich } from "../../notebook-helpers/display";
import type { CheckResult, CheckRow } from "./types";

export type DisplayMode = "auto" | "html" | "text" | "none";

/** The mime type that carries a check's result as JSON in a notebook's output. */
export const RESULT_MIME = "application/vnd.gpt2-qkv-lessons.check+json";

// Index loops, like the verdict's (judge.ts), so that the summary cannot say more than the result.
function counts(result: CheckResult): { checks: number; failed: number } {
  let checks = 0;
  let failed = 0;
  const rows = result.results;
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].kind !== "check") continue;
    checks++;
    if (rows[i].passed !== true) failed++;
  }
  return { checks, failed };
}

/** The row to fix first: table order is fix order, but a diagnosis says why better than a figure. */
function fixFirst(result: CheckResult, outputs: string[]): CheckRow | null {
  const first = result.results.find((r) => !r.passed && r.kind === "check");
  if (!first) return null;
  const diagnosis = result.results.find((r) => r.kind === "diagnosis");
  const explainsIt = first.name === "forward" || outputs.includes(first.name);
  return diagnosis && explainsIt ? diagnosis : first;
}

/** "All 14 checks passed." or "3 of 12 checks failed; 2 more run once they pass. Fix first: Wrong order (the diagnosis row)." */
export function summaryLine(result: CheckResult, outputs: string[] = ["q", "k", "v"]): string {
  const { checks, failed } = counts(result);
  const total = checks + result.notRun.length;
  if (result.passed === true && failed === 0) return `All ${total} checks passed.`;
  if (checks === 0) return "No checks ran.";
  const later = result.notRun.length ? `; ${result.notRun.length} more run once they pass` : "";
  const first = fixFirst(result, outputs);
  const what = first ? ` Fix first: ${first.title ?? first.name} (the ${first.name} row).` : "";
  return `${failed} of ${total} checks failed${later}.${what}`;
}

function mark(r: CheckRow): string {
  return r.kind === "diagnosis" ? "WHY " : r.passed ? "PASS" : "FAIL";
}

export function renderText(result: CheckResult, title: string, outputs?: string[]): string {
  const width = Math.max(4, ...result.results.map((r) => r.name.length));
  const lines = [title];
  for (const r of result.results) {
    lines.push(`  ${mark(r)}  ${r.name.padEnd(width)}  ${r.message}`);
    if (r.fix) lines.push(`  ${" ".repeat(4)}  ${" ".repeat(width)}  Fix: ${r.fix}`);
  }
  lines.push(`${result.passed ? "OK" : "FAILED"}: ${summaryLine(result, outputs)}`);
  return lines.join("\n");
}

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Escaped text, with `code` spans shown as code rather than as literal backticks. */
function prose(s: string): string {
  return escape(s).replace(/`([^`]+)`/g, "<code>$1</code>");
}

export function renderHtml(result: CheckResult, title: string, outputs?: string[]): string {
  const cell = "padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #ddd";
  const rows = result.results
    .map((r) => {
      const markHtml =
        r.kind === "diagnosis"
          ? `<span style="color:#9a6700;font-weight:bold">→ why</span>`
          : r.passed
            ? `<span style="color:#1a7f37;font-weight:bold">✓ pass</span>`
            : `<span style="color:#cf222e;font-weight:bold">✗ fail</span>`;
      const fix = r.fix ? `<div style="margin-top:2px">Fix: <code>${escape(r.fix)}</code></div>` : "";
      return `<tr><td style="${cell};white-space:nowrap">${markHtml}</td><td style="${cell};white-space:nowrap"><code>${escape(r.name)}</code></td><td style="${cell}">${prose(r.message)}${fix}</td></tr>`;
    })
    .join("");
  const colour = result.passed ? "#1a7f37" : "#cf222e";
  return (
    `<div class="qkv-check"><div style="font-weight:bold;margin-bottom:4px">${escape(title)}</div>` +
    `<table style="border-collapse:collapse;font-size:90%">${rows}</table>` +
    `<div style="margin-top:6px;font-weight:bold;color:${colour}">${result.passed ? "✓" : "✗"} ${escape(summaryLine(result, outputs))}</div></div>`
  );
}

export function showResult(result: CheckResult, mode: DisplayMode, title: string, outputs?: string[]): void {
  if (mode === "none") return;
  if ((mode === "html" || mode === "auto") && canDisplayRich()) {
    displayBundle({ "text/html": renderHtml(result, title, outputs), "text/plain": renderText(result, title, outputs), [RESULT_MIME]: result });
    return;
  }
  console.log(renderText(result, title, outputs));
}
