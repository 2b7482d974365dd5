/**
 * REMUL's multitask loss (paper §4): `L = α·L_obj + β·L_equi` with
 * `L_obj = mean ℓ(f(x), y)` and `L_equi = mean ℓ(f(g·x), g·y)`, one group element per sample per
 * step (or `groupSamples` of them), ℓ = MSE. Plain training is (α=1, β=0); data augmentation is
 * (α=0, β=1). The equivariance term is anchored to the label: the target is rotated with the input.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import {
  type Fields,
  repeatBatch,
  repeatFields,
  rotate,
  rotateFields,
} from "../symmetry/group_action.ts";

/** A model as the loss sees it: fields in, prediction (and optional auxiliary loss) out. */
export type ForwardFn = (inputs: Fields) => Tensor | { prediction: Tensor; auxLoss?: Tensor };

/** The parts of the REMUL loss for one batch; all scalars. */
export interface RemulLossParts {
  /** `α·L_obj + β·L_equi + aux` */
  readonly total: Tensor;
  /** `L_obj`, or `null` when α = 0 (not computed). */
  readonly objective: Tensor | null;
  /** `L_equi`, or `null` when β = 0 (not computed). */
  readonly equivariance: Tensor | null;
  /** The model's own regulariser (`auxLoss`, weight 1), when it has one. */
  readonly aux?: Tensor;
}

/** Options of {@linkcode remulLoss}. */
export interface RemulLossOptions {
  /** Weight of the objective term. */
  readonly alpha: number;
  /** Weight of the equivariance term. */
  readonly beta: number;
  /** How each input field transforms. */
  readonly inputs: readonly FieldSpec[];
  /** How the target transforms (`vector`/`position` rotate; `scalar` is invariant). */
  readonly target: FieldSpec;
  /**
   * Rotations `[B·K, 3, 3]` for the equivariance term, K = group samples per input (sample-major:
   * rows k·K … k·K+K−1 belong to sample k). Required when β ≠ 0.
   */
  readonly rotations?: Tensor;
}

function unpack(out: ReturnType<ForwardFn>): { prediction: Tensor; auxLoss?: Tensor } {
  return out instanceof tf.Tensor ? { prediction: out } : out;
}

/** Mean squared error over every element. */
export function mse(prediction: Tensor, target: Tensor): Tensor {
  return tf.tidy(() => prediction.sub(target).square().mean());
}

/**
 * Computes the REMUL loss for one batch. When both terms are needed, the original and the
 * transformed batch go through the model as one concatenated batch.
 *
 * @param forward the model.
 * @param batch `inputs` (each `[B, ...]`) and `target` `[B, ...target.shape]`.
 * @returns scalars; call inside `tf.variableGrads`/`tf.tidy`.
 * @throws Error when β ≠ 0 and no rotations are given.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { remulLoss } from "./remul_loss.ts";
 * const inputs = [{ name: "pos", kind: "position", shape: [2, 3] }] as const;
 * const target = { name: "pos", kind: "position", shape: [2, 3] } as const;
 * const x = { pos: tf.randomNormal([4, 2, 3]) };
 * const rotations = tf.eye(3).expandDims(0).tile([4, 1, 1]);
 * const { total } = remulLoss((f) => f.pos.mul(2), { inputs: x, target: x.pos }, {
 *   alpha: 1, beta: 10, inputs: [...inputs], target, rotations,
 * });
 * total.print();
 * ```
 */
export function remulLoss(
  forward: ForwardFn,
  batch: { inputs: Fields; target: Tensor },
  options: RemulLossOptions,
): RemulLossParts {
  const { alpha, beta } = options;
  const needObj = alpha !== 0;
  const needEqui = beta !== 0;
  if (!needObj && !needEqui) throw new Error("remulLoss: α and β are both 0, nothing to train");
  const b = batch.target.shape[0];
  let gx: Fields | undefined;
  let gy: Tensor | undefined;
  if (needEqui) {
    if (!options.rotations) throw new Error("remulLoss: β ≠ 0 needs rotations [B·K, 3, 3]");
    const k = options.rotations.shape[0] / b;
    if (!Number.isInteger(k) || k < 1) {
      throw new Error(`remulLoss: ${options.rotations.shape[0]} rotations for a batch of ${b}`);
    }
    gx = rotateFields(repeatFields(batch.inputs, k), options.inputs, options.rotations);
    const y = repeatBatch(batch.target, k);
    gy = options.target.kind === "scalar" ? y : rotate(y, options.rotations);
  }
  let objective: Tensor | null = null;
  let equivariance: Tensor | null = null;
  let aux: Tensor | undefined;
  if (needObj && needEqui) {
    const joint: Fields = {};
    for (const spec of options.inputs) {
      joint[spec.name] = tf.concat([batch.inputs[spec.name], gx![spec.name]], 0);
    }
    const out = unpack(forward(joint));
    const [p, gp] = tf.split(out.prediction, [b, out.prediction.shape[0] - b], 0);
    objective = mse(p, batch.target);
    equivariance = mse(gp, gy!);
    aux = out.auxLoss;
  } else if (needObj) {
    const out = unpack(forward(batch.inputs));
    objective = mse(out.prediction, batch.target);
    aux = out.auxLoss;
  } else {
    const out = unpack(forward(gx!));
    equivariance = mse(out.prediction, gy!);
    aux = out.auxLoss;
  }
  let total = tf.scalar(0);
  if (objective) total = total.add(objective.mul(alpha));
  if (equivariance) total = total.add(equivariance.mul(beta));
  if (aux) total = total.add(aux);
  return { total, objective, equivariance, aux };
}
