/**
 * EMLP (Finzi et al. 2021, `emlp/nn/objax.py`) for O(3) or SO(3) acting on stacked 3-vectors:
 * equivariant linear layers `W = P(W_raw)` between sums of scalar and vector (optionally rank-2)
 * representations, EMLP's bilinear layer, gated nonlinearities, biases only on invariant
 * components; the MoCap baseline of the paper's Table 1 (hidden 532, 3 layers, Table 4).
 * Exactly equivariant about the origin (the data set centres positions).
 *
 * Simplified vs. the reference (details in `network.ts`): hidden reps capped at `maxRank`
 * (default 1: 268 scalars + 88 vectors for 532) instead of `uniform_rep`'s ranks 0–4, Gaussian
 * instead of orthogonal init, a fixed input `scale` instead of data standardisation, the bilinear
 * layer's copies chosen by the model's seed.
 *
 * @module
 */
import type { ModelDefinition } from "../model.ts";
import { createEmlpNetwork, EMLP_NETWORK_RANGES, type EmlpNetworkConfig } from "./network.ts";

/** EMLP hyperparameters. */
export type EmlpConfig = EmlpNetworkConfig;

/** Registry entry for EMLP. */
export const emlp: ModelDefinition<EmlpConfig> = {
  id: "emlp",
  description: "EMLP (Finzi et al. 2021): equivariant linear + bilinear + gated layers on S⊕V",
  equivariance: "exact",
  stepCost: 0.25,
  defaults: { hidden: 532, layers: 3, maxRank: 1, group: "O(3)", scale: 0.1 },
  smoke: { hidden: 24, layers: 2 },
  ranges: {
    ...EMLP_NETWORK_RANGES,
  },
  create: (config, ctx) => createEmlpNetwork("emlp", config, ctx),
};
