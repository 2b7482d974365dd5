/**
 * Suite `nbody`: the paper's N-body experiment (§5.1, Fig. 1, Table 3). The Transformer trained
 * plainly, with data augmentation, with REMUL at constant β and with REMUL + GradNorm over the β
 * grid; the equivariant baselines GATr, SE(3)-Transformer and EGNN trained plainly; the GNN plainly
 * and with REMUL over β.
 *
 * @module
 */
import type { SuiteDefinition } from "../src/runner/suite.ts";

const METRICS = ["mse", "equivariance", "train-time", "inference-time", "model-stats"];

/** The N-body suite. */
export const nbodySuite: SuiteDefinition = {
  id: "nbody",
  description:
    "N-body (paper §5.1): Transformer × plain, augmentation, REMUL, REMUL+GradNorm over β",
  dataset: "nbody",
  metrics: METRICS,
  grid: [
    { model: "transformer", procedure: "plain" },
    { model: "transformer", procedure: "augmentation" },
    { model: "transformer", procedure: "remul", sweepBeta: true },
    { model: "transformer", procedure: "remul-gradnorm", sweepBeta: true },
    { model: "gatr", procedure: "plain" },
    { model: "se3-transformer", procedure: "plain" },
    { model: "egnn", procedure: "plain" },
    { model: "gnn", procedure: "plain" },
    { model: "gnn", procedure: "remul", sweepBeta: true },
  ],
  scales: {
    smoke: {
      dataset: { train: 100, val: 32, test: 64, ood: 64 },
      models: {
        transformer: { blocks: 1, channels: 16, heads: 2 },
        gatr: { blocks: 1, mvChannels: 4, sChannels: 8, heads: 2 },
        "se3-transformer": { layers: 1, channels: 4, maxDegree: 1 },
        egnn: { layers: 2, hidden: 16 },
        gnn: { layers: 2, hidden: 16 },
      },
      train: {
        steps: 40,
        batchSize: 16,
        lr: 3e-3,
        gradClip: 10,
        groupSamples: 1,
        timingWarmup: 5,
        validateEvery: 0,
      },
      eval: {
        batchSize: 64,
        equiInputs: 8,
        equiSamples: 100,
        inferenceRepeats: 5,
        inferenceWarmup: 1,
      },
      betas: [1, 10],
      repetitions: 1,
    },
    small: {
      dataset: { train: 100, val: 500, test: 1000, ood: 1000 },
      models: {
        transformer: { blocks: 3, channels: 64, heads: 4 },
        gatr: { blocks: 3, mvChannels: 8, sChannels: 32, heads: 4 },
        "se3-transformer": { layers: 2, channels: 4, maxDegree: 1 },
        egnn: { layers: 4, hidden: 32 },
        gnn: { layers: 4, hidden: 32 },
      },
      train: {
        steps: 2000,
        batchSize: 64,
        lr: 1e-3,
        gradClip: 10,
        groupSamples: 1,
        timingWarmup: 20,
        validateEvery: 0,
      },
      eval: {
        batchSize: 64,
        equiInputs: 100,
        equiSamples: 100,
        inferenceRepeats: 20,
        inferenceWarmup: 3,
      },
      betas: [0.01, 0.1, 1, 10, 100],
      repetitions: 1,
    },
    paper: {
      dataset: { train: 100, val: 5000, test: 5000, ood: 5000 },
      models: {
        transformer: { blocks: 10, channels: 384, heads: 8 },
        gatr: { blocks: 10, mvChannels: 16, sChannels: 128, heads: 8 },
        "se3-transformer": { layers: 4, channels: 8, maxDegree: 3 },
        egnn: { layers: 4, hidden: 64 },
        gnn: { layers: 4, hidden: 64 },
      },
      train: {
        steps: 50000,
        batchSize: 64,
        lr: 3e-4,
        gradClip: 10,
        groupSamples: 1,
        timingWarmup: 50,
        validateEvery: 0,
      },
      eval: {
        batchSize: 64,
        equiInputs: 5000,
        equiSamples: 100,
        inferenceRepeats: 50,
        inferenceWarmup: 5,
      },
      betas: [0, 0.01, 0.1, 1, 10, 100],
      repetitions: 3,
    },
  },
};
