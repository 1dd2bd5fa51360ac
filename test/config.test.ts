import { test } from "node:test";
import assert from "node:assert/strict";
import { GPT2Config } from "../lib/index";

test("defaults are GPT-2 small", () => {
  const c = new GPT2Config();
  assert.deepEqual(
    { ...c },
    { n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5 },
  );
  assert.equal(c.headDim, 64);
});

test("overrides replace fields and the config is frozen", () => {
  const c = new GPT2Config({ n_embd: 64, n_head: 4 });
  assert.equal(c.n_embd, 64);
  assert.equal(c.n_head, 4);
  assert.equal(c.n_layer, 12);
  assert.throws(() => {
    (c as { n_embd: number }).n_embd = 1;
  }, TypeError);
});

test("Hugging Face's gpt2 config.json loads as is", () => {
  const hf = {
    activation_function: "gelu_new", architectures: ["GPT2LMHeadModel"], attn_pdrop: 0.1, bos_token_id: 50256,
    embd_pdrop: 0.1, eos_token_id: 50256, initializer_range: 0.02, layer_norm_epsilon: 1e-5, model_type: "gpt2",
    n_ctx: 1024, n_embd: 768, n_head: 12, n_layer: 12, n_positions: 1024, resid_pdrop: 0.1,
    summary_activation: null, summary_first_dropout: 0.1, summary_proj_to_labels: true, summary_type: "cls_index",
    summary_use_proj: true, task_specific_params: { "text-generation": { do_sample: true, max_length: 50 } }, vocab_size: 50257,
  };
  const c = new GPT2Config(hf);
  assert.equal(c.n_embd, 768);
  assert.equal(c.vocab_size, 50257);
});

test("n_embd not divisible by n_head is rejected with a fix", () => {
  assert.throws(() => new GPT2Config({ n_embd: 100, n_head: 12 }), /n_embd \(100\) must be divisible by n_head \(12\).*for example n_embd 96 or n_head 10/);
});

test("non-positive and non-integer sizes are rejected", () => {
  assert.throws(() => new GPT2Config({ n_embd: 0 }), /n_embd must be a positive integer, got 0/);
  assert.throws(() => new GPT2Config({ n_layer: -1 }), /n_layer must be a positive integer, got -1/);
  assert.throws(() => new GPT2Config({ n_head: 1.5 }), /n_head must be a positive integer, got 1.5/);
  assert.throws(() => new GPT2Config({ vocab_size: "50257" as unknown as number }), /vocab_size must be a positive integer, got "50257"/);
  assert.throws(() => new GPT2Config({ layer_norm_epsilon: 0 }), /layer_norm_epsilon must be a small positive number/);
});

test("a typo of a known key is named with the likely fix", () => {
  assert.throws(() => new GPT2Config({ n_embed: 768 }), /unknown key "n_embed": did you mean "n_embd"\?/);
  assert.throws(() => new GPT2Config({ n_heads: 12 }), /unknown key "n_heads": did you mean "n_head"\?/);
  assert.throws(() => new GPT2Config({ hidden_size: 768 }), /unknown key "hidden_size": did you mean "n_embd"\?/);
  assert.throws(() => new GPT2Config({ colour: "blue" }), /unknown key "colour": GPT2Config knows n_embd, n_head/);
});

test("several problems are reported together", () => {
  assert.throws(() => new GPT2Config({ n_embd: -8, n_layr: 3 }), /unknown key "n_layr".*n_embd must be a positive integer/);
});

test("a non-object is rejected", () => {
  assert.throws(() => new GPT2Config(768 as unknown as Record<string, unknown>), /takes an object of fields/);
});
