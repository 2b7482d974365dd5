import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { train, type TrainConfig } from "./train.ts";
import { Rng } from "../core/rng.ts";
import { HAAR } from "../symmetry/rotation.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";

await useTestBackend();

/** A linear model `pos ↦ pos·W` and a small regression data set it can fit. */
function linearProblem(): { model: Model; dataset: Dataset; w: tf.Variable } {
  const n = 8;
  const rng = new Rng(5);
  const x = Float32Array.from({ length: n * 3 }, () => rng.normal());
  const y = x.map((v, i) => (i % 3 === 0 ? 2 * v : -v));
  const w = tf.variable(tf.tensor2d([[0.1, 0, 0], [0, 0.1, 0], [0, 0, 0.1]]), true, "train_test_w");
  const model: Model = {
    params: [w],
    lastLayer: [w],
    forward: (f) => ({ prediction: tf.matMul(f.pos.reshape([-1, 3]), w).reshape(f.pos.shape) }),
    dispose: () => w.dispose(),
  };
  const split = { size: n, inputs: { pos: x }, target: y };
  const dataset: Dataset = {
    inputs: [{ name: "pos", kind: "position", shape: [1, 3] }],
    target: { name: "pos", kind: "position", shape: [1, 3] },
    splits: { train: split, val: split, test: split },
    trainRotations: HAAR,
    protocol: {},
  };
  return { model, dataset, w };
}

const CONFIG: TrainConfig = {
  steps: 8,
  batchSize: 4,
  lr: 0.05,
  gradClip: 0,
  groupSamples: 1,
  timingWarmup: 0,
  validateEvery: 2,
};

Deno.test("train: validateEvery keeps the weights of the best validation, not the last step", async () => {
  const { model, dataset, w } = linearProblem();
  // Scripted validation errors: the best is the second validation (step 4); a NaN never wins.
  const scripted = [5, 2, NaN, 3];
  const seen: { step: number; weights: Float32Array }[] = [];
  const before = tf.memory().numTensors;
  const h = await train(model, dataset, { kind: "constant", alpha: 1, beta: 0 }, CONFIG, {
    seed: 1,
    validate: async () => {
      seen.push({ step: 2 * (seen.length + 1), weights: (await w.data()) as Float32Array });
      return scripted[seen.length - 1];
    },
  });
  assert.equal(tf.memory().numTensors, before, "validation copies leak");
  assert.deepEqual(h.validation.map(([s]) => s), [2, 4, 6, 8]);
  assert.deepEqual(h.validation.map(([, e]) => e), scripted);
  assert.equal(h.bestStep, 4);
  const now = await w.data();
  assert.deepEqual([...now], [...seen[1].weights], "holds the step-4 weights");
  assert.notDeepEqual([...now], [...seen[3].weights], "training moved the weights after step 4");
  model.dispose();
});

Deno.test("train: the last step is always validated; validateEvery 0 keeps the last weights", async () => {
  const a = linearProblem();
  const h = await train(a.model, a.dataset, { kind: "constant", alpha: 1, beta: 0 }, {
    ...CONFIG,
    steps: 5,
    validateEvery: 3,
  }, { seed: 1, validate: () => Promise.resolve(1) });
  assert.deepEqual(h.validation.map(([s]) => s), [3, 5]);
  assert.equal(h.bestStep, 3, "ties keep the earlier weights");
  a.model.dispose();

  const b = linearProblem();
  let calls = 0;
  const h0 = await train(b.model, b.dataset, { kind: "constant", alpha: 1, beta: 0 }, {
    ...CONFIG,
    validateEvery: 0,
  }, {
    seed: 1,
    validate: () => Promise.resolve(++calls),
  });
  assert.equal(calls, 0);
  assert.deepEqual(h0.validation, []);
  assert.equal(h0.bestStep, CONFIG.steps);
  b.model.dispose();
});

Deno.test("train: validateEvery without anything to validate on is an error before any step", async () => {
  const { model, dataset } = linearProblem();
  await assert.rejects(
    () => train(model, dataset, { kind: "constant", alpha: 1, beta: 0 }, CONFIG, { seed: 1 }),
    /validateEvery is 2 but nothing to validate on/,
  );
  model.dispose();
});

Deno.test("train: reading the loss every k steps trains the same weights and records the same losses", async () => {
  const runs = [];
  for (const syncEvery of [1, 3]) {
    const { model, dataset, w } = linearProblem();
    const before = tf.memory().numTensors;
    const h = await train(
      model,
      dataset,
      { kind: "constant", alpha: 1, beta: 1 },
      { ...CONFIG, steps: 8, validateEvery: 0, syncEvery },
      { seed: 3 },
    );
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    assert.equal(h.syncEvery, syncEvery);
    assert.equal(h.stepMs.length, 8);
    runs.push({ h, w: await w.data() });
    model.dispose();
  }
  assert.deepEqual(runs[1].h.loss, runs[0].h.loss);
  assert.deepEqual(runs[1].w, runs[0].w);
});

Deno.test("train: a divergence is reported at its own step when the loss is read every k steps", async () => {
  const { model, dataset } = linearProblem();
  let calls = 0;
  const poisoned: Model = {
    ...model,
    forward: (f) => {
      calls++;
      const out = model.forward(f).prediction;
      return { prediction: calls === 5 ? out.mul(NaN) : out };
    },
  };
  const before = tf.memory().numTensors;
  await assert.rejects(
    train(poisoned, dataset, { kind: "constant", alpha: 1, beta: 0 }, {
      ...CONFIG,
      validateEvery: 0,
      syncEvery: 4,
    }, { seed: 1 }),
    /loss became NaN at step 5 of 8 \(read back every 4 steps\)/,
  );
  assert.equal(tf.memory().numTensors, before, "queued losses are freed on the error");
  model.dispose();
});

Deno.test("train: syncEvery must be a positive integer", async () => {
  const { model, dataset } = linearProblem();
  await assert.rejects(
    train(model, dataset, { kind: "constant", alpha: 1, beta: 0 }, {
      ...CONFIG,
      validateEvery: 0,
      syncEvery: 0,
    }, { seed: 1 }),
    /syncEvery must be an integer ≥ 1, got 0/,
  );
  model.dispose();
});
