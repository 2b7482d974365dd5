import { useTestBackend } from "../testing/test_backend.ts";
await useTestBackend();

import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { createModel, loadDataset } from "../registry.ts";
import { trainStepTime } from "./train_step_time.ts";

const data = await loadDataset("gaussian", { seed: 3, config: { nodes: 3, samples: 8 } });

Deno.test("trainStepTime times 1 + warmup + repeats steps and summarises the repeats", async () => {
  const model = createModel("mlp", { ...data, seed: 1, config: { hidden: 8, layers: 1 } });
  const before = tf.memory().numTensors;
  for (const beta of [0, 1]) {
    const t = await trainStepTime(model, data, { kind: "constant", alpha: 1, beta }, {
      batchSize: 4,
      lr: 1e-3,
      gradClip: 10,
      warmup: 2,
      repeats: 3,
      seed: 7,
    });
    assert.equal(t.stepMs.length, 6);
    assert.equal(t.steps.n, 3);
    assert.equal(t.coldStartMs, t.stepMs[0]);
    assert.ok(t.steps.median > 0 && Number.isFinite(t.finalLoss));
  }
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  model.dispose();
});

Deno.test("trainStepTime rejects repeats < 1 and negative warm-up", async () => {
  const model = createModel("mlp", { ...data, seed: 1, config: { hidden: 4, layers: 1 } });
  const base = { batchSize: 4, lr: 1e-3, gradClip: 10, warmup: 0, repeats: 1, seed: 1 };
  const plain = { kind: "constant", alpha: 1, beta: 0 } as const;
  await assert.rejects(trainStepTime(model, data, plain, { ...base, repeats: 0 }), RangeError);
  await assert.rejects(trainStepTime(model, data, plain, { ...base, warmup: -1 }), RangeError);
  model.dispose();
});
