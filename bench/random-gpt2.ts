// A Hugging Face GPT-2 folder (config.json + model.safetensors) with random weights, for the
// benchmarks: the hub's layout and names, the 12 causal-mask buffers included, written tensor by
// tensor so that the 548 MB of GPT-2 small never sit in memory at once.
import * as fs from "node:fs";
import * as path from "node:path";
import { GPT2Config } from "../lib/index";
import { gpt2ParameterShapes } from "../lib/config";
import { encodeSafetensorsHeader } from "../lib/safetensors-file";

/** Every tensor of the hub's GPT-2 file, in the file's (alphabetical) order: the parameters and the causal-mask buffers. */
function gpt2FileLayout(c: GPT2Config): { name: string; shape: number[] }[] {
  const shapes = gpt2ParameterShapes(c);
  for (let i = 0; i < c.n_layer; i++) shapes[`h.${i}.attn.bias`] = [1, 1, c.n_positions, c.n_positions];
  return Object.entries(shapes)
    .map(([name, shape]) => ({ name, shape }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function headerBytes(layout: { name: string; shape: number[] }[]): Buffer {
  return encodeSafetensorsHeader(layout.map(({ name, shape }) => ({ name, shape, byteLength: 4 * shape.reduce((a, b) => a * b, 1) })), { format: "pt" });
}

/** The size of our GPT-2 small file: 548.1 MB, as the hub's (only the JSON header differs a little). */
export const GPT2_SAFETENSORS_BYTES = ((layout) => headerBytes(layout).length + layout.reduce((n, e) => n + 4 * e.shape.reduce((a, b) => a * b, 1), 0))(gpt2FileLayout(new GPT2Config()));

/** Write `dir`/config.json and `dir`/model.safetensors: N(0, 0.02)-sized uniform weights, LayerNorms at 1 and 0, real masks. */
export function writeRandomGPT2(dir: string, config: GPT2Config, seed: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "gpt2", n_embd: config.n_embd, n_head: config.n_head, n_layer: config.n_layer, n_positions: config.n_positions, vocab_size: config.vocab_size, layer_norm_epsilon: config.layer_norm_epsilon }));
  const layout = gpt2FileLayout(config);
  const tmp = path.join(dir, "model.safetensors.tmp");
  const fd = fs.openSync(tmp, "w");
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  try {
    fs.writeSync(fd, headerBytes(layout));
    const chunk = new Float32Array(1 << 20);
    for (const { name, shape } of layout) {
      const n = shape.reduce((a, b) => a * b, 1);
      // The value of element `at`, chosen once per tensor; the random ones draw in element order.
      const value: (at: number) => number =
        /attn\.bias$/.test(name) && shape.length === 4 ? (at) => (at % shape[3] <= Math.floor(at / shape[3]) % shape[2] ? 1 : 0)
        : /ln_\w+\.weight$/.test(name) ? () => 1
        : /ln_\w+\.bias$/.test(name) ? () => 0
        : () => (uniform() - 0.5) * 0.0693; // std 0.02
      for (let start = 0; start < n; start += chunk.length) {
        const part = chunk.subarray(0, Math.min(chunk.length, n - start));
        for (let i = 0; i < part.length; i++) part[i] = value(start + i);
        fs.writeSync(fd, new Uint8Array(part.buffer, 0, part.byteLength));
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, "model.safetensors"));
}
