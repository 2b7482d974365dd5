/**
 * Runs one experiment from its spec: load data, build the model, train with the procedure,
 * compute the suite's metrics. A pure function of the spec (plus the backend it runs on); it
 * prints nothing and never throws: failures become `errored` or `skipped` records.
 *
 * @module
 */
import { DatasetUnavailableError } from "../data/dataset.ts";
import { deriveSeed } from "../core/hash.ts";
import type { Registries } from "../registry.ts";
import { tf } from "../tf.ts";
import { train } from "../training/train.ts";
import { splitMse } from "../metrics/evaluate.ts";
import type { MetricDefinition } from "../metrics/metric.ts";
import { CaseFailure, failureKindOf } from "./failure.ts";
import { assertNoGpuErrors } from "../backend/gpu_errors.ts";
import {
  type Environment,
  erroredResult,
  resultBase,
  type ResultRecord,
  type Table,
} from "./result.ts";
import type { RunSpec } from "./suite.ts";

/** Progress of a running case. */
export interface CaseProgress {
  /** What the case is doing. */
  readonly phase: "data" | "train" | "eval";
  /** Steps done in this phase. */
  readonly step: number;
  /** Steps in this phase. */
  readonly steps: number;
}

/** Optional hooks. */
export interface RunCaseHooks {
  readonly onProgress?: (p: CaseProgress) => void;
  readonly signal?: AbortSignal;
}

function describeError(e: unknown): string {
  if (e instanceof Error) {
    const where = e.stack?.split("\n").slice(1, 3).map((l) => l.trim()).join(" | ") ?? "";
    return `${e.name}: ${e.message}${where ? ` (${where})` : ""}`;
  }
  return String(e);
}

/**
 * Checks a metric's values against its declared columns: every value is a declared column, and
 * finite unless the column may be NaN.
 *
 * @throws CaseFailure (`non-finite`) naming the column; Error for an undeclared column.
 */
function checkMetricValues(metric: MetricDefinition, values: Readonly<Record<string, number>>) {
  const columns = new Map(metric.columns.map((c) => [c.name, c]));
  for (const [k, v] of Object.entries(values)) {
    const column = columns.get(k);
    if (!column) {
      throw new Error(
        `metric ${metric.id} returned "${k}", which is not one of its columns ` +
          `(${[...columns.keys()].join(", ")})`,
      );
    }
    if (!Number.isFinite(v) && !column.mayBeNaN) {
      throw new CaseFailure("non-finite", `metric ${k} is not finite (${v})`);
    }
  }
}

/** Runs the case; resolves to a record in every state. */
export async function runCase(
  spec: RunSpec,
  environment: Environment,
  registries: Registries,
  hooks: RunCaseHooks = {},
): Promise<ResultRecord> {
  const started = new Date();
  const env: Environment = { ...environment, activeBackend: tf.getBackend() };
  const progress = hooks.onProgress ?? (() => {});
  let dataset;
  try {
    progress({ phase: "data", step: 0, steps: 1 });
    const def = registries.datasets.get(spec.dataset.id);
    dataset = await def.load(spec.dataset.config, {
      seed: spec.seeds.data,
      dataDir: spec.dataDir,
    });
  } catch (e) {
    if (e instanceof DatasetUnavailableError) {
      return { ...resultBase(spec, env, started), state: "skipped", reason: e.message };
    }
    return erroredResult(
      resultBase(spec, env, started),
      `loading data: ${describeError(e)}`,
      failureKindOf(e),
    );
  }
  let model;
  try {
    const modelDef = registries.models.get(spec.model.id);
    const declined = modelDef.decline?.({
      inputs: dataset.inputs,
      target: dataset.target,
      edges: dataset.edges,
    });
    if (declined) {
      return {
        ...resultBase(spec, env, started),
        state: "skipped",
        reason: `model ${spec.model.id} declines data set ${spec.dataset.id}: ${declined}`,
      };
    }
    model = modelDef.create(spec.model.config, {
      inputs: dataset.inputs,
      target: dataset.target,
      seed: spec.seeds.init,
      edges: dataset.edges,
    });
  } catch (e) {
    return erroredResult(
      resultBase(spec, env, started),
      `building model: ${describeError(e)}`,
      failureKindOf(e),
    );
  }
  let outcome: ResultRecord;
  try {
    const weighting = registries.procedures.get(spec.procedure.id).create(spec.procedure.config);
    const history = await train(model, dataset, weighting, spec.train, {
      seed: spec.seeds.case,
      signal: hooks.signal,
      validate: dataset.splits.val
        ? () => splitMse(model, dataset, dataset.splits.val!, spec.eval.batchSize)
        : undefined,
      onProgress: (step, steps) => {
        if (step === steps || step % Math.max(1, Math.floor(steps / 20)) === 0) {
          progress({ phase: "train", step, steps });
        }
      },
    });
    const metrics: Record<string, number> = {};
    const artifacts: Record<string, Table> = {};
    for (const [i, id] of spec.metrics.entries()) {
      progress({ phase: "eval", step: i, steps: spec.metrics.length });
      const metric = registries.metrics.get(id);
      const values = await metric.compute({
        model,
        dataset,
        history,
        eval: spec.eval,
        trainWarmup: spec.train.timingWarmup,
        trainBatchSize: spec.train.batchSize,
        seed: deriveSeed(spec.seeds.case, "metric", id),
        previous: { ...metrics },
        addArtifact: (name, table) => {
          artifacts[name] = table;
        },
      });
      checkMetricValues(metric, values);
      Object.assign(metrics, values);
    }
    assertNoGpuErrors("during evaluation");
    outcome = {
      ...resultBase(spec, env, started),
      state: "completed",
      metrics,
      dataProtocol: dataset.protocol,
      ...(Object.keys(artifacts).length ? { artifacts } : {}),
      history: { loss: history.loss, taskWeights: history.taskWeights },
    };
  } catch (e) {
    outcome = hooks.signal?.aborted
      ? { ...resultBase(spec, env, started), state: "aborted", reason: "interrupted" }
      : erroredResult(resultBase(spec, env, started), describeError(e), failureKindOf(e));
  }
  try {
    model.dispose();
  } catch (e) {
    // A backend that fails to free memory (tfjs-wasm: "memory access out of bounds" after a
    // heap overrun) may have corrupted what it computed, so the case is not `completed`; the
    // numbers it had are kept in the message for a person to look at.
    if (outcome.state !== "completed") return outcome;
    const had = Object.entries(outcome.metrics).map(([k, v]) => `${k}=${v.toPrecision(4)}`);
    return erroredResult(
      resultBase(spec, env, started),
      `freeing the model after evaluation failed (${describeError(e)}); the backend's memory ` +
        `may be corrupt, so these metrics are not kept as a result: ${had.join(", ")}`,
      failureKindOf(e),
    );
  }
  return outcome;
}
