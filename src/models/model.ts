/**
 * What a model is to the harness: a definition in the registry that builds an instance from a
 * typed config and the data set's field specs. Models are plain functions over tfjs variables
 * (no tfjs-layers), so initialisation is seeded on the host and identical on every backend.
 *
 * @module
 */
import type { Definition } from "../core/registry.ts";
import type { Config } from "../core/config.ts";
import type { ConfigRanges } from "../core/config_range.ts";
import type { Tensor, Variable } from "../tf.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import type { Fields } from "../symmetry/group_action.ts";

/** How a model relates to the symmetry of its task. */
export type Equivariance =
  /** Equivariant by construction: E and E' are zero up to float error. */
  | "exact"
  /** No constraint; equivariance is only learned (or not). */
  | "none"
  /** Partly constrained (e.g. RPP, PER); equivariance is measured. */
  | "partial";

/** What a model is built against: the data set's fields and a seed. */
export interface ModelContext {
  /** Input fields with their shapes and transformation kinds. */
  readonly inputs: readonly FieldSpec[];
  /** The target field (what the model predicts). */
  readonly target: FieldSpec;
  /** Seed for parameter initialisation. */
  readonly seed: number;
  /** Optional fixed graph of the data set: directed edges `[src, dst]` (MD17, MoCap). */
  readonly edges?: readonly (readonly [number, number])[];
}

/** A model's output for one batch. */
export interface ModelOutput {
  /** Prediction, `[batch, ...target.shape]`, transforms like the target field. */
  readonly prediction: Tensor;
  /** Optional scalar added to the training loss (e.g. GATr's output regulariser). */
  readonly auxLoss?: Tensor;
}

/** A built model: trainable variables and a forward function. */
export interface Model {
  /** Trainable variables, in a fixed order. */
  readonly params: readonly Variable[];
  /** The last layer's weights: GradNorm measures task gradients on these. */
  readonly lastLayer: readonly Variable[];
  /** Forward pass; must not leak tensors (callers run it inside `tf.tidy`). */
  forward(inputs: Fields): ModelOutput;
  /** Frees the variables. */
  dispose(): void;
  /** Optional estimate of the memory a training step of `batchSize` needs, in bytes. */
  estimateMemoryBytes?(batchSize: number): number;
}

/** A registered model kind. */
export interface ModelDefinition<C extends Config = Config> extends Definition {
  /** Whether the architecture is equivariant by construction. */
  readonly equivariance: Equivariance;
  /** Default config: the paper's size. */
  readonly defaults: C;
  /** Allowed values of the numeric settings, checked where suites expand and `--set` lands. */
  readonly ranges?: ConfigRanges<keyof C & string>;
  /**
   * Rough time of one plain training step relative to the Transformer baseline's on the same
   * data (default 1; read off the N-body and MoCap records). A scheduling hint only: parallel
   * runs start the costliest cases first ({@link ../runner/schedule.ts}), so that a long case does
   * not end up running alone at the end. It never changes a result.
   */
  readonly stepCost?: number;
  /**
   * A tiny configuration (overrides of `defaults`) that builds and trains in well under a second
   * a step: what the conformance test builds, and a starting point for a suite's `smoke` scale.
   */
  readonly smoke: Partial<C>;
  /**
   * Why the model cannot serve a data set with these fields, or `undefined` when it can. The
   * runner records a declined pairing as `skipped` with this reason instead of building the model.
   */
  decline?(context: Omit<ModelContext, "seed">): string | undefined;
  /** Builds an instance; may throw with a stated reason if it cannot serve the data set. */
  create(config: C, context: ModelContext): Model;
}

/** Total number of trainable scalars. */
export function countParams(model: Pick<Model, "params">): number {
  return model.params.reduce((s, v) => s + v.size, 0);
}

/**
 * A {@linkcode ModelDefinition.decline} from a field check that throws with its reason.
 *
 * @example
 * ```ts
 * import { declineWhenThrows } from "./model.ts";
 * const decline = declineWhenThrows((ctx) => {
 *   if (ctx.inputs.length === 0) throw new Error("needs an input");
 * });
 * const target = { name: "x", kind: "position", shape: [2, 3] } as const;
 * if (decline({ inputs: [], target }) !== "needs an input") throw new Error();
 * ```
 */
export function declineWhenThrows(
  check: (context: Omit<ModelContext, "seed">) => void,
): (context: Omit<ModelContext, "seed">) => string | undefined {
  return (context) => {
    try {
      check(context);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  };
}
