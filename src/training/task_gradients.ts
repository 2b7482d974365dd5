/**
 * Per-task gradients for GradNorm in any training loop: the gradients of `L_obj` and `L_equi`
 * with respect to every parameter, their norms on the last layer (what Algorithm 1 compares), and
 * the combined gradient `α·∇L_obj + β·∇L_equi` to hand to an optimiser; on the device
 * ({@linkcode remulTaskGradientsQueued}) or read back ({@linkcode remulTaskGradients}).
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../tf.ts";
import type { GradNormObservation, GradNormState } from "./gradnorm.ts";
import type { GradNormObservationTensors } from "./gradnorm_device.ts";
import { readAll } from "../backend/read_all.ts";
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

/** Options of {@linkcode remulTaskGradientsQueued}: the task weights as a tensor. */
export interface QueuedTaskGradientOptions extends Omit<TaskGradientOptions, "state"> {
  /** Current task weights `[α, β]` (float32, on the active backend). */
  readonly weights: Tensor;
}

/**
 * What {@linkcode remulTaskGradientsQueued} returns, all on the device; the caller disposes every
 * tensor in it.
 */
export interface QueuedTaskGradients extends GradNormObservationTensors {
  /** As {@linkcode TaskGradients}' `grads`. */
  readonly grads: Record<string, Tensor>;
  /** `α·L_obj + β·L_equi + aux` at the current weights. */
  readonly loss: Tensor;
}

/**
 * {@linkcode remulTaskGradients} without the readback: the losses and last-layer gradient norms
 * stay on the device, where `gradNormStepTensors` (gradnorm_device.ts) takes them, so a training loop can
 * queue GradNorm steps as it queues constant-weight ones.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { remulTaskGradientsQueued } from "./task_gradients.ts";
 * const w = tf.variable(tf.eye(3).mul(0.5), true, "w_queued");
 * const forward = (f: Record<string, tf.Tensor>) => tf.matMul(f.pos.reshape([-1, 3]), w).reshape(f.pos.shape);
 * const pos = tf.randomNormal([4, 2, 3]);
 * const target = pos.mul(2);
 * const spec = { name: "pos", kind: "position", shape: [2, 3] } as const;
 * const weights = tf.tensor1d([1, 10]);
 * const rotations = tf.eye(3).expandDims(0).tile([4, 1, 1]);
 * const r = remulTaskGradientsQueued(forward, { inputs: { pos }, target }, {
 *   inputs: [spec], target: spec, rotations, params: [w], lastLayer: [w], weights,
 * });
 * if (r.losses.size !== 2 || r.gradNorms.size !== 2 || r.loss.rank !== 0) throw new Error();
 * tf.dispose([r.losses, r.gradNorms, r.loss, ...Object.values(r.grads), w, pos, target, weights, rotations]);
 * ```
 */
export function remulTaskGradientsQueued(
  forward: ForwardFn,
  batch: { inputs: Record<string, Tensor>; target: Tensor },
  options: QueuedTaskGradientOptions,
): QueuedTaskGradients {
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
  try {
    return tf.tidy(() => {
      const [alpha, beta] = tf.unstack(options.weights);
      // A variable that does not affect a task's loss has no gradient in it (tfjs leaves it
      // out): that task contributes zero. A variable in none gets no entry (the optimiser skips
      // it).
      const grads: Record<string, Tensor> = {};
      for (const v of params) {
        const terms = [
          obj.grads[v.name]?.mul(alpha),
          equi.grads[v.name]?.mul(beta),
          aux?.grads[v.name],
        ].filter((t): t is Tensor => t !== undefined);
        if (terms.length > 0) grads[v.name] = terms.length === 1 ? terms[0] : tf.addN(terms);
      }
      const losses = tf.stack([obj.value, equi.value]);
      const gradNorms = tf.stack([
        sqNorm(obj.grads, options.lastLayer),
        sqNorm(equi.grads, options.lastLayer),
      ]).sqrt();
      let loss = options.weights.mul(losses).sum();
      if (aux) loss = loss.add(aux.value);
      return { grads, losses, gradNorms, loss };
    });
  } finally {
    tf.dispose(passes.flatMap((p) => [p.value, p.grads]));
  }
}

/**
 * Computes both tasks' gradients for one batch (two forward/backward passes, a third for a model
 * with its own regulariser) and combines them with the current weights; reads the losses and
 * norms back ({@linkcode remulTaskGradientsQueued} leaves them on the device).
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
  const weights = tf.tensor1d([options.state.alpha, options.state.beta]);
  let r: QueuedTaskGradients;
  try {
    r = remulTaskGradientsQueued(forward, batch, { ...options, weights });
  } finally {
    weights.dispose();
  }
  const onDevice = [r.losses, r.gradNorms, r.loss];
  try {
    const [lObj, lEqui, nObj, nEqui, loss] = await readAll(onDevice);
    return {
      grads: r.grads,
      loss,
      observation: {
        objective: lObj,
        equivariance: lEqui,
        gradNormObjective: nObj,
        gradNormEquivariance: nEqui,
      },
    };
  } catch (e) {
    tf.dispose(Object.values(r.grads));
    throw e;
  } finally {
    tf.dispose(onDevice);
  }
}
