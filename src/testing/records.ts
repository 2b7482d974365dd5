/**
 * Synthetic result records for the report and runner tests (no training involved): a record
 * builder and a demo results folder that exercises every view of the report.
 *
 * @module
 */
import { caseId, type ParamValue } from "../core/case_id.ts";
import {
  type Environment,
  erroredResult,
  type ResultBase,
  type ResultRecord,
} from "../runner/result.ts";
import type { PaperReference } from "../runner/suite.ts";

/** The environment of synthetic records. */
export const TEST_ENVIRONMENT: Environment = {
  deno: "2.9.6",
  v8: "15.0.245.2-rusty",
  typescript: "6.0.3",
  tfjs: "4.22.0",
  os: "linux",
  arch: "x86_64",
  cpus: 2,
  gitCommit: "0123456789abcdef0123456789abcdef01234567",
  backend: {
    name: "wasm",
    requested: "auto",
    reason: "auto: no WebGPU adapter",
    adapter: null,
  },
  activeBackend: "wasm",
};

/** What {@linkcode makeRecord} varies. */
export interface RecordSpec {
  model?: string;
  procedure?: string;
  params?: Record<string, ParamValue>;
  /** Repetition index; `reps` > 1 adds `rep=` to the id. */
  rep?: number;
  reps?: number;
  metrics?: Record<string, number>;
  state?: ResultRecord["state"];
  message?: string;
  suite?: string;
  dataset?: string;
  /** Data-set config keys (parameters found here count as data-set parameters). */
  datasetConfig?: Record<string, unknown>;
  environment?: Environment;
}

/** Builds one synthetic record. */
export function makeRecord(spec: RecordSpec = {}): ResultRecord {
  const model = spec.model ?? "transformer";
  const procedure = spec.procedure ?? "plain";
  const params = { procedure, ...(spec.params ?? {}) };
  const rep = spec.rep ?? 0;
  const id = caseId(model, (spec.reps ?? 1) > 1 ? { ...params, rep } : params);
  const procConfig: Record<string, ParamValue> = "beta" in params
    ? { beta: params.beta as number }
    : {};
  const base: ResultBase = {
    id,
    suite: spec.suite ?? "nbody",
    dataset: spec.dataset ?? "nbody",
    model,
    procedure,
    params,
    scale: "smoke",
    repetition: rep,
    seeds: { case: 1, data: 2, init: 3 },
    config: {
      dataset: {
        id: spec.dataset ?? "nbody",
        config: { train: 100, ...(spec.datasetConfig ?? {}) },
      },
      model: { id: model, config: {} },
      procedure: { id: procedure, config: procConfig },
      train: {
        steps: 10,
        batchSize: 8,
        lr: 1e-3,
        gradClip: 10,
        groupSamples: 1,
        timingWarmup: 1,
        validateEvery: 0,
      },
      eval: {
        batchSize: 8,
        equiInputs: 2,
        equiSamples: 2,
        inferenceRepeats: 2,
        inferenceWarmup: 1,
      },
      protocol: { betaGrid: [1, 10], repetitions: spec.reps ?? 1, scale: "smoke" },
    },
    environment: spec.environment ?? TEST_ENVIRONMENT,
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:00:02.500Z",
  };
  const state = spec.state ?? "completed";
  if (state === "completed") {
    return {
      ...base,
      state,
      metrics: spec.metrics ?? {},
      dataProtocol: {},
      history: { loss: [], taskWeights: [] },
    };
  }
  if (state === "errored") return erroredResult(base, spec.message ?? "boom", "exception");
  return { ...base, state, reason: spec.message ?? "not here" };
}

/** Metrics of a plausible N-body result, varied by `k`. */
export function nbodyMetrics(k: number, ms = 10): Record<string, number> {
  return {
    mse_val: 0.01 * (1 + k / 10),
    mse_test: 0.01 * (1 + k / 10),
    mse_ood: 0.05 * (1 + k / 5),
    equi_e: 0.15 / (1 + k),
    equi_e_prime: 0.9 / (1 + k),
    equi_e_prime_rel: 0.5 / (1 + k),
    train_step_ms: ms,
    train_step_iqr_ms: ms / 10,
    cold_start_ms: ms * 20,
    train_time_s: ms * 0.04,
    infer_ms: ms / 4,
    infer_iqr_ms: ms / 40,
    n_params: 2339,
    final_loss: 1e-3,
    final_alpha: 1,
    final_beta: 0,
  };
}

/** A reference for the demo records (as a suite would define it). */
export const DEMO_REFERENCE: PaperReference = {
  metric: "mse_test",
  factor: 100,
  label: "MSE ×10⁻²",
  source: "synthetic test reference",
  rows: [
    { match: { model: "transformer", procedure: "plain" }, value: 1.2, spread: 0.1 },
    { match: { model: "egnn" }, value: 0.9 },
  ],
};

/**
 * Records that fill every view: a β sweep (with repetitions and one errored point), plain,
 * augmentation and an equivariant model as references, a second data-set parameter panel,
 * a batch-size sweep with an out-of-memory failure, and a group-sample sweep.
 */
export function demoRecords(): ResultRecord[] {
  const out: ResultRecord[] = [];
  for (const [procedure, k] of [["plain", 0], ["augmentation", 1]] as const) {
    out.push(makeRecord({ procedure, metrics: nbodyMetrics(k) }));
  }
  out.push(makeRecord({ model: "egnn", metrics: { ...nbodyMetrics(3), equi_e: 1.5e-8 } }));
  for (const procedure of ["remul", "remul-gradnorm"]) {
    for (const beta of [0.01, 0.1, 1, 10, 100]) {
      for (let rep = 0; rep < 2; rep++) {
        const k = Math.log10(beta) + 3 + (procedure === "remul" ? 0 : 0.5) + rep * 0.3;
        out.push(
          makeRecord({ procedure, params: { beta }, rep, reps: 2, metrics: nbodyMetrics(k) }),
        );
      }
    }
  }
  out.push(
    makeRecord({
      model: "gnn",
      procedure: "remul",
      params: { beta: 1 },
      state: "errored",
      message: "NonFiniteLossError: loss became NaN at step 3",
    }),
  );
  for (const beta of [1, 10]) {
    out.push(
      makeRecord({
        model: "gnn",
        procedure: "remul",
        params: { beta, molecule: "aspirin" },
        datasetConfig: { molecule: "aspirin" },
        metrics: nbodyMetrics(beta),
      }),
    );
  }
  out.push(
    makeRecord({
      model: "gnn",
      params: { molecule: "aspirin" },
      datasetConfig: { molecule: "aspirin" },
      metrics: nbodyMetrics(0),
    }),
  );
  for (const model of ["transformer", "gatr"]) {
    for (const batch of [1, 4, 16, 64, 256, 1024, 2048]) {
      if (model === "gatr" && batch === 2048) {
        out.push(
          makeRecord({
            model,
            suite: "cost",
            params: { batchSize: batch },
            state: "errored",
            message: "out of memory at batch 2048",
          }),
        );
        continue;
      }
      const ms = (model === "gatr" ? 10 : 1) * (5 + batch * 0.5);
      out.push(
        makeRecord({
          model,
          suite: "cost",
          params: { batchSize: batch },
          metrics: nbodyMetrics(0, ms),
        }),
      );
    }
  }
  for (const procedure of ["remul", "augmentation"]) {
    for (const groupSamples of [1, 2, 4, 8]) {
      out.push(
        makeRecord({
          procedure,
          params: { groupSamples, ...(procedure === "remul" ? { beta: 1 } : {}) },
          metrics: nbodyMetrics(groupSamples * (procedure === "remul" ? 1 : 2)),
        }),
      );
    }
  }
  return out;
}

/** A bowl-shaped loss surface CSV (long layout), 21 × 21 points on [-1, 1]². */
export function demoLossSurfaceCsv(skew = 1): string {
  const lines = ["alpha,beta,loss"];
  for (let j = 0; j <= 20; j++) {
    for (let i = 0; i <= 20; i++) {
      const a = -1 + i / 10, b = -1 + j / 10;
      lines.push(
        `${a},${b},${(0.01 + a * a + skew * b * b + 0.3 * Math.sin(3 * a) ** 2).toFixed(6)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/** Writes a demo results folder (records, two loss surfaces, one malformed CSV); returns it. */
export async function writeDemoFolder(dir: string): Promise<string> {
  const records = demoRecords();
  await Deno.writeTextFile(
    `${dir}/results.jsonl`,
    records.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  await Deno.writeTextFile(`${dir}/loss_surface_transformer.csv`, demoLossSurfaceCsv(1));
  await Deno.writeTextFile(`${dir}/loss_surface_gatr.csv`, demoLossSurfaceCsv(4));
  await Deno.writeTextFile(`${dir}/loss_surface_broken.csv`, "a,b\n1,2\n");
  return dir;
}
