// Public entry of the checks. In a notebook:
//
//   import { checkStep07 } from "./checks/index";
//   await checkStep07(MyQKV);              // a table (HTML in tslab, text elsewhere), then a summary
//
// From a shell: `npm run check -- 07 my-qkv.ts` (or a notebook), which also stops an endless
// loop and cannot be fooled by the learner's code (checks/engine/cli.ts).
//
// Each step is a folder, checks/stepNN/: its spec (reference, structure rules, mistake table,
// hints) and its check function. The engine in checks/engine/ runs every step the same way.
// One limitation in a notebook: a synchronous endless loop in the learner's code cannot be
// interrupted from the same thread, so it hangs the cell (interrupt the kernel).
export { checkStep07 } from "./step07/index";
export { checkStep08 } from "./step08/index";
export { checkStep09 } from "./step09/index";
export { DEFAULT_TIMEOUT_MS } from "./engine/run";
export type { CheckOptions } from "./engine/run";
export type { CheckResult, CheckRow } from "./engine/types";
export { renderText, renderHtml, summaryLine, RESULT_MIME } from "./engine/report";
export type { DisplayMode } from "./engine/report";
export { loadReference, ReferenceFileError } from "./engine/reference-file";
export { ATOL, RTOL } from "./engine/compare";
