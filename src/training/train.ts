/**
 * The training loop shared by every procedure: Adam on `α·L_obj + β·L_equi` (REMUL loss), with
 * constant weights or GradNorm, global-norm gradient clipping, per-step wall-clock timing, a
 * non-finite-loss guard and, optionally, model selection on the validation split (the weights
 * with the lowest validation error are kept, as GMN/EGHN report the test error at the epoch of
 * best validation error).
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import { type Dataset, makeBatch } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import { sampleRotations } from "../symmetry/rotation.ts";
import { type Tensor, tf, type Variable } from "../tf.ts";
import { gradNormStepTensors, type GradNormTensors } from "./gradnorm_device.ts";
import type { Weighting } from "./procedure.ts";
import { remulLoss } from "./remul_loss.ts";
import { remulTaskGradientsQueued } from "./task_gradients.ts";
import { type AdamStepStart, FlatAdam } from "./flat_adam.ts";
import {
  copyInto,
  copyTensor,
  type ReplayStatus,
  StepReplay,
} from "../backend/webgpu_step_replay.ts";
import { submitPending } from "../backend/webgpu_queue.ts";
import { safeVariableGrads } from "./safe_variable_grads.ts";
import { assertNoGpuErrors } from "../backend/gpu_errors.ts";
import { readAll } from "../backend/read_all.ts";
import type { GradNormConfig } from "./gradnorm.ts";

/** Training hyperparameters. */
export type TrainConfig = {
  /** Optimiser steps. */
  steps: number;
  batchSize: number;
  /** Adam learning rate. */
  lr: number;
  /** Clip gradients to this global norm; 0 disables clipping. */
  gradClip: number;
  /** Group elements sampled per training input for the equivariance term. */
  groupSamples: number;
  /** Steps excluded from the timing summary after the first (cold-start) step. */
  timingWarmup: number;
  /**
   * Validate every this many steps (and after the last) and keep the weights with the lowest
   * validation error; 0 keeps the last step's weights. Validation time is not in the step times.
   */
  validateEvery: number;
  /**
   * Read the loss back (and check it is finite) every this many steps; the steps between are
   * queued without waiting for the device. Default: 1 on wasm and cpu (their kernels run as they
   * are called, so a readback costs nothing), 10 on WebGPU (every readback costs a round trip,
   * ≥ 11 ms under Deno). GradNorm's weights are updated on the device, so it queues alike.
   */
  syncEvery?: number;
};

/** The readback interval {@linkcode train} uses for a config on the active backend. */
export function resolveSyncEvery(config: TrainConfig): number {
  if (config.syncEvery !== undefined) {
    if (!Number.isInteger(config.syncEvery) || config.syncEvery < 1) {
      throw new Error(`train: syncEvery must be an integer ≥ 1, got ${config.syncEvery}`);
    }
    return config.syncEvery;
  }
  return tf.getBackend() === "webgpu" ? 10 : 1;
}

/** Thrown when the loss becomes NaN or infinite. */
export class NonFiniteLossError extends Error {
  /** Error name. */
  override name = "NonFiniteLossError";
}

/** What training produced besides the trained weights. */
export interface TrainHistory {
  /** `[step, total loss]`, sampled at most ~200 times. */
  readonly loss: [number, number][];
  /** `[step, α, β]` at the same sampling (GradNorm trajectory; constant otherwise). */
  readonly taskWeights: [number, number, number][];
  /**
   * Wall-clock ms of every step (forward + backward + update). With `syncEvery` k > 1 the steps
   * of a window of k share the window's synchronised time equally.
   */
  readonly stepMs: number[];
  /** The loss was read back (and checked) every this many steps. */
  readonly syncEvery: number;
  /** Loss of the last step. */
  readonly finalLoss: number;
  /** `[step, validation error]` at every validation (empty when `validateEvery` is 0). */
  readonly validation: [number, number][];
  /** Step whose weights the model holds after training (`steps` unless validation chose one). */
  readonly bestStep: number;
  /**
   * Steps replayed as recorded WebGPU commands (`webgpu_step_replay.ts`; 0 elsewhere, and with
   * `REMUL_WEBGPU_REPLAY=0`): the same kernels on the same buffers with the step's
   * own inputs, bit-identical to running them through tfjs.
   */
  readonly replayedSteps: number;
}

/** Progress callback: step done out of total. */
export type TrainProgress = (step: number, steps: number) => void;

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Drives batch order and the sampled group elements. */
  readonly seed: number;
  /** Called after every step. */
  readonly onProgress?: TrainProgress;
  /** Stops training between steps (throws the signal's reason). */
  readonly signal?: AbortSignal;
  /** Validation error of the model as it is now (lower is better); needed when `validateEvery > 0`. */
  readonly validate?: () => Promise<number>;
}

/** One training step's inputs. */
interface StepContext {
  readonly model: Model;
  readonly dataset: Dataset;
  readonly optimizer: FlatAdam;
  readonly config: TrainConfig;
}

/** Keeps a copy of the weights with the lowest validation error seen so far. */
class BestWeights {
  #copy: Tensor[] | undefined;
  #error = Infinity;
  step = 0;

  /** Copies the weights if `error` beats the best so far (a NaN error never does). */
  offer(step: number, error: number, params: readonly Variable[]): void {
    if (!(error < this.#error)) return;
    this.#error = error;
    this.step = step;
    this.dispose();
    // copies of their own: on webgpu Adam writes a weight in place when nothing shares it
    this.#copy = params.map((p) => tf.keep(copyTensor(p)));
  }

  /** Writes the kept weights back into `params`. */
  restore(params: readonly Variable[]): void {
    this.#copy?.forEach((c, i) => params[i].assign(c));
  }

  dispose(): void {
    if (this.#copy) tf.dispose(this.#copy);
    this.#copy = undefined;
  }
}

/**
 * A training step queued on the backend: its loss, a scalar, or under GradNorm `[loss, α, β]`
 * with the weights after the step's update (one tensor, so that a queued step holds no buffer the
 * next step could have reused). The caller reads ({@linkcode readQueuedSteps}) and disposes it.
 */
export type QueuedStep = Tensor;

/** What a {@linkcode QueuedStep} read back holds. */
export interface StepValues {
  readonly loss: number;
  /** Task weights after the step (the constant ones, or GradNorm's). */
  readonly alpha: number;
  readonly beta: number;
}

/**
 * Reads queued steps back in one readback. The tensors are not disposed.
 *
 * @param weighting gives the task weights of steps that carry none (constant weights).
 */
export async function readQueuedSteps(
  steps: readonly QueuedStep[],
  weighting: Weighting,
): Promise<StepValues[]> {
  const read = await readAll(steps);
  let q = 0;
  return steps.map((s) => {
    const loss = read[q++];
    if (s.size === 1) return { loss, alpha: weighting.alpha, beta: weighting.beta };
    return { loss, alpha: read[q++], beta: read[q++] };
  });
}

/** One training step at a time: what {@linkcode train} loops over, and what the profiler times. */
export interface Trainer {
  /**
   * Runs one step (batch, group elements, forward, backward, clipping, Adam update) and resolves to
   * its loss, read back from the backend (so the step is synchronised).
   */
  step(): Promise<number>;
  /**
   * Runs one step without waiting for the device: its loss (and GradNorm's new weights) stay on
   * the backend; the caller reads ({@linkcode readQueuedSteps}) and disposes them.
   */
  stepQueued(): QueuedStep;
  /**
   * Whether steps are replayed as recorded WebGPU commands (`webgpu_step_replay.ts`), and why
   * not.
   */
  readonly replay: ReplayStatus;
  /** Steps replayed so far. */
  readonly replayedSteps: number;
  /** Frees the optimiser's state and GradNorm's. */
  dispose(): void;
}

/**
 * Builds a {@linkcode Trainer}: batch order and group elements drawn from `seed`, Adam at
 * `config.lr`, clipping at `config.gradClip`. A step that throws frees every tensor it made.
 *
 * @param seed drives batch order and the sampled group elements.
 *
 * @example
 * ```ts
 * import { createRegistries } from "../registry.ts";
 * import { createTrainer } from "./train.ts";
 * const reg = createRegistries();
 * const data = await reg.datasets.get("nbody").load(
 *   { ...reg.datasets.get("nbody").defaults, train: 8, val: 0, test: 4, ood: 0 },
 *   { seed: 1, dataDir: "." },
 * );
 * const model = reg.models.get("mlp").create({ hidden: 8, layers: 2 }, { ...data, seed: 2 });
 * const trainer = createTrainer(model, data, { kind: "constant", alpha: 1, beta: 1 }, {
 *   steps: 1, batchSize: 4, lr: 1e-3, gradClip: 10, groupSamples: 1, timingWarmup: 0,
 *   validateEvery: 0,
 * }, 3);
 * const loss = await trainer.step();
 * trainer.dispose();
 * model.dispose();
 * if (!Number.isFinite(loss)) throw new Error();
 * ```
 */
export function createTrainer(
  model: Model,
  dataset: Dataset,
  weighting: Weighting,
  config: TrainConfig,
  seed: number,
): Trainer {
  const rng = new Rng(seed);
  const split = dataset.splits.train;
  const b = Math.min(config.batchSize, split.size);
  const optimizer = new FlatAdam(model.params, { lr: config.lr, clipNorm: config.gradClip });
  const ctx: StepContext = { model, dataset, optimizer, config };
  // GradNorm's weights and L(0) live on the device; the weights each step leaves are queued with
  // its loss.
  let gradNorm: GradNormTensors | undefined = weighting.kind === "gradnorm"
    ? { weights: tf.tensor1d([weighting.alpha, weighting.beta]) }
    : undefined;
  let order: number[] = [];
  let cursor = 0;
  // the same kernels every step, which can be recorded and replayed (GradNorm's weights are
  // updated in place on webgpu, so that they keep their buffer too)
  const replay = new StepReplay(tf.backend());
  const params = model.params as Variable[];
  return {
    get replay() {
      return replay.status;
    },
    get replayedSteps() {
      return replay.replayedSteps;
    },
    stepQueued() {
      if (cursor + b > order.length) {
        order = rng.permutation(split.size);
        cursor = 0;
      }
      const indices = order.slice(cursor, cursor + b);
      cursor += b;
      const k = config.groupSamples;
      const needRotations = weighting.beta !== 0 || weighting.kind === "gradnorm";
      const made: Tensor[] = [];
      try {
        const batch = makeBatch(dataset, split, indices);
        made.push(...Object.values(batch.inputs), batch.target);
        const rotations = needRotations
          ? tf.tensor(sampleRotations(dataset.trainRotations, rng, b * k), [b * k, 3, 3])
          : undefined;
        if (rotations) made.push(rotations);
        const start = optimizer.beginStep();
        if (start.hyper) made.push(start.hyper);
        // what the step uploads from the host, in a fixed order
        const inputs = [
          ...Object.values(batch.inputs),
          batch.target,
          ...(rotations ? [rotations] : []),
          ...(start.hyper ? [start.hyper] : []),
        ];
        // what a step updates in place and the next reads: the parameters, GradNorm's weights
        const state = () => (gradNorm ? [...params, gradNorm.weights] : params);
        const replayed = replay.replay(inputs, state());
        if (replayed) return replayed;
        replay.begin(inputs, state());
        let value: Tensor;
        try {
          if (weighting.kind === "constant") {
            value = constantStep(ctx, batch, rotations, weighting.alpha, weighting.beta, start);
          } else {
            const r = gradNormTrainStep(ctx, batch, rotations!, gradNorm!, weighting, start);
            gradNorm = r.state;
            value = r.values;
          }
          // the inputs' buffers go back to the pool with the submit: temporaries of the step
          tf.dispose(made.splice(0));
          submitPending();
        } catch (e) {
          replay.abort();
          throw e;
        }
        return replay.end(value, state());
      } finally {
        tf.dispose(made);
        submitPending();
      }
    },
    async step() {
      const queued = this.stepQueued();
      try {
        return (await queued.data())[0];
      } finally {
        queued.dispose();
      }
    },
    dispose() {
      replay.dispose();
      optimizer.dispose();
      if (gradNorm) tf.dispose([gradNorm.weights, gradNorm.initialLosses ?? []].flat());
      gradNorm = undefined;
    },
  };
}

/**
 * Trains `model` in place.
 *
 * @param options `seed` drives batch order and the sampled group elements; `validate` measures
 *   the model for model selection (`validateEvery`).
 * @throws NonFiniteLossError when the loss goes NaN/∞ (the step is reported); Error when
 *   `validateEvery > 0` and no `validate` is given.
 */
export async function train(
  model: Model,
  dataset: Dataset,
  weighting: Weighting,
  config: TrainConfig,
  options: TrainOptions,
): Promise<TrainHistory> {
  if (config.validateEvery > 0 && !options.validate) {
    throw new Error(
      `train: validateEvery is ${config.validateEvery} but nothing to validate on (no validation ` +
        `split or validate function); set validateEvery to 0`,
    );
  }
  const trainer = createTrainer(model, dataset, weighting, config, options.seed);
  const every = Math.max(1, Math.floor(config.steps / 200));
  const loss: [number, number][] = [];
  const taskWeights: [number, number, number][] = [];
  const stepMs: number[] = [];
  const validation: [number, number][] = [];
  const best = new BestWeights();
  const params = model.params as Variable[];
  let finalLoss = NaN;
  const syncEvery = resolveSyncEvery(config);
  let pending: QueuedStep[] = [];
  let replayedSteps = 0;
  let windowStart = performance.now();
  /** Reads the queued losses in one readback, checks them, records them. */
  const sync = async (done: number) => {
    const n = pending.length;
    if (n === 0) return;
    let values: StepValues[];
    try {
      values = await readQueuedSteps(pending, weighting);
    } finally {
      tf.dispose(pending);
      pending = [];
    }
    const now = performance.now();
    const each = (now - windowStart) / n;
    windowStart = now;
    assertNoGpuErrors(`during training steps ${done - n + 1}–${done}`);
    for (let i = 0; i < n; i++) {
      const step = done - n + i; // 0-based
      const { loss: value, alpha, beta } = values[i];
      stepMs.push(each);
      if (!Number.isFinite(value)) {
        throw new NonFiniteLossError(
          `loss became ${value} at step ${step + 1} of ${config.steps}` +
            (syncEvery > 1 ? ` (read back every ${syncEvery} steps)` : ""),
        );
      }
      if (step % every === 0 || step === config.steps - 1) {
        loss.push([step + 1, value]);
        taskWeights.push([step + 1, alpha, beta]);
      }
      finalLoss = value;
    }
  };
  try {
    for (let step = 0; step < config.steps; step++) {
      options.signal?.throwIfAborted();
      pending.push(trainer.stepQueued());
      const done = step + 1;
      const validateNow = config.validateEvery > 0 &&
        (done % config.validateEvery === 0 || done === config.steps);
      if (done % syncEvery === 0 || done === config.steps || validateNow) await sync(done);
      if (validateNow) {
        const error = await options.validate!();
        validation.push([done, error]);
        best.offer(done, error, params);
        windowStart = performance.now(); // validation time is not training time
      }
      options.onProgress?.(done, config.steps);
    }
    if (config.validateEvery > 0) best.restore(params);
  } finally {
    replayedSteps = trainer.replayedSteps;
    tf.dispose(pending);
    trainer.dispose();
    best.dispose();
  }
  const bestStep = config.validateEvery > 0 && best.step > 0 ? best.step : config.steps;
  return { loss, taskWeights, stepMs, finalLoss, validation, bestStep, syncEvery, replayedSteps };
}

function constantStep(
  ctx: StepContext,
  batch: ReturnType<typeof makeBatch>,
  rotations: Tensor | undefined,
  alpha: number,
  beta: number,
  start: AdamStepStart,
): Tensor {
  const { value, grads } = safeVariableGrads(
    () =>
      remulLoss((f) => ctx.model.forward(f), batch, {
        alpha,
        beta,
        inputs: ctx.dataset.inputs,
        target: ctx.dataset.target,
        rotations,
      }).total as tf.Scalar,
    ctx.model.params as Variable[],
  );
  try {
    ctx.optimizer.apply(grads, start);
  } catch (e) {
    value.dispose();
    throw e;
  } finally {
    tf.dispose(grads);
  }
  return value;
}

/** A GradNorm step: both tasks' gradients, the Adam update, the weights' update, all queued. */
function gradNormTrainStep(
  ctx: StepContext,
  batch: ReturnType<typeof makeBatch>,
  rotations: Tensor,
  state: GradNormTensors,
  config: GradNormConfig,
  start: AdamStepStart,
): { values: Tensor; state: Required<GradNormTensors> } {
  const r = remulTaskGradientsQueued((f) => ctx.model.forward(f), batch, {
    inputs: ctx.dataset.inputs,
    target: ctx.dataset.target,
    rotations,
    params: ctx.model.params,
    lastLayer: ctx.model.lastLayer,
    weights: state.weights,
  });
  let next: Required<GradNormTensors>;
  try {
    ctx.optimizer.apply(r.grads, start);
    next = gradNormStepTensors(state, r, config);
  } catch (e) {
    tf.dispose([r.loss, r.losses]);
    throw e;
  } finally {
    tf.dispose(Object.values(r.grads));
    tf.dispose(r.gradNorms);
    // L(0) is the first step's losses: kept as the state's, freed otherwise.
    if (state.initialLosses !== undefined) r.losses.dispose();
  }
  const values = tf.tidy(() => tf.concat([r.loss.reshape([1]), next.weights]));
  r.loss.dispose();
  // on webgpu the new weights go into the old ones' buffer (read by this step's commands, which
  // come first), so that the state keeps its buffer from step to step (step replay)
  if (copyInto(next.weights, state.weights)) {
    next.weights.dispose();
    return { values, state: { weights: state.weights, initialLosses: next.initialLosses } };
  }
  state.weights.dispose();
  return { values, state: next };
}
