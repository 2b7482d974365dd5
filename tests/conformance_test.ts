/**
 * Conformance over the registry: every model builds from its own smoke config, does not decline
 * its suite's data set, predicts the right shape, leaks no tensors, trains two steps under every
 * registered procedure (GradNorm included), and is measured for
 * equivariance (exact models must be equivariant to float32 tolerance). Every data set loads at
 * smoke scale.
 */
import assert from "node:assert/strict";
import { useTestBackend } from "../src/testing/test_backend.ts";
import { tf } from "../src/tf.ts";
import { createRegistries } from "../src/registry.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { resolveConfig } from "../src/core/config.ts";
import { disposeBatch, makeBatch } from "../src/data/dataset.ts";
import { modelEquivariance, splitMse } from "../src/metrics/evaluate.ts";
import { train } from "../src/training/train.ts";
import { countParams } from "../src/models/model.ts";
import type { SuiteDefinition } from "../src/runner/suite.ts";

await useTestBackend();
const registries = createRegistries();
const suites = createSuiteRegistry().list();

/** The first suite that runs the model: its data set at smoke scale is the model's test data. */
function suiteOf(modelId: string): SuiteDefinition {
  // Accuracy suites first: timing suites run on meaningless (Gaussian) data.
  const ordered = [...suites.filter((s) => !s.exclusive), ...suites.filter((s) => s.exclusive)];
  const suite = ordered.find((s) => s.grid.some((g) => g.model === modelId));
  if (!suite) throw new Error(`model "${modelId}" is in no suite: register it in a suite`);
  return suite;
}

for (const def of registries.models.list()) {
  Deno.test(`model ${def.id}: shape, no leaks, every procedure trains, equivariance`, async () => {
    const suite = suiteOf(def.id);
    const ds = registries.datasets.get(suite.dataset);
    const data = await ds.load(resolveConfig(ds.defaults, suite.scales.smoke.dataset, "test"), {
      seed: 1,
      dataDir: "data",
    });
    assert.equal(
      def.decline?.({ inputs: data.inputs, target: data.target, edges: data.edges }),
      undefined,
      `${def.id} declines its own suite's data set`,
    );
    const config = resolveConfig(def.defaults, def.smoke, `model ${def.id} (its smoke config)`);
    const model = def.create(config, {
      inputs: data.inputs,
      target: data.target,
      seed: 3,
      edges: data.edges,
    });
    assert.ok(countParams(model) > 0);
    for (const v of model.lastLayer) assert.ok(model.params.includes(v), "lastLayer ⊂ params");
    const batch = makeBatch(data, data.splits.test, [0, 1, 2, 3]);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => model.forward(batch.inputs).prediction);
    assert.deepEqual(y.shape, [4, ...data.target.shape]);
    assert.ok((await y.data()).every(Number.isFinite));
    y.dispose();
    assert.equal(tf.memory().numTensors, before, "forward leaks tensors");
    const eq = await modelEquivariance(model, data, data.splits.test, {
      inputs: 4,
      samples: 8,
      seed: 1,
      maxBatch: 64,
    });
    if (def.equivariance === "exact") {
      assert.ok(
        eq.ePrimeRelative < 1e-4,
        `${def.id} is declared exact but E'_rel = ${eq.ePrimeRelative}`,
      );
    } else {
      assert.ok(Number.isFinite(eq.ePrime) && eq.ePrime > 1e-4, `${def.id}: E' = ${eq.ePrime}`);
    }
    for (const proc of registries.procedures.list()) {
      const n = tf.memory().numTensors;
      const h = await train(model, data, proc.create(proc.defaults), {
        ...suite.scales.smoke.train,
        steps: 2,
        validateEvery: 1, // validation and the kept copy of the best weights must not leak either
      }, { seed: 1, validate: () => splitMse(model, data, data.splits.test, 4) });
      assert.ok(Number.isFinite(h.finalLoss), `${def.id} under ${proc.id}: loss ${h.finalLoss}`);
      assert.equal(tf.memory().numTensors, n, `${def.id} under ${proc.id}: a step leaks tensors`);
    }
    disposeBatch(batch);
    model.dispose();
  });
}

for (const def of registries.procedures.list()) {
  Deno.test(`procedure ${def.id}: builds from defaults and runs two training steps`, async () => {
    const suite = suites.find((s) => s.id === "nbody")!;
    const ds = registries.datasets.get(suite.dataset);
    const data = await ds.load(resolveConfig(ds.defaults, suite.scales.smoke.dataset, "test"), {
      seed: 1,
      dataDir: "data",
    });
    const m = registries.models.get("transformer");
    const model = m.create(resolveConfig(m.defaults, { blocks: 1, channels: 8, heads: 2 }, "t"), {
      inputs: data.inputs,
      target: data.target,
      seed: 1,
    });
    const before = await Promise.all(model.params.map((p) => p.data()));
    const h = await train(model, data, def.create(def.defaults), {
      ...suite.scales.smoke.train,
      steps: 2,
    }, { seed: 2 });
    assert.ok(Number.isFinite(h.finalLoss));
    assert.equal(h.stepMs.length, 2);
    const after = await Promise.all(model.params.map((p) => p.data()));
    assert.ok(after.some((a, i) => a.some((v, k) => v !== before[i][k])), "weights moved");
    model.dispose();
  });
}

for (const def of registries.datasets.list()) {
  Deno.test(`dataset ${def.id}: loads at smoke scale with consistent fields`, async () => {
    const suite = suites.find((s) => s.dataset === def.id);
    const data = await def.load(
      resolveConfig(def.defaults, suite?.scales.smoke.dataset ?? {}, "test"),
      {
        seed: 1,
        dataDir: "data",
      },
    );
    for (const [name, split] of Object.entries(data.splits)) {
      for (const f of data.inputs) {
        assert.equal(
          split!.inputs[f.name].length,
          split!.size * f.shape.reduce((a, b) => a * b, 1),
          `${name}.${f.name}`,
        );
      }
      assert.ok(split!.target.every(Number.isFinite), `${name} target finite`);
    }
  });
}
