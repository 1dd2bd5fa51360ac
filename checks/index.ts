// Public entry of the checks. In a notebook: `import { checkStep07 } from "./checks/index";`
// then `await checkStep07(MyQKV)`.
export { checkStep07, DEFAULT_TIMEOUT_MS } from "./step07";
export type { CheckResult, CheckRow, CheckOptions } from "./step07";
export { renderText, renderHtml, summaryLine } from "./report";
export type { DisplayMode } from "./report";
export { loadReference, ReferenceFileError } from "./reference";
export { ATOL, RTOL } from "./compare";
