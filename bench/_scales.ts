/**
 * What the accuracy suites (`nbody`, `md17`, `mocap`) share at each scale, stated once: the
 * training and evaluation settings, the β grid, the repetitions and the sizes of the models that
 * several suites run. A suite's scale is {@linkcode scaleSettings} of its differences: it always
 * states its own steps, batch sizes and test inputs for E/E', and anything else it does
 * differently (e.g. `gradClip: 0` where the paper clips nothing).
 *
 * @module
 */
import type { EvalConfig } from "../src/metrics/metric.ts";
import type { Scale, ScaleSettings } from "../src/runner/suite.ts";
import type { TrainConfig } from "../src/training/train.ts";

type Shared<T, Own extends keyof T> = Omit<T, Own>;

/** Training settings a suite may leave to the scale. */
export type SharedTrain = Shared<TrainConfig, "steps" | "batchSize" | "syncEvery">;
/** Evaluation settings a suite may leave to the scale. */
export type SharedEval = Shared<EvalConfig, "batchSize" | "equiInputs">;

/** The shared part of one scale. */
export interface ScaleDefaults {
  /** Training settings besides steps and batch size. */
  readonly train: SharedTrain;
  /** Evaluation settings besides the batch size and the inputs for E and E'. */
  readonly eval: SharedEval;
  /** β values of grid entries with `sweepBeta`. */
  readonly betas: readonly number[];
  /** Repetitions of every grid point. */
  readonly repetitions: number;
}

/**
 * The shared settings per scale: `smoke` is seconds per case (numbers meaningless), `small`
 * minutes on a laptop CPU, `paper` the paper's protocol (docs/protocols.md).
 */
export const SCALE_DEFAULTS: Readonly<Record<Scale, ScaleDefaults>> = {
  smoke: {
    train: { lr: 3e-3, gradClip: 10, groupSamples: 1, timingWarmup: 5, validateEvery: 0 },
    eval: { equiSamples: 100, inferenceRepeats: 5, inferenceWarmup: 1 },
    betas: [1, 10],
    repetitions: 1,
  },
  small: {
    train: { lr: 1e-3, gradClip: 10, groupSamples: 1, timingWarmup: 20, validateEvery: 0 },
    eval: { equiSamples: 100, inferenceRepeats: 20, inferenceWarmup: 3 },
    betas: [0.01, 0.1, 1, 10, 100],
    repetitions: 1,
  },
  paper: {
    train: { lr: 3e-4, gradClip: 10, groupSamples: 1, timingWarmup: 50, validateEvery: 0 },
    eval: { equiSamples: 100, inferenceRepeats: 50, inferenceWarmup: 5 },
    betas: [0, 0.01, 0.1, 1, 10, 100],
    repetitions: 3,
  },
};

/** The models whose size several suites share. */
export type SharedModel = "transformer" | "gatr" | "se3-transformer" | "egnn" | "gnn";

/** Sizes of the shared models per scale (`paper`: the paper's N-body sizes, Table 3). */
export const MODEL_SIZES: Readonly<
  Record<Scale, Readonly<Record<SharedModel, Readonly<Record<string, number>>>>>
> = {
  smoke: {
    transformer: { blocks: 1, channels: 16, heads: 2 },
    gatr: { blocks: 1, mvChannels: 4, sChannels: 8, heads: 2 },
    "se3-transformer": { layers: 1, channels: 4, maxDegree: 1 },
    egnn: { layers: 2, hidden: 16 },
    gnn: { layers: 2, hidden: 16 },
  },
  small: {
    transformer: { blocks: 3, channels: 64, heads: 4 },
    gatr: { blocks: 3, mvChannels: 8, sChannels: 32, heads: 4 },
    "se3-transformer": { layers: 2, channels: 4, maxDegree: 1 },
    egnn: { layers: 4, hidden: 32 },
    gnn: { layers: 4, hidden: 32 },
  },
  paper: {
    transformer: { blocks: 10, channels: 384, heads: 8 },
    gatr: { blocks: 10, mvChannels: 16, sChannels: 128, heads: 8 },
    "se3-transformer": { layers: 4, channels: 8, maxDegree: 3 },
    egnn: { layers: 4, hidden: 64 },
    gnn: { layers: 4, hidden: 64 },
  },
};

/**
 * The shared sizes of `ids` at a scale, as a suite's `models` (add the suite's own models after).
 *
 * @example
 * ```ts
 * import { modelSizes } from "./_scales.ts";
 * console.log(modelSizes("smoke", "gnn")); // { gnn: { layers: 2, hidden: 16 } }
 * ```
 */
export function modelSizes(
  scale: Scale,
  ...ids: readonly SharedModel[]
): Record<string, Readonly<Record<string, number>>> {
  return Object.fromEntries(ids.map((id) => [id, MODEL_SIZES[scale][id]]));
}

/** What a suite states at a scale: its own settings and where it differs from the defaults. */
export interface ScaleDifferences {
  /** Overrides of the data set's defaults. */
  readonly dataset: ScaleSettings["dataset"];
  /** Model configs by id (e.g. `{ ...modelSizes(scale, "gnn"), mlp: { hidden: 32 } }`). */
  readonly models: ScaleSettings["models"];
  /** Steps and batch size, and any shared training setting this suite sets otherwise. */
  readonly train: Pick<TrainConfig, "steps" | "batchSize"> & Partial<TrainConfig>;
  /** Batch size and inputs for E/E', and any shared evaluation setting set otherwise. */
  readonly eval: Pick<EvalConfig, "batchSize" | "equiInputs"> & Partial<SharedEval>;
  /** β values instead of the scale's. */
  readonly betas?: readonly number[];
  /** Repetitions instead of the scale's. */
  readonly repetitions?: number;
}

/**
 * A suite's settings at a scale: {@linkcode SCALE_DEFAULTS} with the suite's differences. Keys
 * come in the config types' order, so the resolved configs (and the seeds derived from them) do
 * not depend on the order a suite writes its differences in.
 *
 * @example
 * ```ts
 * import { scaleSettings } from "./_scales.ts";
 * const s = scaleSettings("paper", {
 *   dataset: {},
 *   models: {},
 *   train: { steps: 100, batchSize: 8, gradClip: 0 },
 *   eval: { batchSize: 8, equiInputs: 10 },
 * });
 * console.log(s.train.gradClip, s.train.lr, s.repetitions); // 0 0.0003 3
 * ```
 */
export function scaleSettings(scale: Scale, differences: ScaleDifferences): ScaleSettings {
  const d = SCALE_DEFAULTS[scale];
  const t = { ...d.train, ...differences.train };
  const e = { ...d.eval, ...differences.eval };
  return {
    dataset: differences.dataset,
    models: differences.models,
    train: {
      steps: t.steps,
      batchSize: t.batchSize,
      lr: t.lr,
      gradClip: t.gradClip,
      groupSamples: t.groupSamples,
      timingWarmup: t.timingWarmup,
      validateEvery: t.validateEvery,
      ...(t.syncEvery !== undefined ? { syncEvery: t.syncEvery } : {}),
    },
    eval: {
      batchSize: e.batchSize,
      equiInputs: e.equiInputs,
      equiSamples: e.equiSamples,
      inferenceRepeats: e.inferenceRepeats,
      inferenceWarmup: e.inferenceWarmup,
      ...(e.surfaceSteps !== undefined ? { surfaceSteps: e.surfaceSteps } : {}),
      ...(e.surfaceRange !== undefined ? { surfaceRange: e.surfaceRange } : {}),
    },
    betas: differences.betas ?? d.betas,
    repetitions: differences.repetitions ?? d.repetitions,
  };
}
