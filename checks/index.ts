// Public entry of the checks. In a notebook:
//
//   import { checkStep07 } from "./checks/index";
//   await checkStep07(MyQKV);              // a table (HTML in tslab, text elsewhere), then a summary
//
// From a shell: `npm run s07 -- my-qkv.ts` or `npm run s07 -- notebooks/step07-exercise.ipynb`.
//
// One limitation: a synchronous endless loop in the learner's code cannot be interrupted from
// the same thread, so in a notebook it hangs the cell (interrupt the kernel). `npm run s07` runs
// the check in a child process with a hard time limit and reports it.
export { checkStep07, DEFAULT_TIMEOUT_MS } from "./step07";
export type { CheckResult, CheckRow, CheckOptions } from "./step07";
export { renderText, renderHtml, summaryLine } from "./report";
export type { DisplayMode } from "./report";
export { loadReference, ReferenceFileError } from "./reference";
export { ATOL, RTOL } from "./compare";
