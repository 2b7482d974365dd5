import assert from "node:assert/strict";
import { useTestBackend } from "../src/testing/test_backend.ts";
import { createRegistries } from "../src/registry.ts";
import { expandSuite } from "../src/runner/suite.ts";
import { runCase } from "../src/runner/run_case.ts";
import { collectEnvironment } from "../src/runner/environment.ts";
import { nbodySuite } from "../bench/nbody.ts";
import { Registry } from "../src/core/registry.ts";
import type { ModelDefinition } from "../src/models/model.ts";

await useTestBackend();

Deno.test("same seed, same backend: the same numbers; ids and seeds are stable", async () => {
  const registries = createRegistries();
  const specs = expandSuite(nbodySuite, "smoke", registries);
  assert.deepEqual(
    specs.map((s) => s.id),
    expandSuite(nbodySuite, "smoke", registries).map((s) => s.id),
  );
  const spec = specs.find((s) => s.id === "transformer[beta=10,procedure=remul-gradnorm]")!;
  assert.ok(spec, "the smoke grid has a GradNorm case at β = 10");
  // Procedures share the data and the initial weights (paired comparisons), not the training seed.
  const plain = specs.find((s) => s.id === "transformer[procedure=plain]")!;
  assert.equal(spec.seeds.data, plain.seeds.data);
  assert.equal(spec.seeds.init, plain.seeds.init);
  assert.notEqual(spec.seeds.case, plain.seeds.case);
  const env = collectEnvironment(
    { name: "wasm", requested: "wasm", reason: "test", adapter: null },
    null,
  );
  const a = await runCase(spec, env, registries);
  const b = await runCase(spec, env, registries);
  assert.equal(a.state, "completed");
  assert.equal(b.state, "completed");
  if (a.state !== "completed" || b.state !== "completed") return;
  for (
    const k of [
      "mse_test",
      "mse_ood",
      "equi_e",
      "equi_e_prime",
      "final_alpha",
      "final_beta",
      "final_loss",
    ]
  ) {
    assert.equal(a.metrics[k], b.metrics[k], k);
  }
  assert.deepEqual(a.history.taskWeights, b.history.taskWeights);
  // GradNorm moved the weights and recorded its settings
  assert.notEqual(a.metrics.final_beta, 10);
  assert.equal(a.config.procedure.config.gamma, 1.5);
  assert.equal(a.config.procedure.config.eta, 0.025);
  assert.deepEqual(a.config.protocol.betaGrid, [1, 10]);
});

Deno.test("a model whose memory cannot be freed after evaluation: errored, metrics in the message, no throw", async () => {
  const registries = createRegistries();
  const models = new Registry<ModelDefinition>("model");
  for (const def of registries.models.list()) {
    models.register(
      def.id !== "transformer" ? def : {
        ...def,
        create: (config, ctx) => {
          const m = def.create(config, ctx);
          return {
            ...m,
            dispose: () => {
              m.dispose();
              throw new RangeError("memory access out of bounds");
            },
          };
        },
      },
    );
  }
  const spec = expandSuite(nbodySuite, "smoke", registries).find((s) =>
    s.id === "transformer[procedure=plain]"
  )!;
  const env = collectEnvironment(
    { name: "wasm", requested: "wasm", reason: "test", adapter: null },
    null,
  );
  const r = await runCase(spec, env, { ...registries, models });
  assert.equal(r.state, "errored");
  if (r.state !== "errored") return;
  assert.match(r.error, /freeing the model after evaluation failed \(RangeError: memory access/);
  assert.match(r.error, /not kept as a result: .*mse_test=\d/);
});

Deno.test("a model that declines the data set: skipped with its reason, never built", async () => {
  const registries = createRegistries();
  const models = new Registry<ModelDefinition>("model");
  let built = 0;
  for (const def of registries.models.list()) {
    models.register(
      def.id !== "gnn" ? def : {
        ...def,
        decline: (ctx) =>
          `needs edge attributes, the data set has ${ctx.inputs.length} node fields`,
        create: (config, ctx) => {
          built++;
          return def.create(config, ctx);
        },
      },
    );
  }
  const spec = expandSuite(nbodySuite, "smoke", registries).find((s) =>
    s.id === "gnn[procedure=plain]"
  )!;
  const env = collectEnvironment(
    { name: "wasm", requested: "wasm", reason: "test", adapter: null },
    null,
  );
  const r = await runCase(spec, env, { ...registries, models });
  assert.equal(r.state, "skipped");
  if (r.state !== "skipped") return;
  assert.equal(built, 0);
  assert.equal(
    r.reason,
    "model gnn declines data set nbody: needs edge attributes, the data set has 3 node fields",
  );
});
