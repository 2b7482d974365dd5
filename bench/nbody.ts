/**
 * Suite `nbody`: the paper's N-body experiment (§5.1, Fig. 1, Table 3). The Transformer trained
 * plainly, with data augmentation, with REMUL at constant β and with REMUL + GradNorm over the β
 * grid; the equivariant baselines GATr, SE(3)-Transformer and EGNN trained plainly; the GNN plainly
 * and with REMUL over β.
 *
 * @module
 */
import type { SuiteDefinition } from "../src/runner/suite.ts";
import { modelSizes, scaleSettings, type SharedModel } from "./_scales.ts";

const METRICS = ["mse", "equivariance", "train-time", "inference-time", "model-stats"];
const MODELS: readonly SharedModel[] = ["transformer", "gatr", "se3-transformer", "egnn", "gnn"];

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
    smoke: scaleSettings("smoke", {
      dataset: { train: 100, val: 32, test: 64, ood: 64 },
      models: modelSizes("smoke", ...MODELS),
      train: { steps: 40, batchSize: 16 },
      eval: { batchSize: 64, equiInputs: 8 },
    }),
    small: scaleSettings("small", {
      dataset: { train: 100, val: 500, test: 1000, ood: 1000 },
      models: modelSizes("small", ...MODELS),
      train: { steps: 2000, batchSize: 64 },
      eval: { batchSize: 64, equiInputs: 100 },
    }),
    paper: scaleSettings("paper", {
      dataset: { train: 100, val: 5000, test: 5000, ood: 5000 },
      models: modelSizes("paper", ...MODELS),
      train: { steps: 50000, batchSize: 64 },
      eval: { batchSize: 64, equiInputs: 5000 },
    }),
  },
};
