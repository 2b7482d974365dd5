/**
 * What the peer comparison (`deno task peer`) runs: a model from the registry at a named
 * configuration, on a data set of given shapes, at a batch size. The list itself is data in
 * `bench/peer.ts`.
 *
 * @module
 */
import { deriveSeed } from "../core/hash.ts";
import { Rng } from "../core/rng.ts";
import type { Dataset, Split } from "../data/dataset.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import { fieldSize } from "../symmetry/field.ts";
import type { RotationSpec } from "../symmetry/rotation.ts";

/** One model × configuration the peer comparison times on both sides. */
export interface PeerWorkload {
  /** Model id in the registry (`transformer`, `gatr`, `gnn`, `egnn`, `mlp`). */
  readonly model: string;
  /** Name of the configuration: the scale of the suite it comes from (`smoke`, `small`, `paper`). */
  readonly config: string;
  /** Overrides of the model's defaults (the suite's settings at that scale). */
  readonly modelConfig: Readonly<Record<string, unknown>>;
  /** The inputs' shapes in words, for the table (`nbody`, `mocap-shaped`). */
  readonly data: string;
  /** Batch size when `--batch` is not given (the suite's training batch at that scale). */
  readonly batch: number;
  /** Adam learning rate (the suite's, at that scale). */
  readonly lr: number;
  /** Global-norm gradient clip (the suite's, at that scale; 0 = none). */
  readonly gradClip: number;
  /** Whether the workload runs when no `--configs` is given. */
  readonly byDefault: boolean;
  /**
   * Builds the data set: at least `samples` training samples and exactly `samples` test samples
   * (the inference batch).
   */
  dataset(samples: number, seed: number): Promise<Dataset> | Dataset;
}

/** Options of {@linkcode gaussianDataset}. */
export interface GaussianDatasetOptions {
  /** Input fields (names, kinds, per-sample shapes). */
  readonly inputs: readonly FieldSpec[];
  /** The target field. */
  readonly target: FieldSpec;
  /** Rotations the training loop samples for the equivariance term. */
  readonly rotations: RotationSpec;
  /** Samples in the training split. */
  readonly train: number;
  /** Samples in the test split. */
  readonly test: number;
  /** Seed of the values. */
  readonly seed: number;
}

function gaussianSplit(o: GaussianDatasetOptions, size: number, seed: number): Split {
  const rng = new Rng(seed);
  const inputs: Record<string, Float32Array> = {};
  for (const f of o.inputs) inputs[f.name] = rng.normalArray(size * fieldSize(f));
  return { size, inputs, target: rng.normalArray(size * fieldSize(o.target)) };
}

/**
 * A data set of N(0, 1) values with the given field shapes, for timing only (the numbers carry no
 * meaning). Used where the real data needs a download, e.g. MoCap's 31 joints.
 *
 * @param o fields, rotations, split sizes and seed.
 * @returns a data set with `train` and `test` splits.
 *
 * @example
 * ```ts
 * import { gaussianDataset } from "./workload.ts";
 * const data = gaussianDataset({
 *   inputs: [{ name: "pos", kind: "position", shape: [31, 3] }],
 *   target: { name: "pos", kind: "position", shape: [31, 3] },
 *   rotations: { kind: "haar" },
 *   train: 4, test: 2, seed: 1,
 * });
 * console.log(data.splits.train.inputs.pos.length); // 372
 * ```
 */
export function gaussianDataset(o: GaussianDatasetOptions): Dataset {
  return {
    inputs: o.inputs,
    target: o.target,
    splits: {
      train: gaussianSplit(o, o.train, deriveSeed(o.seed, "train")),
      test: gaussianSplit(o, o.test, deriveSeed(o.seed, "test")),
    },
    trainRotations: o.rotations,
    protocol: { distribution: "N(0, 1) for every field", train: o.train, test: o.test },
  };
}
