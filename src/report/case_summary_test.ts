import assert from "node:assert/strict";
import { caseKey, metricStats, summarizeCases } from "./case_summary.ts";
import { makeRecord } from "../testing/records.ts";

Deno.test("summarizeCases pools repetitions under the id without rep=", () => {
  const recs = [0, 1, 2].map((rep) =>
    makeRecord({ procedure: "remul", params: { beta: 1 }, rep, reps: 3, metrics: { m: rep + 1 } })
  );
  assert.equal(recs[1].id, "transformer[beta=1,procedure=remul,rep=1]");
  assert.equal(caseKey(recs[1]), "transformer[beta=1,procedure=remul]");
  const [c] = summarizeCases([
    ...recs,
    makeRecord({ procedure: "remul", params: { beta: 1 }, rep: 3, reps: 4, state: "errored" }),
  ]);
  assert.equal(c.key, "transformer[beta=1,procedure=remul]");
  assert.equal(c.completed, 3);
  assert.equal(c.errored, 1);
  assert.equal(c.records.length, 4);
  assert.equal(c.metrics.m.mean, 2);
  assert.equal(c.metrics.m.std, 1);
  assert.equal(c.metrics.m.n, 3);
  assert.deepEqual([c.metrics.m.min, c.metrics.m.max], [1, 3]);
});

Deno.test("metricStats: one value has no spread; null (NaN in JSON) makes the mean NaN", () => {
  assert.equal(metricStats([5]).std, null);
  assert.ok(Number.isNaN(metricStats([1, null]).mean));
});

Deno.test("summarizeCases marks parameters routed to the data set", () => {
  const [c] = summarizeCases([
    makeRecord({
      model: "gnn",
      procedure: "remul",
      params: { beta: 1, molecule: "aspirin" },
      datasetConfig: { molecule: "aspirin" },
    }),
  ]);
  assert.deepEqual(c.datasetParams, ["molecule"]);
});
