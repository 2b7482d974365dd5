/**
 * Residual Pathway Priors (Finzi et al. 2021b, `rpp/objax.py`): every linear layer of an EMLP is
 * the sum of an equivariant path and an unconstrained one, `W = P(W_eq) + W_basic` (likewise the
 * bias), and each gated nonlinearity gets a non-equivariant residual `w_basic ⊙ swish(x)`. The
 * unconstrained path starts at `basicInit = 1e-3` times the equivariant weights. The prior is
 * weight decay, exposed as the model's `auxLoss`:
 * `basicWd·(Σ‖W_basic‖² + Σ‖w_basic‖²) + equivWd·Σ‖W_eq‖²` with RPP's defaults basicWd = 100,
 * equivWd = 1e-3 (`experiments/perfect-symmetry/inertia_runner.py`); hidden 348 on MoCap (paper
 * Table 4). The prior is added to the raw-unit MSE as it is, as in the reference (see
 * `network.ts`). Partially equivariant: exactly equivariant when the unconstrained path is zero.
 *
 * Measured on the real running data (README, MoCap): the prior slows the early fit (test MSE
 * 3.30 after 60 epochs at the `small` width, against EMLP's 0.61), and after 400 epochs RPP
 * reaches 0.234 (paper 0.342).
 *
 * Simplified vs. the reference: the EMLP simplifications of `network.ts` (rank cap, init, input
 * scale); the biases' unconstrained part is not decayed (as in RPP, whose decay matches names
 * ending in `w_basic` only).
 *
 * @module
 */
import type { ModelDefinition } from "../model.ts";
import { createEmlpNetwork, EMLP_NETWORK_RANGES, type EmlpNetworkConfig } from "./network.ts";

/** RPP hyperparameters. */
export type RppConfig = EmlpNetworkConfig & {
  /** Weight decay of the unconstrained path (RPP's `basic_wd`). */
  basicWd: number;
  /** Weight decay of the equivariant path (RPP's `equiv_wd`). */
  equivWd: number;
};

/** Registry entry for RPP. */
export const rpp: ModelDefinition<RppConfig> = {
  id: "rpp",
  description: "Residual Pathway Priors: EMLP + unconstrained path, L2 prior as auxiliary loss",
  equivariance: "partial",
  stepCost: 0.12,
  defaults: {
    hidden: 348,
    layers: 3,
    maxRank: 1,
    group: "O(3)",
    scale: 0.1,
    basicWd: 100,
    equivWd: 1e-3,
  },
  smoke: { hidden: 24, layers: 2 },
  ranges: {
    ...EMLP_NETWORK_RANGES,
    basicWd: { min: 0, what: "prior weight of the unconstrained path" },
    equivWd: { min: 0, what: "prior weight of the equivariant path" },
  },
  create: ({ basicWd, equivWd, ...net }, ctx) => {
    if (basicWd < 0 || equivWd < 0) throw new Error(`rpp: basicWd and equivWd must be ≥ 0`);
    return createEmlpNetwork("rpp", net, ctx, { basicWd, equivWd });
  },
};
