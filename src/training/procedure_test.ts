import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { nbody } from "../data/nbody.ts";
import { mlp } from "../models/mlp.ts";
import { remul, remulGradnorm } from "./procedure.ts";
import { train } from "./train.ts";

await useTestBackend();

Deno.test("remul.create({ beta }) takes α from the defaults, and trains without leaking", async () => {
  const w = remul.create({ beta: 10 });
  assert.deepEqual(w, { kind: "constant", alpha: 1, beta: 10 });
  assert.equal(remulGradnorm.create({ beta: 2 }).alpha, 1);
  const data = await nbody.load({ ...nbody.defaults, train: 8, val: 0, test: 4, ood: 0 }, {
    seed: 1,
    dataDir: ".",
  });
  const model = mlp.create({ hidden: 8, layers: 2 }, { ...data, seed: 2 });
  const before = tf.memory().numTensors;
  const h = await train(model, data, w, {
    steps: 3,
    batchSize: 4,
    lr: 1e-3,
    gradClip: 10,
    groupSamples: 1,
    timingWarmup: 0,
    validateEvery: 0,
  }, { seed: 3 });
  assert.ok(Number.isFinite(h.finalLoss));
  assert.equal(tf.memory().numTensors, before, "tensors leaked");
  model.dispose();
});

Deno.test("procedures reject unknown keys and values out of range, naming the key", () => {
  assert.throws(
    () => remul.create({ beta: -1 }),
    /Key "beta" \(weight β of the equivariance term\) for procedure "remul" must be a number ≥ 0, got -1/,
  );
  assert.throws(
    () => remulGradnorm.create({ alpha: 0 }),
    /Key "alpha" .* for procedure "remul-gradnorm" must be a number > 0, got 0/,
  );
  assert.throws(
    () => remul.create({ beta: Number.NaN }),
    /Key "beta" for procedure "remul" must be a finite number/,
  );
  assert.throws(
    () => remul.create({ gamma: 1 } as never),
    /Unknown key "gamma" for procedure "remul"; known keys: alpha, beta/,
  );
});
