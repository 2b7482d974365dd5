/**
 * A result is a discriminated union on `state`. Only `completed` carries metrics; every record
 * carries its run spec, environment and timestamps.
 *
 * @module
 */
import type { BackendChoice } from "../backend/backend.ts";
import type { RunSpec } from "./suite.ts";
import type { FailureKind } from "./failure.ts";

/** Where and with what a result was produced. */
export interface Environment {
  /** Deno version. */
  readonly deno: string;
  /** V8 version. */
  readonly v8: string;
  /** TypeScript version bundled with Deno. */
  readonly typescript: string;
  /** TensorFlow.js version. */
  readonly tfjs: string;
  /** Operating system (`Deno.build.os`). */
  readonly os: string;
  /** CPU architecture (`Deno.build.arch`). */
  readonly arch: string;
  /** Logical CPUs (`navigator.hardwareConcurrency`). */
  readonly cpus: number;
  /** Commit of the harness (`-dirty` with local changes), or null when unknown. */
  readonly gitCommit: string | null;
  /** The backend choice of the run, with its reason. */
  readonly backend: BackendChoice;
  /** The tfjs backend the worker actually ran on. */
  readonly activeBackend?: string;
  /** Kernels the project replaced on that backend, and what runs them (e.g. OpenBLAS). */
  readonly kernels?: readonly string[];
}

/** Fields every record has. */
export interface ResultBase {
  /** Case id. */
  readonly id: string;
  /** Suite id. */
  readonly suite: string;
  /** Data set id. */
  readonly dataset: string;
  /** Model id. */
  readonly model: string;
  /** Training procedure id. */
  readonly procedure: string;
  /** Grid parameters of the case. */
  readonly params: RunSpec["params"];
  /** Scale of the run. */
  readonly scale: RunSpec["scale"];
  /** Repetition index. */
  readonly repetition: number;
  /** Derived seeds (case, data, init). */
  readonly seeds: RunSpec["seeds"];
  /** Every resolved config and protocol choice the case ran with. */
  readonly config: Pick<RunSpec, "dataset" | "model" | "procedure" | "train" | "eval" | "protocol">;
  /** Where and with what the case ran. */
  readonly environment: Environment;
  /** When the case started (ISO 8601). */
  readonly startedAt: string;
  /** When the case ended (ISO 8601). */
  readonly endedAt: string;
}

/** A small table: column names and rows of numbers. */
export interface Table {
  /** Column names. */
  readonly columns: readonly string[];
  /** Rows, each as long as `columns`. */
  readonly rows: readonly (readonly number[])[];
}

/** A finished experiment. */
export interface CompletedResult extends ResultBase {
  /** Discriminant of the union. */
  readonly state: "completed";
  /** Metric values by column name (see `MetricDefinition.columns`). */
  readonly metrics: Readonly<Record<string, number>>;
  /** Data-set protocol details (sizes, rotations, rejected candidates, ...). */
  readonly dataProtocol: Readonly<Record<string, unknown>>;
  /** Tables a metric produced (e.g. a loss-surface grid), written as `<name>_<case>.csv`. */
  readonly artifacts?: Readonly<Record<string, Table>>;
  /** Sampled loss curve and α/β trajectory. */
  readonly history: {
    readonly loss: readonly (readonly [number, number])[];
    /** `[step, α, β]`: the task weights (GradNorm's trajectory; constant otherwise). */
    readonly taskWeights: readonly (readonly [number, number, number])[];
  };
}

/** An experiment that threw, diverged, or whose worker died. */
export interface ErroredResult extends ResultBase {
  /** Discriminant of the union. */
  readonly state: "errored";
  /** What kind of failure: out-of-memory, device-lost, timeout, non-finite, worker-died, exception. */
  readonly failure: FailureKind;
  /** What failed and why. */
  readonly error: string;
}

/** An experiment that could not run here for a stated reason (e.g. missing data). */
export interface SkippedResult extends ResultBase {
  /** Discriminant of the union. */
  readonly state: "skipped";
  /** Why it did not run or finish. */
  readonly reason: string;
}

/** An experiment stopped by the user before it finished. */
export interface AbortedResult extends ResultBase {
  /** Discriminant of the union. */
  readonly state: "aborted";
  /** Why it did not run or finish. */
  readonly reason: string;
}

/** Any result. */
export type ResultRecord = CompletedResult | ErroredResult | SkippedResult | AbortedResult;

/** Builds the common fields of a record from its spec. */
export function resultBase(
  spec: RunSpec,
  environment: Environment,
  startedAt: Date,
  endedAt: Date = new Date(),
): ResultBase {
  return {
    id: spec.id,
    suite: spec.suite,
    dataset: spec.dataset.id,
    model: spec.model.id,
    procedure: spec.procedure.id,
    params: spec.params,
    scale: spec.scale,
    repetition: spec.repetition,
    seeds: spec.seeds,
    config: {
      dataset: spec.dataset,
      model: spec.model,
      procedure: spec.procedure,
      train: spec.train,
      eval: spec.eval,
      protocol: spec.protocol,
    },
    environment,
    startedAt: startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
  };
}

/**
 * Builds an `errored` record.
 *
 * @param base the case's record fields.
 * @param error what failed and why.
 * @param failure the kind, as known where the failure happened (`failure.ts`).
 */
export function erroredResult(
  base: ResultBase,
  error: string,
  failure: FailureKind,
): ErroredResult {
  return { ...base, state: "errored", failure, error };
}
