import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { createRegistries } from "../registry.ts";
import { countDeviceCalls } from "../backend/webgpu_queue.ts";
import { splitMse } from "./evaluate.ts";

await useTestBackend();

Deno.test("splitMse reads back once for the whole split and leaks nothing", async () => {
  const reg = createRegistries();
  const def = reg.datasets.get("nbody");
  const data = await def.load({ ...def.defaults, train: 4, val: 0, test: 6, ood: 0 }, {
    seed: 1,
    dataDir: ".",
  });
  const model = reg.models.get("mlp").create({ hidden: 8, layers: 2 }, { ...data, seed: 2 });
  const whole = await splitMse(model, data, data.splits.test, 6);
  const before = tf.memory().numTensors;
  const calls = countDeviceCalls();
  const batched = await splitMse(model, data, data.splits.test, 2); // three batches
  calls.close();
  assert.equal(calls.counts.reads, 1);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(whole) && whole > 0);
  assert.ok(Math.abs(batched - whole) <= 1e-6 * whole, `${batched} against ${whole}`);
  model.dispose();
});
