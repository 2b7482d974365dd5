import assert from "node:assert/strict";
import { githubBenchmarkEntries } from "./github_benchmark.ts";
import { makeRecord } from "../testing/records.ts";

Deno.test("githubBenchmarkEntries: split by direction, averaged repetitions, skips", () => {
  const recs = [
    makeRecord({ rep: 0, reps: 2, metrics: { train_step_ms: 10, acc: 0.5, n_params: 7 } }),
    makeRecord({ rep: 1, reps: 2, metrics: { train_step_ms: 14, acc: 0.7, n_params: 7 } }),
    makeRecord({ model: "gatr", state: "errored" }),
    makeRecord({ model: "egnn", metrics: { train_step_ms: NaN } }),
  ];
  const out = githubBenchmarkEntries(recs, [
    { name: "train_step_ms", better: "smaller", unit: "ms", description: "median step" },
    { name: "acc", better: "larger", unit: "", description: "accuracy" },
    { name: "n_params", better: "neither", unit: "", description: "" },
  ]);
  assert.deepEqual(out.smaller.map((e) => [e.name, e.unit, e.value, e.range]), [
    ["transformer[procedure=plain] train_step_ms", "ms", 12, "± 2.83"],
  ]);
  assert.equal(out.bigger.length, 1);
  assert.equal(out.bigger[0].name, "transformer[procedure=plain] acc");
  assert.match(out.smaller[0].extra!, /repetitions: 2\nbackend: wasm/);
  assert.deepEqual(out.skipped, [
    "gatr[procedure=plain]: errored",
    "egnn[procedure=plain] train_step_ms: not finite",
  ]);
});
