/**
 * What a data set is to the harness: splits of host-side arrays plus field specs that say how
 * every field transforms. Batches are cut on the host and handed to tfjs as tensors.
 *
 * @module
 */
import type { Config } from "../core/config.ts";
import type { Definition } from "../core/registry.ts";
import type { ConfigRanges } from "../core/config_range.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import { fieldSize } from "../symmetry/field.ts";
import type { RotationSpec } from "../symmetry/rotation.ts";
import type { Fields } from "../symmetry/group_action.ts";
import { type Tensor, tf } from "../tf.ts";

/** The named splits a data set can have. `ood` is optional. */
export type SplitName = "train" | "val" | "test" | "ood";

/** One split: `size` samples, each field stored flat (sample-major) in a Float32Array. */
export interface Split {
  /** Number of samples. */
  readonly size: number;
  /** Input fields, `[size, ...spec.shape]` flattened. */
  readonly inputs: Readonly<Record<string, Float32Array>>;
  /** Target, `[size, ...target.shape]` flattened. */
  readonly target: Float32Array;
}

/** A loaded data set. */
export interface Dataset {
  /** Input fields and how they transform. */
  readonly inputs: readonly FieldSpec[];
  /** Target field and how it transforms. */
  readonly target: FieldSpec;
  /** The splits; `ood` only where the protocol defines one. */
  readonly splits: Readonly<Partial<Record<SplitName, Split>>> & { train: Split; test: Split };
  /** Group elements REMUL and augmentation sample during training. */
  readonly trainRotations: RotationSpec;
  /** Optional fixed graph (directed edges), shared by all samples. */
  readonly edges?: readonly (readonly [number, number])[];
  /** Every protocol choice that shaped the data, recorded with each result. */
  readonly protocol: Readonly<Record<string, unknown>>;
}

/** Where a data set may read files from, and its seed. */
export interface DatasetContext {
  /** Seed of generated data and random splits. */
  readonly seed: number;
  /** Directory of downloaded data files (`--data-dir`). */
  readonly dataDir: string;
}

/** Thrown when a data set cannot run here for a reason the user can fix (e.g. a missing file). */
export class DatasetUnavailableError extends Error {
  /** Error name. */
  override name = "DatasetUnavailableError";
}

/** A registered data set kind. */
export interface DatasetDefinition<C extends Config = Config> extends Definition {
  /** Default config; suites override keys per scale. */
  readonly defaults: C;
  /** Allowed values of numeric keys, checked before anything loads. */
  readonly ranges?: ConfigRanges<keyof C & string>;
  /** Loads or generates the data; throws `DatasetUnavailableError` for missing files. */
  load(config: C, context: DatasetContext): Promise<Dataset> | Dataset;
}

/** A batch as tensors. */
export interface Batch {
  /** Input fields by name, each a tensor `[B, ...spec.shape]`. */
  readonly inputs: Fields;
  /** `[B, ...target.shape]` */
  readonly target: Tensor;
}

function gatherRows(data: Float32Array, rowSize: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    out.set(data.subarray(k * rowSize, (k + 1) * rowSize), i * rowSize);
  }
  return out;
}

/**
 * Cuts a batch out of a split and uploads it.
 *
 * @param indices sample indices into the split.
 * @returns tensors `[indices.length, ...shape]` for every input field and the target.
 */
export function makeBatch(dataset: Dataset, split: Split, indices: readonly number[]): Batch {
  const inputs: Fields = {};
  for (const spec of dataset.inputs) {
    const size = fieldSize(spec);
    inputs[spec.name] = tf.tensor(gatherRows(split.inputs[spec.name], size, indices), [
      indices.length,
      ...spec.shape,
    ]);
  }
  const tsize = fieldSize(dataset.target);
  const target = tf.tensor(gatherRows(split.target, tsize, indices), [
    indices.length,
    ...dataset.target.shape,
  ]);
  return { inputs, target };
}

/** Disposes every tensor of a batch. */
export function disposeBatch(batch: Batch): void {
  for (const t of Object.values(batch.inputs)) t.dispose();
  batch.target.dispose();
}

/** `[0, 1, ..., n-1]` cut into consecutive chunks of at most `size`. */
export function chunks(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < n; s += size) {
    out.push(Array.from({ length: Math.min(size, n - s) }, (_, i) => s + i));
  }
  return out;
}
