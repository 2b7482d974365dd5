/**
 * Metric definitions: each computes named numbers from a trained model and says which direction
 * is better, so reports and the regression check know how to read them.
 *
 * @module
 */
import type { Definition } from "../core/registry.ts";
import type { ConfigRanges } from "../core/config_range.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import type { TrainHistory } from "../training/train.ts";
import { inferenceTime, modelEquivariance, splitMse } from "./evaluate.ts";
import { summarizeTimes } from "./timing.ts";
import { countParams } from "../models/model.ts";
import type { Table } from "../runner/result.ts";
import { chunks, disposeBatch, makeBatch } from "../data/dataset.ts";
import { lossSurface } from "./loss_surface.ts";
import { countMatMulFlops } from "./flop_counter.ts";
import { tf } from "../tf.ts";

/** Evaluation settings shared by the metrics. */
export type EvalConfig = {
  /** Batch size for MSE and inference timing. */
  batchSize: number;
  /** Test inputs averaged over for E and E'. */
  equiInputs: number;
  /** M, Haar rotations per input for E and E'. */
  equiSamples: number;
  /** Timed forward passes for inference time. */
  inferenceRepeats: number;
  /** Untimed forward passes before them. */
  inferenceWarmup: number;
  /** Loss-surface grid points per axis (odd); only the `loss-surface` metric reads it. */
  surfaceSteps?: number;
  /** Loss-surface grid half-width in units of the filter-normalised directions. */
  surfaceRange?: number;
};

/** Ranges of the evaluation config's keys, checked before anything runs. */
export const EVAL_RANGES: ConfigRanges<keyof EvalConfig & string> = {
  batchSize: { integer: true, min: 1, what: "evaluation batch size" },
  equiInputs: { integer: true, min: 1, what: "test inputs for E and E'" },
  equiSamples: { integer: true, min: 1, what: "rotations per input for E and E'" },
  inferenceRepeats: { integer: true, min: 1, what: "timed forward passes" },
  inferenceWarmup: { integer: true, min: 0, what: "untimed forward passes" },
  surfaceSteps: { integer: true, min: 1, what: "loss-surface grid points per axis" },
  surfaceRange: { above: 0, what: "loss-surface half-width" },
};

/** What a metric sees. */
export interface MetricContext {
  /** The trained model. */
  readonly model: Model;
  /** The loaded data set. */
  readonly dataset: Dataset;
  /** The training history (step times, loss curve). */
  readonly history: TrainHistory;
  /** Evaluation settings. */
  readonly eval: EvalConfig;
  /** Steps after the first excluded from step-time statistics. */
  readonly trainWarmup: number;
  /** The training batch size. */
  readonly trainBatchSize: number;
  /** Seed for any sampling the metric does. */
  readonly seed: number;
  /** Values of the metrics computed before this one (in the suite's metric order). */
  readonly previous: Readonly<Record<string, number>>;
  /** Attaches a table to the result (written as `<name>_<case>.csv`). */
  readonly addArtifact: (name: string, table: Table) => void;
}

/**
 * One reported number: its column name, direction and unit, and how it is shown. The results
 * CSV, `summary.md`, the report, the regression check and the README's column table are all
 * derived from these declarations (`src/runner/columns.ts`).
 */
export interface MetricColumn {
  /** Column name in results (e.g. `mse_test`). */
  readonly name: string;
  /** Which direction is better, for reports and regression checks. */
  readonly better: "smaller" | "larger" | "neither";
  /** Unit, empty when dimensionless. */
  readonly unit: string;
  /** One line for reports. */
  readonly description: string;
  /**
   * The value may be NaN in a completed result (the description says when); otherwise a value
   * that is not finite errors the case (`non-finite`).
   */
  readonly mayBeNaN?: boolean;
  /** A count: printed in full, not to 4 significant digits. */
  readonly integer?: boolean;
  /** Header of this column in `summary.md`; columns without one are not in the summary. */
  readonly summary?: string;
}

/** A registered metric. */
export interface MetricDefinition extends Definition {
  /** The numbers this metric reports. */
  readonly columns: readonly MetricColumn[];
  /** Computes this metric's columns for one trained model. */
  compute(ctx: MetricContext): Promise<Record<string, number>>;
}

/** MSE on validation, test and (where defined) OOD splits. */
export const mseMetric: MetricDefinition = {
  id: "mse",
  description: "mean squared error of the prediction on val, test and OOD splits",
  columns: [
    { name: "mse_val", better: "smaller", unit: "", description: "MSE, validation split" },
    {
      name: "mse_test",
      better: "smaller",
      unit: "",
      description: "MSE, test split (in distribution)",
      summary: "MSE test",
    },
    {
      name: "mse_ood",
      better: "smaller",
      unit: "",
      description: "MSE, out-of-distribution split",
      summary: "MSE OOD",
    },
  ],
  async compute({ model, dataset, eval: ev }) {
    const out: Record<string, number> = {};
    for (const name of ["val", "test", "ood"] as const) {
      const split = dataset.splits[name];
      if (split) out[`mse_${name}`] = await splitMse(model, dataset, split, ev.batchSize);
    }
    return out;
  },
};

/** Equivariance errors E (Eq. 12) and E' (Eq. 13) on test inputs, Haar SO(3). */
export const equivarianceMetric: MetricDefinition = {
  id: "equivariance",
  description: "equivariance errors E and E' (paper Eq. 12, 13), Haar rotations, label-free",
  columns: [
    { name: "equi_e", better: "smaller", unit: "", description: "E (Eq. 12)", summary: "E" },
    {
      name: "equi_e_prime",
      better: "smaller",
      unit: "",
      description: "E' (Eq. 13)",
      summary: "E'",
    },
    { name: "equi_e_prime_rel", better: "smaller", unit: "", description: "E' / mean ‖f(x)‖" },
  ],
  async compute({ model, dataset, eval: ev, seed }) {
    const r = await modelEquivariance(model, dataset, dataset.splits.test, {
      inputs: ev.equiInputs,
      samples: ev.equiSamples,
      seed,
      maxBatch: equivarianceBatch(dataset),
    });
    return Promise.resolve({
      equi_e: r.e,
      equi_e_prime: r.ePrime,
      equi_e_prime_rel: r.ePrimeRelative,
    });
  },
};

/** Training step time: cold start, then median and IQR after warm-up. */
export const trainTimeMetric: MetricDefinition = {
  id: "train-time",
  description: "training step wall time (forward+backward+update), median/IQR after warm-up",
  columns: [
    {
      name: "train_step_ms",
      better: "smaller",
      unit: "ms",
      description: "median step time",
      summary: "step ms",
    },
    { name: "train_step_iqr_ms", better: "neither", unit: "ms", description: "IQR of step time" },
    { name: "train_step_mean_ms", better: "smaller", unit: "ms", description: "mean step time" },
    { name: "train_step_std_ms", better: "neither", unit: "ms", description: "std of step time" },
    { name: "cold_start_ms", better: "smaller", unit: "ms", description: "first step" },
    { name: "train_time_s", better: "smaller", unit: "s", description: "all steps" },
    {
      name: "train_sync_every",
      better: "neither",
      unit: "steps",
      description: "the loss was read back and checked every this many steps",
      integer: true,
    },
    {
      name: "train_replayed_steps",
      better: "neither",
      unit: "steps",
      description: "steps replayed as recorded WebGPU commands (bit-identical; 0 off WebGPU)",
      integer: true,
    },
  ],
  compute({ history, trainWarmup }) {
    const timed = history.stepMs.slice(1 + trainWarmup);
    const s = summarizeTimes(timed.length ? timed : history.stepMs);
    return Promise.resolve({
      train_step_ms: s.median,
      train_step_iqr_ms: s.iqr,
      train_step_mean_ms: s.mean,
      train_step_std_ms: s.std,
      cold_start_ms: history.stepMs[0] ?? NaN,
      train_time_s: history.stepMs.reduce((a, b) => a + b, 0) / 1000,
      train_sync_every: history.syncEvery,
      train_replayed_steps: history.replayedSteps,
    });
  },
};

/** Items (nodes, joints, atoms) per E/E' forward pass: N-body's 2048 samples of 4 bodies. */
const EQUIVARIANCE_ITEMS = 8192;

/**
 * The largest batch of transformed copies sent through the model at once for E and E': 8192
 * items (2048 N-body samples of 4 bodies, 264 MoCap samples of 31 joints). A fixed sample count
 * let a 31-joint GATr or SE(3)-Transformer allocate past the wasm heap's reach (`memory access
 * out of bounds`) on 2048 × 31 tokens; the errors do not depend on the chunking. Items per sample
 * are the largest leading axis of the input fields with two or more axes (1 when there is none).
 */
export function equivarianceBatch(dataset: Pick<Dataset, "inputs">): number {
  // items per sample: the leading axis of the per-item fields (`[N, k]`); a field of one axis is
  // one vector per sample
  const items = Math.max(1, ...dataset.inputs.map((f) => (f.shape.length >= 2 ? f.shape[0] : 1)));
  return Math.max(1, Math.floor(EQUIVARIANCE_ITEMS / Math.max(1, items)));
}

/** Inference time of one batch. */
export const inferenceTimeMetric: MetricDefinition = {
  id: "inference-time",
  description: "forward pass wall time per batch (synchronised), median/IQR",
  columns: [
    {
      name: "infer_ms",
      better: "smaller",
      unit: "ms",
      description: "median forward time per batch",
      summary: "infer ms",
    },
    { name: "infer_iqr_ms", better: "neither", unit: "ms", description: "IQR of forward time" },
    {
      name: "infer_mean_ms",
      better: "smaller",
      unit: "ms",
      description: "mean forward time per batch",
    },
    { name: "infer_std_ms", better: "neither", unit: "ms", description: "std of forward time" },
  ],
  async compute({ model, dataset, eval: ev }) {
    const s = await inferenceTime(model, dataset, dataset.splits.test, {
      batchSize: ev.batchSize,
      repeats: ev.inferenceRepeats,
      warmup: ev.inferenceWarmup,
    });
    return { infer_ms: s.median, infer_iqr_ms: s.iqr, infer_mean_ms: s.mean, infer_std_ms: s.std };
  },
};

/** Parameter count and final training loss. */
export const modelStatsMetric: MetricDefinition = {
  id: "model-stats",
  description: "parameter count, final training loss and final loss weights",
  columns: [
    {
      name: "n_params",
      better: "neither",
      unit: "",
      description: "trainable parameters",
      integer: true,
      summary: "params",
    },
    { name: "final_loss", better: "neither", unit: "", description: "last training loss" },
    {
      name: "final_alpha",
      better: "neither",
      unit: "",
      description: "α at the end (NaN when training recorded no loss weights)",
      mayBeNaN: true,
    },
    {
      name: "final_beta",
      better: "neither",
      unit: "",
      description: "β at the end (NaN when training recorded no loss weights)",
      mayBeNaN: true,
    },
    {
      name: "best_step",
      better: "neither",
      unit: "",
      description: "step whose weights were evaluated (chosen on the validation split when the " +
        "training config validates, else the last)",
      integer: true,
    },
    {
      name: "est_memory_mb",
      better: "smaller",
      unit: "MiB",
      description:
        "estimated memory of a training step at the training batch size (models that estimate it)",
    },
  ],
  compute({ model, history, trainBatchSize }) {
    const last = history.taskWeights[history.taskWeights.length - 1] ?? [0, NaN, NaN];
    return Promise.resolve({
      n_params: countParams(model),
      final_loss: history.finalLoss,
      final_alpha: last[1],
      final_beta: last[2],
      best_step: history.bestStep,
      ...(model.estimateMemoryBytes
        ? { est_memory_mb: model.estimateMemoryBytes(trainBatchSize) / 2 ** 20 }
        : {}),
    });
  },
};

/**
 * Loss surface around the trained weights (App. B, Figure 4): the MSE on the training split (the
 * objective term, whatever the procedure trained on) on a grid of two filter-normalised directions.
 */
export const lossSurfaceMetric: MetricDefinition = {
  id: "loss-surface",
  description:
    "training loss on a grid of two filter-normalised directions around θ* (Li et al. 2018)",
  columns: [
    {
      name: "surface_center",
      better: "smaller",
      unit: "",
      description: "loss at θ* (grid centre)",
    },
    { name: "surface_mean", better: "neither", unit: "", description: "mean loss over the grid" },
    { name: "surface_max", better: "neither", unit: "", description: "largest loss on the grid" },
  ],
  async compute({ model, dataset, eval: ev, seed, addArtifact }) {
    const split = dataset.splits.train;
    const batches = chunks(split.size, ev.batchSize).map((idx) => makeBatch(dataset, split, idx));
    try {
      const surface = await lossSurface(model.params, () => {
        let sum = tf.scalar(0);
        for (const b of batches) {
          const out = model.forward(b.inputs);
          sum = sum.add(out.prediction.sub(b.target).square().sum());
        }
        return sum.div(split.size * batches[0].target.size / batches[0].target.shape[0]);
      }, { steps: ev.surfaceSteps ?? 21, range: ev.surfaceRange ?? 1, seed });
      const rows: number[][] = [];
      surface.xs.forEach((a, i) =>
        surface.ys.forEach((b, j) => rows.push([a, b, surface.loss[i][j]]))
      );
      addArtifact("loss_surface", { columns: ["alpha", "beta", "loss"], rows });
      const flat = surface.loss.flat();
      return {
        surface_center: surface.center,
        surface_mean: flat.reduce((x, y) => x + y, 0) / flat.length,
        surface_max: Math.max(...flat),
      };
    } finally {
      batches.forEach(disposeBatch);
    }
  },
};

/** Matmul FLOPs of one forward pass of a batch, and the achieved rate (needs `inference-time` first). */
export const flopsMetric: MetricDefinition = {
  id: "flops",
  description:
    "matmul FLOPs of one forward batch, and GFLOP/s achieved at the measured inference time",
  columns: [
    {
      name: "forward_gflop",
      better: "neither",
      unit: "GFLOP",
      description: "matmul work of one forward batch",
    },
    {
      name: "forward_gflops",
      better: "larger",
      unit: "GFLOP/s",
      description: "achieved at the mean inference time",
    },
  ],
  async compute({ model, dataset, eval: ev, previous }) {
    const split = dataset.splits.test;
    const batch = makeBatch(dataset, split, [...Array(Math.min(ev.batchSize, split.size)).keys()]);
    try {
      const flops = await countMatMulFlops(async () => {
        const y = tf.tidy(() => model.forward(batch.inputs).prediction);
        await y.data();
        y.dispose();
      });
      const ms = previous.infer_mean_ms;
      return {
        forward_gflop: flops / 1e9,
        ...(ms ? { forward_gflops: flops / 1e9 / (ms / 1000) } : {}),
      };
    } finally {
      disposeBatch(batch);
    }
  },
};
