import assert from "node:assert/strict";
import { summarizeCases } from "./case_summary.ts";
import { referenceMatches, referenceTable } from "./reference_table.ts";
import { makeRecord } from "../testing/records.ts";

Deno.test("referenceTable: ours scaled by the factor beside the paper's value", () => {
  const cases = summarizeCases([
    makeRecord({
      procedure: "remul",
      params: { beta: 10 },
      rep: 0,
      reps: 2,
      metrics: { mse_test: 0.01 },
    }),
    makeRecord({
      procedure: "remul",
      params: { beta: 10 },
      rep: 1,
      reps: 2,
      metrics: { mse_test: 0.03 },
    }),
    makeRecord({ procedure: "plain", metrics: { mse_test: 0.05 } }),
  ]);
  const html = referenceTable({
    metric: "mse_test",
    factor: 100,
    label: "MSE ×10⁻²",
    source: "Table 2",
    rows: [
      { match: { model: "transformer", procedure: "remul", beta: 10 }, value: 1.5, spread: 0.2 },
      { match: { model: "gatr" }, value: 0.8 },
    ],
  }, cases);
  assert.match(
    html,
    /<td class="n">1\.5 ± 0\.2<\/td><td class="n">2 ± 1\.4<\/td><td class="n">2<\/td>/,
  );
  assert.match(html, /no matching case/);
  assert.match(html, /Table 2/);
});

Deno.test("referenceMatches compares model, procedure, data set and parameters as strings", () => {
  const [c] = summarizeCases([
    makeRecord({ model: "gnn", params: { molecule: "aspirin", beta: 1 }, dataset: "md17" }),
  ]);
  assert.ok(referenceMatches({ model: "gnn", dataset: "md17", molecule: "aspirin", beta: "1" }, c));
  assert.ok(!referenceMatches({ molecule: "benzene" }, c));
  assert.ok(!referenceMatches({ heads: 2 }, c));
});
