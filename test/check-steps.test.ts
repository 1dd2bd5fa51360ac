// The engine's table test, run over every step that has a check (checks/stepNN/) and a cases
// file (test/fixtures/stepNN-cases.ts), on every backend this machine has: correct classes pass;
// each mistake fails, a row names it, a row carries its code; every code the step's mistake
// table can give is shown by some fixture; and the check itself leaks no tensors.
//
// The first backend (the fastest this machine has) runs every case. Naming a mistake is pure
// arithmetic on what forward returned, the same on any backend, so a slower backend (cpu is about
// 45x slower than wasm) runs every correct class and every fifth mistake: enough to show that its
// numbers pass where they should and fail where they should, in a fifth of the time.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../lib/index";
import { everyBackend } from "./backends";
import { testClock } from "./clock";
import { runCheck } from "../checks/engine/run";
import { loadStep, stepIds } from "../checks/engine/steps";
import { failures, withBuiltinsRestored } from "./check-helpers";
import type { StepCases } from "./fixtures/cases";

const backends = everyBackend();

const steps = stepIds().filter((id) => fs.existsSync(path.join(__dirname, "fixtures", `step${id}-cases.ts`)));

test("every step with a check has a cases file", () => {
  assert.ok(steps.length >= 1);
  assert.deepEqual(steps, stepIds(), "add test/fixtures/stepNN-cases.ts for each checks/stepNN/");
});

for (const id of steps) {
  test(`step ${id}: on every backend, correct classes pass, every mistake fails with its name and code, and the check leaks nothing`, async (t) => {
    const spec = loadStep(id);
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { cases } = require(`./fixtures/step${id}-cases`) as { cases: StepCases };
    const seen = new Set<string>();
    assert.ok(backends.names.length >= 1);
    for (const [b, backend] of backends.names.entries()) {
      await tf.setBackend(backend);
      const mistakes = b === 0 ? cases.mistakes : cases.mistakes.filter((_, i) => i % 5 === 0);
      for (const [label, impl] of cases.correct) {
        await t.test(`${backend}: passes: ${label}`, async () => {
          const before = tf.memory().numTensors;
          const r = await runCheck(spec, impl, { display: "none", clock: testClock.now });
          assert.equal(r.passed, true, failures(r));
          assert.deepEqual(r.notRun, []);
          assert.deepEqual(r.results.filter((x) => x.kind === "check").map((x) => x.name), spec.planned);
          for (const name of spec.outputs.names) {
            assert.match(r.results.find((x) => x.name === name)!.message, /^TENSOR OK, maxdiff = \S+, 100% within tolerance$/);
          }
          assert.equal(tf.memory().numTensors, before, "the check itself must leak no tensors");
        });
      }
      for (const [label, impl, names, code, options] of mistakes) {
        await t.test(`${backend}: fails and names it: ${label}`, async () => {
          const before = tf.memory().numTensors;
          const r = await withBuiltinsRestored(() => runCheck(spec, impl, { display: "none", clock: testClock.now, ...options }));
          assert.equal(r.passed, false, `the check passed ${label}`);
          const failed = r.results.filter((x) => !x.passed);
          // A name is in one row (most) or spans a failing row and the diagnosis after it ([\s\S]*).
          assert.ok(failed.some((x) => names.test(x.message)) || names.test(failures(r)), `no row matches ${names}:\n${failures(r)}`);
          assert.ok(failed.some((x) => x.code === code), `no row has code "${code}": ${failed.map((x) => `${x.name}=${x.code}`).join(", ")}`);
          for (const x of failed) seen.add(x.code);
          for (const x of r.results) assert.ok(x.message.length < 1200, `a ${x.message.length}-character row: keep messages short`);
          assert.equal(tf.memory().numTensors, before, "the check itself must leak no tensors");
        });
      }
    }
    await tf.setBackend(backends.original);
    const missing = spec.mistakeCodes.filter((c) => !seen.has(c));
    assert.deepEqual(missing, [], `step ${id}: mistakes in the table with no fixture that shows them`);
  });
}
