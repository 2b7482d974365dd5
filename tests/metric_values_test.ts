/**
 * A case's metric values are checked against the metric's declared columns: a column declared
 * `mayBeNaN` passes NaN, any other non-finite value errors the case as `non-finite`, and a value
 * that is not a declared column errors it, naming the value.
 */
import assert from "node:assert/strict";
import { useTestBackend } from "../src/testing/test_backend.ts";
import { createRegistries } from "../src/registry.ts";
import type { MetricDefinition } from "../src/metrics/metric.ts";
import { nbodySuite } from "../bench/nbody.ts";
import { collectEnvironment } from "../src/runner/environment.ts";
import { runCase } from "../src/runner/run_case.ts";
import { expandSuite } from "../src/runner/suite.ts";

/** A metric whose values the test chooses; `probe_nan` is declared as one that may be NaN. */
function probe(values: Record<string, number>): MetricDefinition {
  return {
    id: "probe",
    description: "returns the test's values",
    columns: [
      { name: "probe_strict", better: "smaller", unit: "", description: "must be finite" },
      { name: "probe_nan", better: "neither", unit: "", description: "may be NaN", mayBeNaN: true },
    ],
    compute: () => Promise.resolve(values),
  };
}

async function runWith(values: Record<string, number>) {
  await useTestBackend();
  const registries = createRegistries();
  registries.metrics.register(probe(values));
  const grid = nbodySuite.grid.filter((g) => g.model === "gnn" && g.procedure === "plain");
  const suite = { ...nbodySuite, metrics: ["probe"], grid };
  const [spec] = expandSuite(suite, "smoke", registries);
  const env = collectEnvironment(
    { name: "wasm", requested: "wasm", reason: "test", adapter: null },
    null,
  );
  return await runCase({ ...spec, train: { ...spec.train, steps: 2 } }, env, registries);
}

Deno.test("run_case: a metric column that may be NaN passes NaN; any other errors as non-finite", async () => {
  const ok = await runWith({ probe_strict: 1, probe_nan: NaN });
  assert.equal(ok.state, "completed", ok.state === "errored" ? ok.error : "");
  assert.ok(ok.state === "completed" && Number.isNaN(ok.metrics.probe_nan));
  const bad = await runWith({ probe_strict: Infinity, probe_nan: 0 });
  assert.equal(bad.state, "errored");
  assert.ok(bad.state === "errored" && bad.failure === "non-finite", JSON.stringify(bad));
  assert.match(bad.state === "errored" ? bad.error : "", /metric probe_strict is not finite/);
});

Deno.test("run_case: a value that is not one of the metric's declared columns errors, naming it", async () => {
  const r = await runWith({ probe_strict: 1, stray: 2 });
  assert.equal(r.state, "errored");
  assert.match(r.state === "errored" ? r.error : "", /metric probe returned "stray", which is not/);
  assert.ok(r.state === "errored" && r.failure === "exception");
});
