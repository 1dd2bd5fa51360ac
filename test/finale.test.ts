// The finale's adapters (notebook-helpers/finale.ts): the kit's reference solutions of steps 07, 08
// and 09 plugged into a small random GPT-2 give the kit's own logits (within 1e-5) and the same
// greedy tokens, and leave no tensor behind; a wrong class changes the logits; learner classes
// are read from exercise notebooks, and what cannot run is replaced by the kit's solution, with why.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, selectBackend, GPT2Config, GPT2LMHeadModel, Module, Linear } from "../lib/index";
import {
  FINALE_STEPS, findYourClass, findYourClasses, plugLayers, withLayers, trialRun, chooseLayers, blockPlans, planRows, planTable,
  nextTokens, compareNextTokens, describeComparison, tokenLabels, streamText, describeSameTokens,
} from "../notebook-helpers/finale";
import type { BlockPlan, LayerClass, Step } from "../notebook-helpers/finale";
import { SingleHeadQKV } from "../checks/step07/solution";
import { SingleHeadAttention } from "../checks/step08/solution";
import { MultiHeadAttention } from "../checks/step09/solution";
import { WrongOrderKQV } from "./fixtures/step07-mistakes";
import { NoScale, CorrectCachedMask } from "./fixtures/step08-mistakes";
import { NoCProj, NoCProjLayer } from "./fixtures/step09-mistakes";
import { compare } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const config = new GPT2Config({ n_embd: 32, n_head: 4, n_layer: 2, vocab_size: 100, n_positions: 16 });
const ids = [5, 17, 42, 8, 99, 3];
const NONE: BlockPlan = { step07: null, step08: null, step09: null };

let model: GPT2LMHeadModel;
let kitLogits: Float32Array;
before(async () => {
  await selectBackend(undefined, { log: null });
  tf.engine().startScope(); // nothing the tests make survives the file
  model = new GPT2LMHeadModel(config, { initStd: 0 });
  // Seeded, N(0, 0.1²) (larger than GPT-2's 0.02, so that attention moves the logits visibly), with
  // non-zero biases, so that a class that drops one is caught; LayerNorm weights around 1.
  model.namedParameters().forEach(([name, p], i) => {
    const r = tf.randomNormal(p.shape, /ln_(1|2|f)\.weight$/.test(name) ? 1 : 0, 0.1, "float32", 1000 + i);
    p.assign(r);
    r.dispose();
  });
  kitLogits = logits();
});
after(() => {
  model.dispose();
  tf.engine().endScope();
});

function logits(): Float32Array {
  const out = model.forward([ids]);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

/** Logits with `plan` plugged into every block, and the greedy tokens it generates. */
async function withPlan(plan: BlockPlan | BlockPlan[]): Promise<{ diff: number; greedy: number[] }> {
  const p = plugLayers(model, plan);
  try {
    const diff = compare(logits(), kitLogits, 0, 0).maxDiff;
    const [greedy] = await model.generate([ids], { maxNewTokens: 6, temperature: 0, kvCache: false });
    return { diff, greedy };
  } finally {
    p.unplug();
  }
}

describe("the kit's solutions plugged in give the kit's model", () => {
  const plans: [string, BlockPlan | BlockPlan[]][] = [
    ["step 07 (q, k, v)", { ...NONE, step07: SingleHeadQKV }],
    ["step 08 (once per head)", { ...NONE, step08: SingleHeadAttention }],
    ["step 09 (the whole block)", { ...NONE, step09: MultiHeadAttention }],
    ["steps 07 and 08 together", { ...NONE, step07: SingleHeadQKV, step08: SingleHeadAttention }],
    ["all three (step 09 in block 1, steps 07 and 08 in block 0)", blockPlans({ step07: "yours", step08: "yours", step09: "yours" }, kitChosen(), config.n_layer)],
  ];
  for (const [name, plan] of plans) {
    test(name, async (t) => {
      const [kitGreedy] = await model.generate([ids], { maxNewTokens: 6, temperature: 0 }); // with the KV cache
      const start = tf.memory().numTensors;
      const { diff, greedy } = await withPlan(plan);
      t.diagnostic(`max |logit difference| from the kit's model: ${diff.toExponential(1)}`);
      assert.ok(diff <= 1e-5, `max |logit difference| ${diff}`);
      assert.deepEqual(greedy, kitGreedy);
      assert.equal(tf.memory().numTensors, start, "plugging, running and unplugging leaves no tensor behind");
      assert.ok(model.h.every((b) => b.pluggedAttention === null), "unplug puts the kit's attention back");
    });
  }
});

function kitChosen() {
  return Object.fromEntries((["step07", "step08", "step09"] as Step[]).map((s) => [s, { step: s, Impl: FINALE_STEPS[s].kit, whose: "kit's solution" as const, note: "", maxDiff: null }])) as ReturnType<typeof chooseLayers>;
}

describe("a wrong class changes the logits", () => {
  const wrong: [string, BlockPlan][] = [
    ["step 09 that never applies c_proj", { ...NONE, step09: NoCProj as unknown as LayerClass }],
    ["step 09 with no c_proj at all", { ...NONE, step09: NoCProjLayer as unknown as LayerClass }],
    ["step 07 with q, k, v in the wrong order", { ...NONE, step07: WrongOrderKQV as unknown as LayerClass }],
    ["step 08 without the 1/√C scale", { ...NONE, step08: NoScale as unknown as LayerClass }],
  ];
  for (const [name, plan] of wrong) {
    test(name, async (t) => {
      const start = tf.memory().numTensors;
      const { diff } = await withPlan(plan);
      t.diagnostic(`max |logit difference| from the kit's model: ${diff.toExponential(1)}`);
      assert.ok(diff > 1e-3, `max |logit difference| only ${diff}`);
      assert.equal(tf.memory().numTensors, start);
    });
  }
});

describe("plugged blocks and the KV cache", () => {
  test("generation with the cache is refused, with the fix", async () => {
    const p = plugLayers(model, { ...NONE, step09: MultiHeadAttention });
    try {
      await assert.rejects(model.generate([ids], { maxNewTokens: 2, temperature: 0 }), /kvCache: false/);
    } finally {
      p.unplug();
    }
    const [again] = await model.generate([ids], { maxNewTokens: 2, temperature: 0 }); // unplugged: the cache works again
    assert.equal(again.length, 2);
  });
});

describe("the per-head config", () => {
  test("has the model's sizes but the head's width: a step 08 class that sizes a mask by n_positions generates to the end", async () => {
    const { diff, greedy } = await withPlan({ ...NONE, step08: CorrectCachedMask as unknown as LayerClass });
    assert.ok(diff <= 1e-5, `max |logit difference| ${diff}`);
    assert.equal(greedy.length, 6); // 12 positions: more than the 8 of a small stand-in config
  });
});

describe("Block.useAttention", () => {
  test("a plugged attention must keep x's shape; a plugged Module's weights are not the model's parameters", () => {
    const names = model.namedParameters().map(([n]) => n);
    const block = model.h[0];
    block.useAttention({ forward: () => tf.zeros([1, 1, 1]) });
    try {
      assert.throws(() => model.forward([ids]), /the plugged-in attention returned shape \[1, 1, 1\]; it must keep x's shape \[1, 6, 32\]/);
      const m = new MultiHeadAttention(config);
      block.useAttention(m);
      assert.deepEqual(model.namedParameters().map(([n]) => n), names);
      m.dispose();
    } finally {
      block.useAttention(null);
    }
  });

  test("withLayers unplugs after a value, a promise, and an error", async () => {
    const plan = { ...NONE, step09: MultiHeadAttention };
    const start = tf.memory().numTensors;
    assert.equal(withLayers(model, plan, () => model.h.every((b) => b.pluggedAttention !== null)), true);
    assert.ok(model.h.every((b) => b.pluggedAttention === null));
    const tokens = await withLayers(model, plan, () => model.generate([ids], { maxNewTokens: 2, temperature: 0, kvCache: false }));
    assert.equal(tokens[0].length, 2);
    assert.ok(model.h.every((b) => b.pluggedAttention === null));
    assert.throws(() => withLayers(model, plan, () => { throw new Error("boom"); }), /boom/);
    await assert.rejects(withLayers(model, plan, () => model.generate([ids], { maxNewTokens: 2 })), /kvCache: false/);
    assert.ok(model.h.every((b) => b.pluggedAttention === null));
    assert.equal(tf.memory().numTensors, start);
  });
});

describe("trial runs and choosing", () => {
  const kit = () => model.h[0].attn;

  test("a step 08 class that does not call this.c_attn.forward(x) is named, and the kit's solution stands in", () => {
    class OwnProjection extends Module {
      c_attn: Linear;
      constructor(c: GPT2Config) {
        super();
        this.c_attn = new Linear(c.n_embd, 3 * c.n_embd);
      }
      forward(x: tf.Tensor): tf.Tensor {
        return tf.tidy(() => tf.split(tf.matMul(x, this.c_attn.weight), 3, -1)[2]);
      }
    }
    assert.throws(() => trialRun("step08", OwnProjection, kit()), /does not call this\.c_attn\.forward\(x\)/);
    const chosen = chooseLayers(model, findYourClasses({ step07: SingleHeadQKV, step08: OwnProjection, step09: NoCProjLayer as unknown as LayerClass }));
    assert.equal(chosen.step08.whose, "kit's solution");
    assert.equal(chosen.step08.Impl, SingleHeadAttention);
    assert.match(chosen.step08.note, /failed its trial run: .*does not call this\.c_attn\.forward/);
    assert.equal(chosen.step07.whose, "yours");
    assert.ok(chosen.step07.maxDiff! <= 1e-5, chosen.step07.note);
    assert.match(chosen.step07.note, /matches the kit's/);
    // A class that runs but is wrong is used, and the note says so.
    assert.equal(chosen.step09.whose, "yours");
    assert.ok(chosen.step09.maxDiff! > 1e-3);
    assert.match(chosen.step09.note, /differs from the kit's .* no place for GPT-2's c_proj\.weight, c_proj\.bias/);
  });

  test("a class with parameters GPT-2's block lacks, or returning the wrong shape, fails its trial run", () => {
    class Extra extends MultiHeadAttention {
      extra = new Linear(4, 4);
    }
    assert.throws(() => trialRun("step09", Extra, kit()), /parameters that GPT-2's attention block does not: extra\.weight, extra\.bias/);
    class Halves extends SingleHeadQKV {
      forward(x: tf.Tensor): tf.Tensor[] {
        return tf.tidy(() => tf.split(this.c_attn.forward(x), 3, -1).map((t) => tf.slice(t, [0, 0, 0], [-1, -1, 4])));
      }
    }
    assert.throws(() => trialRun("step07", Halves, kit()), /returned shape \[1, 5, 4\]; expected \[1, 5, 32\]/);
  });

  test("blockPlans: step 09 alone everywhere; with 07 or 08, odd blocks step 09 and even ones 07 and 08; 'kit' keeps the kit's code", () => {
    const chosen = kitChosen();
    const six = (use: Parameters<typeof blockPlans>[0]) => planRows(blockPlans(use, chosen, 6), chosen);
    assert.deepEqual(six({ step07: "kit", step08: "kit", step09: "yours" }), [{ blocks: "h.0–h.5", step07: "inside step 09's class", step08: "inside step 09's class", step09: "kit's solution*" }]);
    assert.deepEqual(six({ step07: "yours", step08: "kit", step09: "yours" }), [
      { blocks: "h.0, h.2, h.4", step07: "kit's solution*", step08: "kit", step09: "kit" },
      { blocks: "h.1, h.3, h.5", step07: "inside step 09's class", step08: "inside step 09's class", step09: "kit's solution*" },
    ]);
    assert.deepEqual(six({ step07: "kit", step08: "kit", step09: "kit" }), [{ blocks: "h.0–h.5", step07: "kit", step08: "kit", step09: "kit" }]);
    const table = planTable(blockPlans({ step07: "kit", step08: "yours", step09: "kit" }, chosen, 2), chosen, "caption");
    assert.match(table.text, /h\.0, h\.1: step 07 kit; step 08 kit's solution\*; step 09 kit/);
    assert.match(table.html, /<caption[^>]*>caption<\/caption>/);
  });
});

describe("classes from the learner's notebooks", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "qkv-finale-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const notebook = (cells: string[]) => {
    const file = path.join(tmp, `nb${fs.readdirSync(tmp).length}.ipynb`);
    fs.writeFileSync(file, JSON.stringify({ cells: cells.map((source) => ({ cell_type: "code", source, metadata: {}, outputs: [] })), metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    return file;
  };

  test("the solution notebooks' exercise cells load, and run as the kit's solutions do", async () => {
    const found = findYourClasses({ step07: "notebooks/step07-solution.ipynb", step08: "notebooks/step08-solution.ipynb", step09: "notebooks/step09-solution.ipynb" });
    for (const s of ["step07", "step08", "step09"] as Step[]) {
      assert.equal(found[s].problem, null, `${s}: ${found[s].problem}`);
      assert.equal(found[s].Impl!.name, FINALE_STEPS[s].className);
      assert.notEqual(found[s].Impl, FINALE_STEPS[s].kit, "compiled from the notebook, not the kit's file");
    }
    const { diff } = await withPlan({ step07: found.step07.Impl, step08: found.step08.Impl, step09: null });
    assert.ok(diff <= 1e-5, `steps 07 and 08 from the notebooks: max |logit difference| ${diff}`);
    assert.ok((await withPlan({ ...NONE, step09: found.step09.Impl })).diff <= 1e-5);
  });

  test("the untouched exercise notebooks say 'not implemented yet'", () => {
    const found = findYourClasses({ step07: "notebooks/step07-exercise.ipynb", step08: "notebooks/step08-exercise.ipynb", step09: "notebooks/step09-exercise.ipynb" });
    for (const s of ["step07", "step08", "step09"] as Step[]) {
      assert.equal(found[s].Impl, null);
      assert.match(found[s].problem!, /^the exercise's stub is still in place \("not implemented yet"\)/);
    }
  });

  test("a class passed in: used as it is, or named when it is still a stub", () => {
    assert.deepEqual(findYourClass("step09", MultiHeadAttention), { step: "step09", Impl: MultiHeadAttention, from: "this notebook", problem: null });
    class Stub extends Module {
      constructor() {
        super();
        throw new Error("not implemented yet");
      }
    }
    assert.match(findYourClass("step08", Stub).problem!, /^the exercise's stub is still in place .* save this notebook/);
  });

  test("a missing notebook, a notebook without the cell, a compile error and an unknown import are each named", () => {
    assert.match(findYourClass("step07", path.join(tmp, "nowhere.ipynb")).problem!, /does not exist/);
    assert.match(findYourClass("step07", notebook(["const a = 1;"])).problem!, /no code cell that starts with "\/\/ EXERCISE: step07"/);
    assert.match(findYourClass("step07", notebook(["// EXERCISE: step07\nclass SingleHeadQKV {\n  forward(x {\n}"])).problem!, /does not compile/);
    const checks = notebook([
      'import { Module } from "./lib/index";\nimport { checkStep07 } from "./checks/index";',
      "// EXERCISE: step07\nclass SingleHeadQKV extends Module {\n  constructor(c: any) { super(); const check = checkStep07; void check; }\n}",
    ]);
    assert.match(findYourClass("step07", checks).problem!, /checkStep07 \(from "\.\/checks\/index"\) is not available in the finale/);
  });

  test("a cell with its own imports, the check call in it, and helpers from notebook-helpers", async () => {
    const file = notebook([
      'import { tf, GPT2Config, Linear } from "./lib/index";\nimport { visibleToken } from "./notebook-helpers/index";',
      [
        "// EXERCISE: step 9",
        'import { Module } from "./lib/index";',
        "class MyAttention extends Module {",
        "  c_attn: Linear; c_proj: Linear; nh: number;",
        "  constructor(config: GPT2Config) { super(); this.nh = config.n_head; this.c_attn = new Linear(config.n_embd, 3 * config.n_embd); this.c_proj = new Linear(config.n_embd, config.n_embd); }",
        "  forward(x: tf.Tensor): tf.Tensor {",
        '    if (visibleToken(" ") !== "␣") throw new Error("helpers");',
        "    return tf.tidy(() => {",
        "      const [B, T, C] = x.shape; const hs = C / this.nh;",
        "      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, this.nh, hs]), [0, 2, 1, 3]);",
        "      const [q, k, v] = tf.split(this.c_attn.forward(x), 3, -1).map(heads);",
        "      const mask = tf.sub(tf.linalg.bandPart(tf.ones([T, T]), -1, 0), 1);",
        "      const w = tf.softmax(tf.add(tf.div(tf.matMul(q, k, false, true), Math.sqrt(hs)), tf.mul(mask, 1e9)), -1);",
        "      return this.c_proj.forward(tf.reshape(tf.transpose(tf.matMul(w, v), [0, 2, 1, 3]), [B, T, C]));",
        "    });",
        "  }",
        "}",
        "const result = await checkStep09(MyAttention);",
      ].join("\n"),
    ]);
    const found = findYourClass("step09", file);
    assert.equal(found.problem, null);
    assert.equal(found.Impl!.name, "MyAttention");
    assert.ok((await withPlan({ ...NONE, step09: found.Impl })).diff <= 1e-5);
  });
});

describe("next tokens, labels and streamed text", () => {
  test("nextTokens: a distribution, its top k, and comparisons", () => {
    const a = nextTokens(model, ids, 10);
    assert.ok(Math.abs(a.probs.reduce((s, p) => s + p, 0) - 1) < 1e-9);
    assert.equal(a.top.length, 10);
    assert.ok(a.top.every((t, i) => i === 0 || a.probs[a.top[i - 1]] >= a.probs[t]));
    const same = compareNextTokens(a, nextTokens(model, ids, 10));
    assert.deepEqual(same, { sameTop: true, maxProb: 0, maxLogit: 0 });
    assert.match(describeComparison("x", same, 10), /^x: the same top 10 as the kit's model, in the same order;\n  largest change of a probability 0\.0e\+0, of a logit 0\.0e\+0$/);
    const p = plugLayers(model, { ...NONE, step09: NoCProj as unknown as LayerClass });
    const b = nextTokens(model, ids, 10);
    p.unplug();
    assert.ok(compareNextTokens(a, b).maxLogit > 1e-3);
  });

  test("tokenLabels: spaces visible, control bytes escaped, long tokens cut, equal labels told apart", () => {
    assert.deepEqual(tokenLabels([383, 0]), ["␣The", "!"]);
    assert.deepEqual(tokenLabels([197, 188]), ["⇥", "\\x00"]); // GPT-2's tokens for the bytes \t and \0
    const twins = tokenLabels([156, 157]); // two byte tokens that each decode to half a character: "�"
    assert.notEqual(twins[0], twins[1]);
    assert.ok([...tokenLabels([50000])[0]].length <= 12);
  });

  test("streamText writes the whole continuation, and describeSameTokens compares two", async () => {
    let written = "";
    const { ids: got } = await streamText(model, ids, { maxNewTokens: 5, temperature: 0 }, (t) => (written += t));
    assert.equal(got.length, 5);
    const { detokenize } = await import("../notebook-helpers/tokens");
    assert.equal(written, detokenize(got));
    assert.equal(describeSameTokens(got, got), "the same 5 tokens");
    assert.equal(describeSameTokens(got, [...got.slice(0, 2), -1, -1, -1]), "the same first 2 tokens, then different ones");
  });
});
