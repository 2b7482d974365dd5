/**
 * What `deno task peer` compares with PyTorch: each model at the configurations of the suite it
 * belongs to, so the numbers speak for the cases the benchmark runs. The model config, the batch
 * size, the learning rate and the gradient clip are read from the suites, never repeated here.
 *
 * - Transformer, GATr, GNN, EGNN: the N-body suite (`bench/nbody.ts`), on the N-body data set
 *   itself (4 bodies; per body mass [1], position [3], velocity [3]; target positions [3]).
 * - MLP: the MoCap suite (`bench/mocap.ts`), on N(0, 1) values shaped like CMU MoCap (31 joints,
 *   position and velocity [3] each, target positions [3]): the real data needs a download, and
 *   timing does not depend on the values.
 *
 * Run by default: Transformer small (3 blocks × 64 channels) and paper (10 × 384), and GATr
 * (3 blocks × (8 mv + 32 s), 4 heads), GNN, EGNN and MLP small. `--configs` picks other scales.
 *
 * @module
 */
import { loadDataset } from "../src/registry.ts";
import { gaussianDataset, type PeerWorkload } from "../src/peer/workload.ts";
import { type Scale, SCALES, type SuiteDefinition } from "../src/runner/suite.ts";
import { HAAR } from "../src/symmetry/rotation.ts";
import { nbodySuite } from "./nbody.ts";
import { mocapSuite } from "./mocap.ts";

/** Joints of a CMU MoCap skeleton (both subjects of the paper). */
const MOCAP_JOINTS = 31;

function fromSuite(
  suite: SuiteDefinition,
  model: string,
  scale: Scale,
  data: string,
  byDefault: boolean,
  dataset: PeerWorkload["dataset"],
): PeerWorkload {
  const settings = suite.scales[scale];
  const modelConfig = settings.models[model];
  if (!modelConfig) throw new Error(`peer: suite ${suite.id} has no ${model} at scale ${scale}`);
  return {
    model,
    config: scale,
    modelConfig,
    data,
    batch: settings.train.batchSize,
    lr: settings.train.lr,
    gradClip: settings.train.gradClip,
    byDefault,
    dataset,
  };
}

const nbodyData: PeerWorkload["dataset"] = (samples, seed) =>
  loadDataset("nbody", {
    seed,
    config: { train: Math.max(100, samples), val: 1, test: samples, ood: 1 },
  });

const mocapShaped: PeerWorkload["dataset"] = (samples, seed) =>
  gaussianDataset({
    inputs: [
      { name: "pos", kind: "position", shape: [MOCAP_JOINTS, 3] },
      { name: "vel", kind: "vector", shape: [MOCAP_JOINTS, 3] },
    ],
    target: { name: "pos", kind: "position", shape: [MOCAP_JOINTS, 3] },
    rotations: HAAR, // the MoCap suite trains with Haar rotations
    train: Math.max(100, samples),
    test: samples,
    seed,
  });

const DEFAULTS: Readonly<Record<string, readonly Scale[]>> = {
  transformer: ["small", "paper"],
  gatr: ["small"],
  gnn: ["small"],
  egnn: ["small"],
  mlp: ["small"],
};

/** Every workload the peer comparison knows, in table order. */
export const PEER_WORKLOADS: readonly PeerWorkload[] = [
  ...["transformer", "gatr", "gnn", "egnn"].flatMap((m) =>
    SCALES.map((s) => fromSuite(nbodySuite, m, s, "nbody", DEFAULTS[m].includes(s), nbodyData))
  ),
  ...SCALES.map((s) =>
    fromSuite(mocapSuite, "mlp", s, "mocap-shaped", DEFAULTS.mlp.includes(s), mocapShaped)
  ),
];
