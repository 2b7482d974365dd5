import assert from "node:assert/strict";
import { describeEnvironment, indexEnvironments } from "./environment_index.ts";
import { environmentsTable, metricOrder, resultsTable } from "./results_table.ts";
import { metricColumns } from "../runner/columns.ts";
import { makeRecord, nbodyMetrics, TEST_ENVIRONMENT } from "../testing/records.ts";

const gpuEnv = {
  ...TEST_ENVIRONMENT,
  backend: {
    name: "webgpu" as const,
    requested: "auto" as const,
    reason: "auto: hardware WebGPU adapter",
    adapter: {
      vendor: "nvidia",
      architecture: "",
      device: "",
      description: "NVIDIA H200",
      isFallbackAdapter: false,
    },
  },
};

Deno.test("resultsTable: a row per record with its state, error and environment label", () => {
  const recs = [
    makeRecord({ metrics: nbodyMetrics(0) }),
    makeRecord({ model: "gatr", state: "errored", message: "out of memory | at step 3" }),
    makeRecord({ model: "egnn", metrics: nbodyMetrics(1), environment: gpuEnv }),
  ];
  const envs = indexEnvironments(recs);
  assert.deepEqual(envs.entries.map((e) => [e.label, e.count]), [["E1", 2], ["E2", 1]]);
  const html = resultsTable(recs, {
    environments: envs,
    columns: [{ name: "train_step_ms", better: "smaller", unit: "ms", description: "" }],
  });
  assert.equal((html.match(/<tr>/g) ?? []).length, 4, "header and three rows");
  assert.match(html, /errored<div class="note">out of memory \| at step 3<\/div>/);
  assert.match(html, /wasm · E1/);
  assert.match(html, /webgpu · E2/);
  assert.match(html, /train_step_ms \(ms\) ↓/);
  const envHtml = environmentsTable(envs);
  assert.match(envHtml, /NVIDIA H200/);
  assert.match(envHtml, /0123456789abcdef/);
});

Deno.test("metricOrder follows the metric definitions' columns, unknown metrics last", () => {
  const recs = [makeRecord({ metrics: { zeta: 1, mse_ood: 2, mse_test: 3 } })];
  assert.deepEqual(metricOrder(recs, metricColumns()), ["mse_test", "mse_ood", "zeta"]);
  assert.deepEqual(metricOrder(recs), ["mse_ood", "mse_test", "zeta"], "no columns: sorted");
});

Deno.test("describeEnvironment names backend, reason, adapter, versions and commit", () => {
  const line = describeEnvironment(gpuEnv);
  for (const part of ["webgpu", "hardware WebGPU adapter", "NVIDIA H200", "tfjs 4.22.0", "V8"]) {
    assert.ok(line.includes(part), part);
  }
});
