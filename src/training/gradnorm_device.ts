/**
 * GradNorm's step (`gradNormStep` in gradnorm.ts, Algorithm 1) on the backend's own tensors, so that a
 * training loop never has to read the task losses back to update α and β: on WebGPU a readback
 * costs a round trip (≥ 11 ms under Deno) and stops the host from queueing the next step while
 * the device runs this one. The arithmetic is `gradNormStep`'s, in float32 on the device; its
 * test holds it to `gradNormStep` in float64. On webgpu it is one program
 * (`RemulGradNormStep`, `src/backend/webgpu_gradnorm.ts`) instead of the composite's 20;
 * elsewhere, and with fused ops off (`setFusedOps(false)`), the composite below.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { GradNormConfig } from "./gradnorm.ts";
import { fusedOpsEnabled } from "../backend/fused_op.ts";
import { GRADNORM_KERNEL } from "../backend/webgpu_gradnorm.ts";

/** GradNorm's state on the device. */
export interface GradNormTensors {
  /** `[α, β]`, float32. */
  readonly weights: Tensor;
  /** `[L_obj(0), L_equi(0)]`, from the first step on (absent before it). */
  readonly initialLosses?: Tensor;
}

/** What one step measured, on the device: both `[2]`, objective first. */
export interface GradNormObservationTensors {
  /** `[L_obj, L_equi]`. */
  readonly losses: Tensor;
  /** `[‖∇_W L_obj‖, ‖∇_W L_equi‖]` on the last layer, unweighted. */
  readonly gradNorms: Tensor;
}

/**
 * One GradNorm step on the device: the new `[α, β]` and, at the first step, `L(0)` (the
 * observation's losses). Nothing is read back and nothing passed in is disposed; the caller owns
 * the new weights, and the new `initialLosses` is the one passed in or `obs.losses` itself.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { gradNormStepTensors } from "./gradnorm_device.ts";
 * const weights = tf.tensor1d([1, 10]);
 * const obs = { losses: tf.tensor1d([1, 1]), gradNorms: tf.tensor1d([2, 0.1]) };
 * const next = gradNormStepTensors({ weights }, obs, { gamma: 1.5, eta: 0.025, minWeight: 1e-6 });
 * // G = [2, 1], Ḡ = 1.5: α falls by η·2, β rises by η·0.1 (as gradNormStep's example).
 * const [alpha, beta] = next.weights.dataSync();
 * if (Math.abs(alpha - 0.95) > 1e-6 || Math.abs(beta - 10.0025) > 1e-5) throw new Error();
 * tf.dispose([weights, obs.losses, obs.gradNorms, next.weights]);
 * ```
 */
export function gradNormStepTensors(
  state: GradNormTensors,
  obs: GradNormObservationTensors,
  config: GradNormConfig,
): Required<GradNormTensors> {
  const initialLosses = state.initialLosses ?? obs.losses;
  if (fusedOpsEnabled() && tf.getKernel(GRADNORM_KERNEL, tf.getBackend())) {
    const weights = tf.engine().runKernel(GRADNORM_KERNEL, {
      weights: state.weights,
      losses: obs.losses,
      gradNorms: obs.gradNorms,
      initialLosses,
    }, { gamma: config.gamma, eta: config.eta, minWeight: config.minWeight }) as Tensor;
    return { weights, initialLosses };
  }
  const weights = tf.tidy(() => {
    const g = state.weights.mul(obs.gradNorms); // G_i = w_i‖∇_W L_i‖
    // L̃_i = L_i / L_i(0), or 1 where L_i(0) is 0 (as gradNormStep)
    const rate = tf.where(
      initialLosses.greater(0),
      obs.losses.div(initialLosses),
      tf.onesLike(obs.losses),
    );
    const gMean = g.mean();
    const rMean = rate.mean();
    // T_i = Ḡ·(L̃_i / mean L̃)^γ, or Ḡ where mean L̃ is 0
    const scaled = gMean.mul(rate.div(rMean).pow(config.gamma));
    const target = tf.where(rMean.greater(0), scaled, gMean);
    const step = g.sub(target).sign().mul(obs.gradNorms).mul(config.eta);
    return state.weights.sub(step).maximum(config.minWeight);
  });
  return { weights, initialLosses };
}
