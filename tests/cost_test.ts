import assert from "node:assert/strict";
import { runSuite } from "../src/runner/run_suite.ts";
import { createRegistries } from "../src/registry.ts";
import type { ModelDefinition } from "../src/models/model.ts";
import { costSuite } from "../bench/cost.ts";
import type { SuiteDefinition } from "../src/runner/suite.ts";
import { computeRatios } from "../src/runner/ratios.ts";
import { CaseFailure, failureKindOf, runtimeFailureKind } from "../src/runner/failure.ts";
import { NonFiniteLossError } from "../src/training/train.ts";

Deno.test("cost: an out-of-memory case becomes a result state and the sweep continues", async () => {
  // The parent registries must know the probe model too (ids are resolved before workers start).
  const registries = createRegistries();
  registries.models.register({
    id: "oom-probe",
    description: "",
    equivariance: "none",
    defaults: { width: 1 },
    create: () => {
      throw new Error("only built inside the test worker");
    },
  } as unknown as ModelDefinition);
  const suite: SuiteDefinition = {
    ...costSuite,
    id: "cost-oom-test",
    grid: [
      { model: "transformer", procedure: "plain", sweep: ["batchSize"] },
      { model: "oom-probe", procedure: "plain", sweep: ["batchSize"] },
      { model: "gnn", procedure: "plain", sweep: ["batchSize"] },
    ],
  };
  const run = await runSuite(suite, {
    scale: "smoke",
    backend: "wasm",
    jobs: 2,
    registries,
    workerUrl: new URL("./fixtures/oom_worker.ts", import.meta.url),
  });
  assert.equal(run.jobs, 1, "timing suites run one case at a time");
  const states = run.records.map((r) =>
    `${r.model}:${r.state}${r.state === "errored" ? `:${r.failure}` : ""}`
  );
  assert.deepEqual(states, [
    "transformer:completed",
    "transformer:completed",
    "oom-probe:errored:out-of-memory",
    "oom-probe:errored:out-of-memory",
    "gnn:completed",
    "gnn:completed",
  ]);
  for (const r of run.records) {
    if (r.state !== "completed") continue;
    for (
      const k of [
        "train_step_mean_ms",
        "train_step_std_ms",
        "cold_start_ms",
        "infer_mean_ms",
        "infer_std_ms",
      ]
    ) {
      assert.ok(Number.isFinite(r.metrics[k]) && r.metrics[k] >= 0, `${r.id} ${k}`);
    }
  }
});

Deno.test("cost: ratios pair numerator and denominator per key and average repetitions", () => {
  const rec = (model: string, batchSize: number, t: number, rep = 0) =>
    ({
      state: "completed",
      model,
      repetition: rep,
      params: { batchSize },
      metrics: { t },
    }) as never;
  const rows = computeRatios([
    rec("gatr", 1, 10),
    rec("gatr", 1, 30, 1),
    rec("transformer", 1, 5),
    rec("gatr", 2, 8),
    rec("transformer", 4, 2),
  ], { numerator: "gatr", denominator: "transformer", by: "batchSize", metrics: ["t"] });
  assert.deepEqual(rows.map((r) => r.key), ["1", "2", "4"]);
  assert.deepEqual(rows[0].values.t, { numerator: 20, denominator: 5, ratio: 4 });
  assert.equal(rows[1].values.t, undefined);
});

Deno.test("failure kinds are set where the failure happens; only the runtime's errors are read", () => {
  assert.equal(failureKindOf(new CaseFailure("timeout", "timed out after 10 s")), "timeout");
  assert.equal(failureKindOf(new NonFiniteLossError("loss became NaN at step 3")), "non-finite");
  // what tfjs, V8 and WebAssembly throw when memory runs out (their throw sites are not ours)
  assert.equal(failureKindOf(new RangeError("offset is out of bounds")), "out-of-memory");
  assert.equal(
    failureKindOf(new Error("Out of memory in se3-transformer forward")),
    "out-of-memory",
  );
  assert.equal(
    failureKindOf(
      new WebAssembly.RuntimeError("Aborted(). Build with -sASSERTIONS for more info."),
    ),
    "out-of-memory",
  );
  assert.equal(runtimeFailureKind("GPU device was lost"), "device-lost");
  assert.equal(runtimeFailureKind("Uncaught TypeError: x is undefined"), undefined);
  assert.equal(failureKindOf(new TypeError("x is undefined")), "exception");
  // a message that only mentions a kind is not that kind
  assert.equal(failureKindOf(new Error("the config says: timed out after 10 s")), "exception");
  assert.equal(failureKindOf(new Error('array "R" holds a value that is not finite')), "exception");
});
