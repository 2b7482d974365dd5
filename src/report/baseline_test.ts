import assert from "node:assert/strict";
import { BASELINE_FORMAT, createBaseline, DEFAULT_THRESHOLDS, parseBaseline } from "./baseline.ts";
import { makeRecord } from "../testing/records.ts";

Deno.test("createBaseline: per case values, repetitions and spread; round-trips through JSON", () => {
  const recs = [10, 12, 14].map((ms, rep) =>
    makeRecord({ rep, reps: 3, metrics: { train_step_ms: ms, mse_test: NaN } })
  );
  recs.push(makeRecord({ model: "gatr", state: "errored", message: "out of memory" }));
  const b = createBaseline(recs, { thresholds: { timeRelative: 2 }, source: "dir" });
  const c = b.cases["transformer[procedure=plain]"];
  assert.equal(c.repetitions, 3);
  assert.equal(c.metrics.train_step_ms.value, 12);
  assert.equal(c.metrics.train_step_ms.spread, 2);
  assert.equal(c.metrics.train_step_ms.n, 3);
  assert.equal(b.cases["gatr[procedure=plain]"].errored, 1);
  assert.equal(b.cases["gatr[procedure=plain]"].error, "out of memory");
  assert.equal(b.thresholds.timeRelative, 2);
  assert.equal(b.thresholds.mseAbsolute, DEFAULT_THRESHOLDS.mseAbsolute);
  assert.equal(b.environment?.backend, "wasm");
  const back = parseBaseline(JSON.stringify(b), "b.json");
  assert.deepEqual(
    back.cases["transformer[procedure=plain]"].metrics.train_step_ms,
    c.metrics.train_step_ms,
  );
  assert.ok(Number.isNaN(back.cases["transformer[procedure=plain]"].metrics.mse_test.value));
});

Deno.test("parseBaseline: missing thresholds take the defaults; bad files name the problem", () => {
  const b = parseBaseline(JSON.stringify({ format: BASELINE_FORMAT, cases: {} }), "x.json");
  assert.deepEqual(b.thresholds, DEFAULT_THRESHOLDS);
  assert.throws(() => parseBaseline("{", "x.json"), /x\.json: not valid JSON/);
  assert.throws(() => parseBaseline("{}", "x.json"), /x\.json: not a baseline file/);
  assert.throws(
    () =>
      parseBaseline(
        JSON.stringify({ format: BASELINE_FORMAT, cases: {}, thresholds: { timeRelative: -1 } }),
        "x.json",
      ),
    /thresholds\.timeRelative must be a non-negative number/,
  );
  assert.throws(
    () => parseBaseline(JSON.stringify({ format: BASELINE_FORMAT, cases: { a: 1 } }), "x.json"),
    /case "a" needs a "metrics" object/,
  );
});
