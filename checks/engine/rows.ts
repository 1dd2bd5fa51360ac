// Making rows: a passing check, a failing one (with the problem's code, title and fix).
import type { CheckRow } from "./types";

export const pass = (name: string, message: string): CheckRow => ({ name, passed: true, message, kind: "check", code: "ok" });

export function fail(name: string, code: string, message: string, extra: { title?: string; fix?: string } = {}): CheckRow {
  const row: CheckRow = { name, passed: false, message, kind: "check", code };
  if (extra.title) row.title = extra.title;
  if (extra.fix) row.fix = extra.fix;
  return row;
}
