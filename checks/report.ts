// Showing a check's result: a compact pass/fail table with the figures, then one summary line.
// HTML through tslab's display inside a notebook, text in a terminal.
import type { Row } from "./structure";
import { displayBundle, canDisplayRich } from "../notebook-helpers/display";

export type DisplayMode = "auto" | "html" | "text" | "none";

interface Result {
  passed: boolean;
  results: Row[];
}

/** "All 12 checks passed." or "2 of 12 checks failed. Fix first: …" */
export function summaryLine(result: Result): string {
  const failed = result.results.filter((r) => !r.passed);
  if (result.passed) return `All ${result.results.length} checks passed.`;
  if (failed.length === 0) return "No checks ran.";
  // Table order is fix order; the figures (q, k, v) say "what", the diagnosis says "why".
  let first = failed.find((r) => !/^(q|k|v|q, k, v)$/.test(r.name)) ?? failed[0];
  // "forward returns one tensor" says what; the diagnosis says which mistake that is.
  const diagnosis = failed.find((r) => r.name === "diagnosis");
  if (first.name === "forward" && diagnosis) first = diagnosis;
  const more = result.results.some((r) => r.name === "speed") ? "" : " (the remaining checks run once these pass)";
  return `${failed.length} of ${result.results.length} checks failed${more}. Fix first (${first.name}): ${first.message}`;
}

export function renderText(result: Result, title = "Step 07 check"): string {
  const width = Math.max(...result.results.map((r) => r.name.length), 4);
  const lines = [title];
  for (const r of result.results) lines.push(`  ${r.passed ? "PASS" : "FAIL"}  ${r.name.padEnd(width)}  ${r.message}`);
  lines.push(`${result.passed ? "OK" : "FAILED"}: ${summaryLine(result)}`);
  return lines.join("\n");
}

const escape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function renderHtml(result: Result, title = "Step 07 check"): string {
  const cell = "padding:2px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #ddd";
  const rows = result.results
    .map((r) => {
      const mark = r.passed ? `<span style="color:#1a7f37;font-weight:bold">✓ pass</span>` : `<span style="color:#cf222e;font-weight:bold">✗ fail</span>`;
      return `<tr><td style="${cell};white-space:nowrap">${mark}</td><td style="${cell};white-space:nowrap"><code>${escape(r.name)}</code></td><td style="${cell}">${escape(r.message)}</td></tr>`;
    })
    .join("");
  const colour = result.passed ? "#1a7f37" : "#cf222e";
  return (
    `<div class="qkv-check"><div style="font-weight:bold;margin-bottom:4px">${escape(title)}</div>` +
    `<table style="border-collapse:collapse;font-size:90%">${rows}</table>` +
    `<div style="margin-top:6px;font-weight:bold;color:${colour}">${result.passed ? "✓" : "✗"} ${escape(summaryLine(result))}</div></div>`
  );
}

export function showResult(result: Result, mode: DisplayMode, title?: string): void {
  if (mode === "none") return;
  if ((mode === "html" || mode === "auto") && canDisplayRich()) {
    displayBundle({ "text/html": renderHtml(result, title), "text/plain": renderText(result, title) });
    return;
  }
  console.log(renderText(result, title));
}
