/**
 * Suite `cost` (paper §5.4, App. C.5, Table 6, Figure 3): GATr (12 blocks, 16 multivector + 128
 * scalar channels, 8 heads) against the Transformer (12 blocks, 168 channels, 8 heads), both about
 * 2.6M parameters, on Gaussian input of 20 nodes × 7 features; training-step (forward + backward +
 * update) and inference time per batch size, mean and spread of 10 timed runs after warm-up, the
 * first step separately as cold start. EGNN, GNN and the SE(3)-Transformer are timed as well.
 * Cases run one at a time; an out-of-memory or a time limit is recorded as the case's state and
 * the sweep goes on.
 *
 * @module
 */
import type { ScaleSettings, SuiteDefinition } from "../src/runner/suite.ts";
import { modelSizes } from "./_scales.ts";

/** Table 6's GATr and Transformer (≈ 2.6M parameters each); the others at their paper sizes. */
const COST_MODELS = {
  transformer: { blocks: 12, channels: 168, heads: 8 },
  gatr: { blocks: 12, mvChannels: 16, sChannels: 128, heads: 8 },
  ...modelSizes("paper", "se3-transformer", "egnn", "gnn"),
};

function scale(batches: number[], models: ScaleSettings["models"], nodes = 20): ScaleSettings {
  return {
    dataset: { nodes, samples: Math.max(...batches) },
    models,
    // 1 cold step + 3 warm-up steps + 10 timed steps
    train: {
      steps: 14,
      batchSize: 1,
      lr: 1e-4,
      gradClip: 0,
      groupSamples: 1,
      timingWarmup: 3,
      validateEvery: 0,
    },
    eval: { batchSize: 1, equiInputs: 1, equiSamples: 1, inferenceRepeats: 10, inferenceWarmup: 3 },
    betas: [],
    sweeps: { batchSize: batches },
    repetitions: 1,
  };
}

const pow2 = (lo: number, hi: number) =>
  Array.from({ length: hi - lo + 1 }, (_, i) => 2 ** (lo + i));

/** The cost suite. */
export const costSuite: SuiteDefinition = {
  id: "cost",
  description:
    "Figure 3: training-step and inference time vs batch size, GATr vs Transformer (+EGNN, GNN, SE(3))",
  dataset: "gaussian",
  metrics: ["train-time", "inference-time", "flops", "model-stats"],
  exclusive: true,
  grid: [
    { model: "transformer", procedure: "plain", sweep: ["batchSize"] },
    { model: "gatr", procedure: "plain", sweep: ["batchSize"] },
    { model: "egnn", procedure: "plain", sweep: ["batchSize"] },
    { model: "gnn", procedure: "plain", sweep: ["batchSize"] },
    { model: "se3-transformer", procedure: "plain", sweep: ["batchSize"] },
  ],
  ratios: {
    numerator: "gatr",
    denominator: "transformer",
    by: "batchSize",
    metrics: ["train_step_mean_ms", "infer_mean_ms", "cold_start_ms", "forward_gflops"],
  },
  scales: {
    smoke: scale(
      [1, 2],
      modelSizes("smoke", "transformer", "gatr", "se3-transformer", "egnn", "gnn"),
      6,
    ),
    small: scale([1, 4, 16, 64], COST_MODELS),
    paper: scale(pow2(0, 11), COST_MODELS),
  },
};
