// Public API of the Q/K/V lesson kit. Notebooks import from "./lib/index" (tslab needs the file name).
export { tf } from "./tf";
export { selectBackend, availableBackends, parseBackendName, BACKEND_ENV } from "./backend";
export type { BackendName, SelectBackendOptions } from "./backend";
export { GPT2Config } from "./config";
export type { GPT2ConfigFields } from "./config";
export { Module, Linear } from "./module";
export type { LinearOptions } from "./module";
export { GPT2SingleHeadQKV } from "./qkv";
export { loadSafetensors, readSafetensorsHeader, saveSafetensors, SafetensorsError, MAX_HEADER_BYTES } from "./safetensors";
export type { SafetensorsEntry, SafetensorsHeader, SafetensorsDtype, LoadSafetensorsOptions } from "./safetensors";
// Notebook helpers: plots that work offline, real-or-stand-in weights, embedding, timing.
export { loadPlotly, show, showHtml, showNotice, printMatrix, heatmap, bars, figureHtml, displayBundle, plotlyScriptHtml, plotlyVersion, encodePng, DIVERGING, SEQUENTIAL, SERIES_COLORS } from "./plot";
export type { Figure, HeatmapOptions, HeatmapPanel, BarOptions, BarSeries, AxisSpec } from "./plot";
export { loadLayer0Weights, loadRealLayer0, standInLayer0, findWeightsFile, WEIGHTS_ENV, STAND_IN, DEFAULT_WEIGHTS_PATH, LAYER0_TENSORS } from "./weights";
export type { Layer0Weights } from "./weights";
export { tokenize, visibleToken, embed, layerNorm, rowsOf } from "./embed";
export type { Tokens } from "./embed";
export { timeCombinedVsSeparate } from "./timing";
export type { TimingResult, TimingRow } from "./timing";
