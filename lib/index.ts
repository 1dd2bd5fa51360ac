// Public API of the model library: GPT-2's layers on TensorFlow.js, and their loaders.
// Notebooks import from "./lib/index" (tslab needs the file name). What only notebooks need
// (plots, tokens, stand-in weights, timing) is in notebook-helpers/.
export { tf } from "./tf";
export { selectBackend, ensureBackend, availableBackends, parseBackendName, BACKEND_ENV } from "./backend";
export type { BackendName, SelectBackendOptions } from "./backend";
export { GPT2Config, GPT2_SIZES, gpt2ParameterShapes } from "./config";
export type { GPT2ConfigFields } from "./config";
export { Module, Linear } from "./module";
export type { LinearOptions } from "./module";
export { layerNorm, LayerNorm } from "./layer-norm";
export { GPT2SingleHeadQKV, CAttnModule } from "./qkv";
export { causalAttention, causalAttentionParts, causalMask, GPT2SingleHeadAttention, GPT2Attention, KVCacheLayer } from "./attention";
export type { AttentionParts } from "./attention";
export { layersIn, takeChecked, loadFromCheckpoint } from "./state-dict";
export { GPT2LMHeadModel, checkGPT2File, Block, MLP, Embedding, KVCache, geluNew, geluNewTanh, pickToken, seededRandom } from "./gpt2";
export type { GenerateOptions, TokenIds, BlockAttention } from "./gpt2";
export { loadSafetensors, saveSafetensors, readSafetensorsHeader, readSafetensorsArrays, forEachSafetensorsArray, encodeSafetensors, SafetensorsError, MAX_HEADER_BYTES } from "./safetensors";
export type { SafetensorsEntry, SafetensorsHeader, SafetensorsDtype, SafetensorsArray, LoadSafetensorsOptions } from "./safetensors";
export { shapeText } from "./shape";
