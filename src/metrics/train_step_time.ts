/**
 * Training-step time measured with the harness's own training loop: a short `train` run whose
 * per-step wall times (forward + backward + clipping + Adam update, synchronised by reading the
 * loss back, batch cut and rotations sampled inside the timed region) are summarised the way the
 * `train-time` metric summarises them: the first step is the cold start, the next `warmup` are
 * dropped, the median and IQR come from the rest.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import type { Weighting } from "../training/procedure.ts";
import { train } from "../training/train.ts";
import { summarizeTimes, type TimingSummary } from "./timing.ts";

/** Options of {@linkcode trainStepTime}. */
export interface TrainStepTimeOptions {
  /** Samples per step (capped at the training split's size, as `train` does). */
  readonly batchSize: number;
  /** Adam learning rate. */
  readonly lr: number;
  /** Global-norm gradient clip; 0 disables it. */
  readonly gradClip: number;
  /** Steps after the cold first step left out of the summary. */
  readonly warmup: number;
  /** Steps summarised. */
  readonly repeats: number;
  /** Drives batch order and the sampled rotations. */
  readonly seed: number;
  /** Group elements per input for the equivariance term (default 1). */
  readonly groupSamples?: number;
}

/** What {@linkcode trainStepTime} measured, in milliseconds. */
export interface TrainStepTime {
  /** The first step (kernel compilation, allocation). */
  readonly coldStartMs: number;
  /** The `repeats` steps after the warm-up. */
  readonly steps: TimingSummary;
  /** Every step's wall time, cold start first. */
  readonly stepMs: readonly number[];
  /** Loss of the last step. */
  readonly finalLoss: number;
}

/**
 * Times `1 + warmup + repeats` training steps of `model` on `dataset` (the weights are trained in
 * place).
 *
 * @param model the model; its weights change.
 * @param dataset the data set; batches come from its training split, rotations from
 *   `trainRotations`.
 * @param weighting the loss weights: `{ kind: "constant", alpha: 1, beta: 0 }` is a plain step,
 *   `beta: 1` a REMUL step (the batch and a rotated copy in one forward pass of 2B).
 * @param options batch size, optimiser settings, warm-up, repeats and seed.
 * @returns the cold start, the summary of the timed steps and the raw times.
 * @throws RangeError when `repeats < 1` or `warmup < 0`; `NonFiniteLossError` from `train`.
 *
 * @example
 * ```ts
 * import { trainStepTime } from "./train_step_time.ts";
 * import { createModel, loadDataset } from "../registry.ts";
 * const data = await loadDataset("nbody", { seed: 1, config: { val: 1, test: 1, ood: 1 } });
 * const model = createModel("mlp", { ...data, seed: 1, config: { hidden: 8, layers: 1 } });
 * const t = await trainStepTime(model, data, { kind: "constant", alpha: 1, beta: 1 }, {
 *   batchSize: 4, lr: 1e-3, gradClip: 10, warmup: 1, repeats: 2, seed: 1,
 * });
 * console.log(t.steps.n); // 2
 * model.dispose();
 * ```
 */
export async function trainStepTime(
  model: Model,
  dataset: Dataset,
  weighting: Weighting,
  options: TrainStepTimeOptions,
): Promise<TrainStepTime> {
  const { warmup, repeats } = options;
  if (!(Number.isInteger(repeats) && repeats >= 1)) {
    throw new RangeError(`trainStepTime: repeats must be a positive integer, got ${repeats}`);
  }
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new RangeError(`trainStepTime: warmup must be a non-negative integer, got ${warmup}`);
  }
  const history = await train(model, dataset, weighting, {
    steps: 1 + warmup + repeats,
    batchSize: options.batchSize,
    lr: options.lr,
    gradClip: options.gradClip,
    groupSamples: options.groupSamples ?? 1,
    timingWarmup: warmup,
    validateEvery: 0,
  }, { seed: options.seed });
  return {
    coldStartMs: history.stepMs[0],
    steps: summarizeTimes(history.stepMs.slice(1 + warmup)),
    stepMs: history.stepMs,
    finalLoss: history.finalLoss,
  };
}
