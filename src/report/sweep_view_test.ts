import assert from "node:assert/strict";
import { summarizeCases } from "./case_summary.ts";
import { seriesLabel, sweepFigures } from "./sweep_view.ts";
import { demoRecords, makeRecord, nbodyMetrics } from "../testing/records.ts";

const color = () => "#000";
const metrics = [{ name: "mse_test", label: "MSE" }, { name: "equi_e", label: "E" }];

Deno.test("sweepFigures over β: a panel per data-set parameter, series and reference lines", () => {
  const cases = summarizeCases(demoRecords());
  const figs = sweepFigures(cases, {
    param: "beta",
    paramLabel: "β",
    metrics,
    include: (c) => !("batchSize" in c.params) && !("groupSamples" in c.params),
    color,
  });
  assert.deepEqual(figs.map((f) => f.title), ["nbody", "nbody · molecule=aspirin"]);
  const [main] = figs;
  assert.equal(main.charts.length, 2);
  // remul and remul-gradnorm: 5 β each; the errored gnn β=1 is a failure mark
  assert.equal((main.charts[0].match(/<circle class="pt"/g) ?? []).length, 10);
  assert.match(main.charts[0], /class="pt fail"/);
  for (const ref of ["transformer · plain", "transformer · augmentation", "egnn · plain"]) {
    assert.ok(main.legend.includes(ref), ref);
  }
  assert.match(main.charts[0], /mean of 2; min/, "repetitions are pooled with their spread");
});

Deno.test("sweepFigures: β = 0 on a log axis becomes a reference line; no sweep, no figure", () => {
  const recs = [0, 1, 10].map((beta) =>
    makeRecord({ procedure: "remul", params: { beta }, metrics: nbodyMetrics(beta) })
  );
  const figs = sweepFigures(summarizeCases(recs), {
    param: "beta",
    paramLabel: "β",
    metrics,
    include: () => true,
    color,
  });
  assert.equal(figs.length, 1);
  assert.match(figs[0].legend, /transformer · remul \(β=0\)/);
  const none = sweepFigures(summarizeCases([makeRecord({ metrics: nbodyMetrics(0) })]), {
    param: "beta",
    paramLabel: "β",
    metrics,
    include: () => true,
    color,
  });
  assert.deepEqual(none, []);
});

Deno.test("seriesLabel names the model, procedure and other non-swept parameters", () => {
  const [c] = summarizeCases([
    makeRecord({ procedure: "remul", params: { beta: 1, groupSamples: 4 } }),
  ]);
  assert.equal(seriesLabel(c, "groupSamples"), "transformer · remul, beta=1");
  assert.equal(seriesLabel(c, "beta"), "transformer · remul, groupSamples=4");
});
