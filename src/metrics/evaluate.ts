/**
 * Evaluation of a trained model: MSE on a split, equivariance errors on test inputs, inference
 * time per batch.
 *
 * @module
 */
import { chunks, type Dataset, disposeBatch, makeBatch, type Split } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import { type Tensor, tf } from "../tf.ts";
import { type EquivarianceErrors, equivarianceErrors } from "./equivariance_error.ts";
import { summarizeTimes, type TimingSummary } from "./timing.ts";
import { readAll } from "../backend/read_all.ts";

/**
 * Mean squared error of the model's prediction over every element of a split. Each batch's sum of
 * squares stays on the device until the last batch; then all are read back at once and added up
 * in float64, in batch order (one readback per split: on WebGPU under Deno each costs ≥ 10 ms).
 */
export async function splitMse(
  model: Model,
  dataset: Dataset,
  split: Split,
  batchSize: number,
): Promise<number> {
  const sums: Tensor[] = [];
  let count = 0;
  try {
    for (const idx of chunks(split.size, batchSize)) {
      const batch = makeBatch(dataset, split, idx);
      try {
        sums.push(
          tf.tidy(() => model.forward(batch.inputs).prediction.sub(batch.target).square().sum()),
        );
        count += batch.target.size;
      } finally {
        disposeBatch(batch);
      }
    }
    const values = await readAll(sums);
    let sum = 0;
    for (const v of values) sum += v;
    return sum / count;
  } finally {
    tf.dispose(sums);
  }
}

/** E and E' of the model on the first `inputs` samples of `split`. */
export async function modelEquivariance(
  model: Model,
  dataset: Dataset,
  split: Split,
  options: { inputs: number; samples: number; seed: number; maxBatch: number },
): Promise<EquivarianceErrors> {
  const n = Math.min(options.inputs, split.size);
  const batch = makeBatch(dataset, split, [...Array(n).keys()]);
  try {
    return await equivarianceErrors((f) => model.forward(f).prediction, batch.inputs, {
      inputs: dataset.inputs,
      output: dataset.target.kind,
      samples: options.samples,
      seed: options.seed,
      maxBatch: options.maxBatch,
    });
  } finally {
    disposeBatch(batch);
  }
}

/** Inference (forward only, synchronised) time of one batch, after `warmup` untimed runs. */
export async function inferenceTime(
  model: Model,
  dataset: Dataset,
  split: Split,
  options: { batchSize: number; repeats: number; warmup: number },
): Promise<TimingSummary> {
  const idx = [...Array(Math.min(options.batchSize, split.size)).keys()];
  const batch = makeBatch(dataset, split, idx);
  const times: number[] = [];
  try {
    for (let i = 0; i < options.warmup + options.repeats; i++) {
      const t0 = performance.now();
      const y = tf.tidy(() => model.forward(batch.inputs).prediction);
      await y.data();
      y.dispose();
      if (i >= options.warmup) times.push(performance.now() - t0);
    }
  } finally {
    disposeBatch(batch);
  }
  return summarizeTimes(times);
}
