/**
 * A training step that throws must not leak tensors (issue 15, library): `train()` frees what
 * the failed step made, including the copies tfjs's gradient tape kept for the backward pass
 * that never ran (see `src/training/safe_variable_grads.ts`).
 */
import assert from "node:assert/strict";
import { useTestBackend } from "../src/testing/test_backend.ts";
import { tf } from "../src/tf.ts";
import { nbody } from "../src/data/nbody.ts";
import { mlp } from "../src/models/mlp.ts";
import type { Model } from "../src/models/model.ts";
import { train, type TrainConfig } from "../src/training/train.ts";
import type { Weighting } from "../src/training/procedure.ts";

await useTestBackend();

const CONFIG: TrainConfig = {
  steps: 4,
  batchSize: 4,
  lr: 1e-3,
  gradClip: 10,
  groupSamples: 1,
  timingWarmup: 0,
  validateEvery: 0,
};

/** A model whose forward pass throws on its `failAt`-th call, after running a few kernels. */
function failingModel(model: Model, failAt: number): Model {
  let calls = 0;
  return {
    ...model,
    forward: (fields) => {
      const out = model.forward(fields);
      if (++calls === failAt) throw new Error("planted model failure");
      return out;
    },
  };
}

for (
  const weighting of [
    { kind: "constant", alpha: 1, beta: 1 },
    { kind: "constant", alpha: 1, beta: 0 },
    { kind: "gradnorm", alpha: 1, beta: 1, gamma: 1.5, eta: 0.025, minWeight: 1e-6 },
  ] as Weighting[]
) {
  Deno.test(`train(): a step that throws leaks no tensors (${weighting.kind}, β=${weighting.beta})`, async () => {
    const data = await nbody.load({ ...nbody.defaults, train: 8, val: 0, test: 4, ood: 0 }, {
      seed: 1,
      dataDir: ".",
    });
    const model = mlp.create({ hidden: 8, layers: 2 }, { ...data, seed: 2 });
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => train(failingModel(model, 3), data, weighting, CONFIG, { seed: 3 }),
      /planted model failure/,
    );
    assert.equal(tf.memory().numTensors - before, 0, "tensors leaked by the failed step");
    model.dispose();
  });
}
