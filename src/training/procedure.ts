/**
 * Training procedures: how the two REMUL loss terms are weighted. Each procedure is a registry
 * definition with a typed config; `create` returns a plain weighting value the training loop acts on.
 *
 * @module
 */
import type { Definition } from "../core/registry.ts";
import { type Config, resolveConfig } from "../core/config.ts";
import { checkRanges, type ConfigRanges } from "../core/config_range.ts";
import type { GradNormConfig } from "./gradnorm.ts";

/** Constant weights, or GradNorm-adapted weights starting at (α₀, β₀). */
export type Weighting =
  | { readonly kind: "constant"; readonly alpha: number; readonly beta: number }
  | ({ readonly kind: "gradnorm"; readonly alpha: number; readonly beta: number } & GradNormConfig);

/** A registered training procedure. */
export interface ProcedureDefinition<C extends Config = Config> extends Definition {
  /** Default config (e.g. β); grid parameters override it. */
  readonly defaults: C;
  /**
   * Rough time of a training step relative to plain training (default 1). REMUL's forward pass
   * takes the batch and its transformed copy (1.7: the N-body Transformer's measured 5.5 against
   * 3.2 s for 300 steps); GradNorm adds a gradient per task (2.2: 6.9 s). A scheduling hint, as a
   * model's `stepCost`.
   */
  readonly stepCost?: number;
  /** Allowed values of the config's keys. */
  readonly ranges?: ConfigRanges<keyof C & string>;
  /**
   * Builds the weighting. Keys left out take their defaults (`remul.create({ beta: 10 })` has
   * α = 1); unknown keys, wrong types and values out of range throw, naming the key.
   */
  create(config: Partial<C>): Weighting;
}

/** `config` over the procedure's defaults, checked against its keys, types and ranges. */
function resolved<C extends Config>(
  def: { readonly id: string; readonly defaults: C; readonly ranges?: ConfigRanges },
  config: Partial<C>,
): C {
  const where = `procedure "${def.id}"`;
  const c = resolveConfig(def.defaults, config, where);
  checkRanges(c, def.ranges, where);
  return c;
}

/** Plain training: α = 1, β = 0. */
export const plain: ProcedureDefinition<Record<string, never>> = {
  id: "plain",
  description: "plain training on the objective (α=1, β=0)",
  defaults: {},
  create: () => ({ kind: "constant", alpha: 1, beta: 0 }),
};

/** Data augmentation: α = 0, β = 1 (every training input transformed). */
export const augmentation: ProcedureDefinition<Record<string, never>> = {
  id: "augmentation",
  description: "data augmentation: every input and target rotated (α=0, β=1)",
  defaults: {},
  create: () => ({ kind: "constant", alpha: 0, beta: 1 }),
};

/** REMUL with constant weights. */
export const remul: ProcedureDefinition<{ alpha: number; beta: number }> = {
  id: "remul",
  description: "REMUL, constant penalty: α·L_obj + β·L_equi",
  stepCost: 1.7,
  defaults: { alpha: 1, beta: 1 },
  ranges: {
    alpha: { min: 0, what: "weight α of the objective" },
    beta: { min: 0, what: "weight β of the equivariance term" },
  },
  create(config) {
    const c = resolved(remul, config);
    return { kind: "constant", alpha: c.alpha, beta: c.beta };
  },
};

/** REMUL with GradNorm-adapted weights (gradual penalty). */
export const remulGradnorm: ProcedureDefinition<
  { alpha: number; beta: number; gamma: number; eta: number; minWeight: number }
> = {
  id: "remul-gradnorm",
  description: "REMUL, gradual penalty: GradNorm (Algorithm 1) adapts α, β from (α₀, β₀)",
  stepCost: 2.2,
  defaults: { alpha: 1, beta: 1, gamma: 1.5, eta: 0.025, minWeight: 1e-6 },
  ranges: {
    alpha: { above: 0, what: "starting weight α₀ of the objective" },
    beta: { min: 0, what: "starting weight β₀ of the equivariance term" },
    gamma: { min: 0, what: "GradNorm's asymmetry γ" },
    eta: { above: 0, what: "GradNorm's learning rate η" },
    minWeight: { min: 0, what: "floor of the task weights" },
  },
  create(config) {
    return { kind: "gradnorm", ...resolved(remulGradnorm, config) };
  },
};
