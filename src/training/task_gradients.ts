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
  /**
   * `α·∇L_obj + β·∇L_equi (+ ∇aux)` by variable name, ready for `optimizer.applyGradients`; the
   * model's regulariser keeps weight 1, as with constant weights.
   */
  readonly grads: Record<string, Tensor>;
  /** Task losses and last-layer gradient norms, for {@linkcode gradNormStep}. */
  readonly observation: GradNormObservation;
  /** `α·L_obj + β·L_equi + aux` at the current weights (aux: the model's regulariser, if any). */
  readonly loss: number;
}

function sqNorm(grads: Record<string, Tensor>, vars: readonly Variable[]): Tensor {
  return tf.tidy(() =>
    vars.map((v) => grads[v.name]?.square().sum() ?? tf.scalar(0)).reduce((a, b) => a.add(b))
  );
}

/**
 * Computes both tasks' gradients for one batch (two forward/backward passes, a third for a model
 * with its own regulariser) and combines them with the current weights.
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
  // The task losses are L_obj and L_equi alone; a model's own regulariser (GATr's, RPP's and
  // PER's `auxLoss`) keeps its weight of 1, as with constant weights, in a pass of its own on
  // the batch as it is. safeVariableGrads: a loss that throws leaves nothing behind.
  let hasAux = false;
  const task = (alpha: number, beta: number, part: "objective" | "equivariance" | "aux") =>
    safeVariableGrads(() => {
      const parts = remulLoss(forward, batch, { ...options, alpha, beta });
      if (parts.aux) hasAux = true;
      return parts[part] as tf.Scalar;
    }, params);
  const passes: ReturnType<typeof task>[] = [];
  try {
    passes.push(task(1, 0, "objective"));
    passes.push(task(0, 1, "equivariance"));
    if (hasAux) passes.push(task(1, 0, "aux"));
  } catch (e) {
    tf.dispose(passes.flatMap((p) => [p.value, p.grads]));
    throw e;
  }
  const [obj, equi, aux] = passes;
  // A variable that does not affect a task's loss has no gradient in it (tfjs leaves it out):
  // that task contributes zero. A variable in none gets no entry (the optimiser skips it).
  const grads = tf.tidy(() => {
    const out: Record<string, Tensor> = {};
    for (const v of params) {
      const terms = [
        obj.grads[v.name]?.mul(state.alpha),
        equi.grads[v.name]?.mul(state.beta),
        aux?.grads[v.name],
      ].filter((t): t is Tensor => t !== undefined);
      if (terms.length > 0) out[v.name] = terms.length === 1 ? terms[0] : tf.addN(terms);
    }
    return out;
  });
  const packed = tf.tidy(() =>
    tf.stack([
      obj.value,
      equi.value,
      sqNorm(obj.grads, options.lastLayer),
      sqNorm(equi.grads, options.lastLayer),
      aux?.value ?? tf.scalar(0),
    ])
  );
  const [lObj, lEqui, gObj2, gEqui2, auxValue] = await packed.data();
  tf.dispose([...passes.flatMap((p) => [p.value, p.grads]), packed]);
  return {
    grads,
    loss: state.alpha * lObj + state.beta * lEqui + auxValue,
    observation: {
      objective: lObj,
      equivariance: lEqui,
      gradNormObjective: Math.sqrt(gObj2),
      gradNormEquivariance: Math.sqrt(gEqui2),
    },
  };
}
