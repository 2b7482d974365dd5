/**
 * GradNorm for REMUL's two tasks (paper App. C.1, Algorithm 1), first-order form: the targets are
 * held constant, so `∂L_g/∂α = sign(G_obj − T_obj)·‖∇_W L_obj‖` and likewise for β; no
 * second-order autodiff is needed. W is the model's last layer. Weights are kept positive by a
 * floor; there is no renormalisation (Algorithm 1 has none).
 *
 * @module
 */

/** GradNorm hyperparameters (docs/protocols.md defaults γ = 1.5, η = 0.025). */
export interface GradNormConfig {
  /** Restoring force γ. */
  readonly gamma: number;
  /** Learning rate η of the task weights. */
  readonly eta: number;
  /** Weights are clamped to at least this value ("kept positive"). */
  readonly minWeight: number;
}

/** Task weights and the initial losses `L(0)` recorded at the first step. */
export interface GradNormState {
  /** Weight α of the objective term. */
  readonly alpha: number;
  /** Weight β of the equivariance term. */
  readonly beta: number;
  /** L_obj(0), recorded at the first step. */
  readonly initialObjective?: number;
  /** L_equi(0), recorded at the first step. */
  readonly initialEquivariance?: number;
}

/** What one step measured: task losses and ‖∇_W L_i‖ (unweighted). */
export interface GradNormObservation {
  /** Current objective loss L_obj. */
  readonly objective: number;
  /** Current equivariance loss L_equi. */
  readonly equivariance: number;
  /** ‖∇_W L_obj‖ on the last layer, unweighted. */
  readonly gradNormObjective: number;
  /** ‖∇_W L_equi‖ on the last layer, unweighted. */
  readonly gradNormEquivariance: number;
}

/** The new state plus the quantities of Algorithm 1, for logging. */
export interface GradNormUpdate extends GradNormState {
  /** G_obj = α‖∇_W L_obj‖ at this step. */
  readonly gObjective: number;
  /** G_equi = β‖∇_W L_equi‖ at this step. */
  readonly gEquivariance: number;
  /** Target T_obj = Ḡ·r_α^γ (held constant). */
  readonly targetObjective: number;
  /** Target T_equi = Ḡ·r_β^γ (held constant). */
  readonly targetEquivariance: number;
}

/**
 * One GradNorm step (Algorithm 1).
 *
 * @example
 * ```ts
 * import { gradNormStep } from "./gradnorm.ts";
 * const s = gradNormStep({ alpha: 1, beta: 10 }, {
 *   objective: 1, equivariance: 1, gradNormObjective: 2, gradNormEquivariance: 0.1,
 * }, { gamma: 1.5, eta: 0.025, minWeight: 1e-6 });
 * // G_obj = 2 > Ḡ = 1.5, so α falls by η·2; G_equi = 1 < Ḡ, so β rises by η·0.1.
 * if (Math.abs(s.alpha - 0.95) > 1e-12 || Math.abs(s.beta - 10.0025) > 1e-12) throw new Error();
 * ```
 */
export function gradNormStep(
  state: GradNormState,
  obs: GradNormObservation,
  config: GradNormConfig,
): GradNormUpdate {
  const l0o = state.initialObjective ?? obs.objective;
  const l0e = state.initialEquivariance ?? obs.equivariance;
  const gObj = state.alpha * obs.gradNormObjective; // ‖∇_W α L_obj‖
  const gEqui = state.beta * obs.gradNormEquivariance;
  const rateObj = l0o > 0 ? obs.objective / l0o : 1; // L̃_obj
  const rateEqui = l0e > 0 ? obs.equivariance / l0e : 1;
  const gMean = (gObj + gEqui) / 2;
  const rMean = (rateObj + rateEqui) / 2;
  const targetObj = rMean > 0 ? gMean * (rateObj / rMean) ** config.gamma : gMean;
  const targetEqui = rMean > 0 ? gMean * (rateEqui / rMean) ** config.gamma : gMean;
  const dAlpha = Math.sign(gObj - targetObj) * obs.gradNormObjective;
  const dBeta = Math.sign(gEqui - targetEqui) * obs.gradNormEquivariance;
  return {
    alpha: Math.max(config.minWeight, state.alpha - config.eta * dAlpha),
    beta: Math.max(config.minWeight, state.beta - config.eta * dBeta),
    initialObjective: l0o,
    initialEquivariance: l0e,
    gObjective: gObj,
    gEquivariance: gEqui,
    targetObjective: targetObj,
    targetEquivariance: targetEqui,
  };
}
