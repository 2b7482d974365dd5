import assert from "node:assert/strict";
import { makeRecord } from "../testing/records.ts";
import type { ResultRecord } from "./result.ts";
import {
  describeConflicts,
  describeMixedSettings,
  mixedSettings,
  recordSettings,
  resumeConflicts,
} from "./settings_diff.ts";
import type { RunSpec } from "./suite.ts";

/** A record whose training config has `steps`. */
function withSteps(r: ResultRecord, steps: number): ResultRecord {
  return { ...r, config: { ...r.config, train: { ...r.config.train, steps } } } as ResultRecord;
}

/** The spec a record would have been run from. */
function specOf(r: ResultRecord): RunSpec {
  return { id: r.id, ...r.config } as unknown as RunSpec;
}

Deno.test("resumeConflicts names the cases and the settings that differ from this run", () => {
  const a = makeRecord({ model: "mlp" });
  const b = makeRecord({ model: "gnn" });
  const failed = makeRecord({ model: "egnn", state: "errored" });
  const groups = resumeConflicts(
    [a, b, failed],
    [specOf(withSteps(a, 5000)), specOf(withSteps(b, 5000)), specOf(withSteps(failed, 5000))],
  );
  assert.deepEqual(groups, [{
    differences: [{ key: "train.steps", a: "10", b: "5000" }],
    ids: ["mlp[procedure=plain]", "gnn[procedure=plain]"],
  }], "errored records are rerun anyway, so they do not conflict");
  assert.equal(
    describeConflicts(groups),
    "train.steps 10 → 5000 (2 cases: mlp[procedure=plain], gnn[procedure=plain])",
  );
  assert.deepEqual(resumeConflicts([a, b], [specOf(a), specOf(b)]), []);
  assert.equal(recordSettings(a).get("dataset.train"), "100");
});

Deno.test("mixedSettings finds settings that differ across folders, not those the grid chooses", () => {
  const r1 = makeRecord({ model: "transformer", procedure: "remul", params: { beta: 1 } });
  const r10 = makeRecord({ model: "transformer", procedure: "remul", params: { beta: 10 } });
  const g = makeRecord({ model: "gnn" });
  assert.deepEqual(
    mixedSettings([{ source: "A", records: [r1, g] }, { source: "B", records: [r10] }]),
    [],
    "β is a grid parameter of these cases",
  );
  const mixed = mixedSettings([
    { source: "A", records: [r1, g] },
    { source: "B", records: [withSteps(r10, 5)] },
  ]);
  assert.deepEqual(mixed.map((m) => m.key), ["train.steps"]);
  assert.equal(
    describeMixedSettings(mixed),
    "train.steps: 10 in A (2 cases: transformer[beta=1,procedure=remul], gnn[procedure=plain]) vs " +
      "5 in B (1 case: transformer[beta=10,procedure=remul])",
  );
});
