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
