/**
 * Per-task gradients for GradNorm in any training loop: the gradients of `L_obj` and `L_equi`
 * with respect to every parameter, their norms on the last layer (what Algorithm 1 compares), and
 * the combined gradient `α·∇L_obj + β·∇L_equi` to hand to an optimiser.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../tf.ts";
import type { GradNormObservation, GradNormState } from "./gradnorm.ts";
import { type ForwardFn, remulLoss, type RemulLossOptions } from "./remul_loss.ts";
import { safeVariableGrads } from "./safe_variable_grads.ts";

/** Options of {@linkcode remulTaskGradients}. */
export interface TaskGradientOptions extends Omit<RemulLossOptions, "alpha" | "beta"> {
  /** Every trainable variable. */
  readonly params: readonly Variable[];
  /** The variables GradNorm measures (the last layer); a subset of `params`. */
  readonly lastLayer: readonly Variable[];
  /** Current task weights. */
  readonly state: GradNormState;
}

/** What {@linkcode remulTaskGradients} returns; the caller disposes `grads`. */
export interface TaskGradients {
  /** `α·∇L_obj + β·∇L_equi` by variable name, ready for `optimizer.applyGradients`. */
  readonly grads: Record<string, Tensor>;
  /** Task losses and last-layer gradient norms, for {@linkcode gradNormStep}. */
  readonly observation: GradNormObservation;
  /** `α·L_obj + β·L_equi` at the current weights. */
  readonly loss: number;
}

function sqNorm(grads: Record<string, Tensor>, vars: readonly Variable[]): Tensor {
  return tf.tidy(() =>
    vars.map((v) => grads[v.name]?.square().sum() ?? tf.scalar(0)).reduce((a, b) => a.add(b))
  );
}

/**
 * Computes both tasks' gradients for one batch (two forward/backward passes) and combines them
 * with the current weights.
 *
 * @param forward the model.
 * @param batch `inputs` (each `[B, ...]`) and `target` `[B, ...]`.
 * @returns combined gradients (dispose them after use) and the GradNorm observation.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { gradNormStep, remulTaskGradients } from "../../mod.ts";
 * const w = tf.variable(tf.eye(3).mul(0.5), true, "w");
 * const forward = (f: Record<string, tf.Tensor>) => tf.matMul(f.pos.reshape([-1, 3]), w).reshape(f.pos.shape);
 * const pos = tf.randomNormal([4, 2, 3]);
 * const spec = { name: "pos", kind: "position", shape: [2, 3] } as const;
 * let state = { alpha: 1, beta: 10 };
 * const { grads, observation } = await remulTaskGradients(forward, { inputs: { pos }, target: pos.mul(2) }, {
 *   inputs: [spec], target: spec, rotations: tf.eye(3).expandDims(0).tile([4, 1, 1]),
 *   params: [w], lastLayer: [w], state,
 * });
 * const optimizer: tf.Optimizer = tf.train.adam(1e-3);
 * optimizer.applyGradients(grads);
 * state = gradNormStep(state, observation, { gamma: 1.5, eta: 0.025, minWeight: 1e-6 });
 * ```
 */
export async function remulTaskGradients(
  forward: ForwardFn,
  batch: { inputs: Record<string, Tensor>; target: Tensor },
  options: TaskGradientOptions,
): Promise<TaskGradients> {
  const { state } = options;
  const params = options.params as Variable[];
  // safeVariableGrads: a loss that throws leaves nothing behind (tfjs's tape keeps copies)
  const task = (alpha: number, beta: number) =>
    safeVariableGrads(
      () => remulLoss(forward, batch, { ...options, alpha, beta }).total as tf.Scalar,
      params,
    );
  const obj = task(1, 0);
  let equi: ReturnType<typeof task>;
  try {
    equi = task(0, 1);
  } catch (e) {
    tf.dispose([obj.value, obj.grads]);
    throw e;
  }
  // A variable that does not affect a task's loss has no gradient in it (tfjs leaves it out):
  // that task contributes zero. A variable in neither gets no entry (the optimiser skips it).
  const grads = tf.tidy(() => {
    const out: Record<string, Tensor> = {};
    for (const v of params) {
      const go = obj.grads[v.name];
      const ge = equi.grads[v.name];
      if (go && ge) out[v.name] = go.mul(state.alpha).add(ge.mul(state.beta));
      else if (go) out[v.name] = go.mul(state.alpha);
      else if (ge) out[v.name] = ge.mul(state.beta);
    }
    return out;
  });
  const packed = tf.tidy(() =>
    tf.stack([
      obj.value,
      equi.value,
      sqNorm(obj.grads, options.lastLayer),
      sqNorm(equi.grads, options.lastLayer),
    ])
  );
  const [lObj, lEqui, gObj2, gEqui2] = await packed.data();
  tf.dispose([obj.value, equi.value, obj.grads, equi.grads, packed]);
  return {
    grads,
    loss: state.alpha * lObj + state.beta * lEqui,
    observation: {
      objective: lObj,
      equivariance: lEqui,
      gradNormObjective: Math.sqrt(gObj2),
      gradNormEquivariance: Math.sqrt(gEqui2),
    },
  };
}
