/**
 * Gaussian input for the cost experiment (paper §5.4, App. C.5): `N` nodes with a mass, a
 * position and a velocity (7 features) and a target, all drawn from N(0, 1) — except the mass,
 * which is |N(0, 1)| so that models that centre on the mass-weighted centre (the SE(3)-Transformer)
 * get a well-defined centre. Only timing is measured on it; the numbers carry no meaning.
 *
 * @module
 */
import { deriveSeed } from "../core/hash.ts";
import { Rng } from "../core/rng.ts";
import { HAAR } from "../symmetry/rotation.ts";
import type { Dataset, DatasetDefinition, Split } from "./dataset.ts";

/** Gaussian data set parameters. */
export type GaussianConfig = {
  /** Nodes per sample (paper: 20). */
  nodes: number;
  /** Samples in each split; must cover the largest batch timed. */
  samples: number;
};

function split(nodes: number, size: number, seed: number): Split {
  const rng = new Rng(seed);
  return {
    size,
    inputs: {
      mass: rng.normalArray(size * nodes).map(Math.abs),
      pos: rng.normalArray(size * nodes * 3),
      vel: rng.normalArray(size * nodes * 3),
    },
    target: rng.normalArray(size * nodes * 3),
  };
}

/** Generates the Gaussian data set deterministically from the seed. */
export function loadGaussian(config: GaussianConfig, seed: number): Dataset {
  if (config.nodes < 2 || config.samples < 1) {
    throw new Error(
      `gaussian: need nodes ≥ 2 and samples ≥ 1, got ${config.nodes}, ${config.samples}`,
    );
  }
  const n = config.nodes;
  return {
    inputs: [
      { name: "mass", kind: "scalar", shape: [n, 1] },
      { name: "pos", kind: "position", shape: [n, 3] },
      { name: "vel", kind: "vector", shape: [n, 3] },
    ],
    target: { name: "pos", kind: "position", shape: [n, 3] },
    splits: {
      train: split(n, config.samples, deriveSeed(seed, "train")),
      test: split(n, config.samples, deriveSeed(seed, "test")),
    },
    trainRotations: HAAR,
    protocol: {
      distribution: "N(0, 1) for every feature and target",
      nodes: n,
      samples: config.samples,
    },
  };
}

/** Registry entry for the Gaussian timing data set. */
export const gaussian: DatasetDefinition<GaussianConfig> = {
  id: "gaussian",
  description: "Gaussian input, N nodes × 7 features (cost experiment, paper §5.4)",
  defaults: { nodes: 20, samples: 2048 },
  ranges: {
    nodes: { integer: true, min: 2, what: "nodes per input" },
    samples: { integer: true, min: 1, what: "inputs" },
  },
  load: (config, ctx) => loadGaussian(config, ctx.seed),
};
