/**
 * The standard MLP baseline of the paper's MoCap comparison (Table 1, lower half; Table 4:
 * 3 layers, hidden 680): every input field flattened and concatenated, three hidden layers with
 * swish (as EMLP's `MLP` baseline, `emlp/nn/objax.py`), a linear head to the flattened target.
 * Not equivariant (and not permutation-equivariant over nodes); REMUL and augmentation train it.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { fieldSize } from "../symmetry/field.ts";
import type { Model, ModelContext, ModelDefinition } from "./model.ts";
import { dense, type DenseParams, silu } from "./nn.ts";
import { ParamFactory } from "./params.ts";

/** MLP hyperparameters. */
export type MlpConfig = {
  /** Hidden width. */
  hidden: number;
  /** Number of hidden layers. */
  layers: number;
};

/**
 * Builds the MLP for a data set's fields.
 *
 * @param config width and depth.
 * @param ctx input fields (flattened in order), target field (prediction `[B, ...target.shape]`).
 * @throws Error for a non-positive width or depth.
 */
export function createMlp(config: MlpConfig, ctx: ModelContext): Model {
  if (!Number.isInteger(config.hidden) || config.hidden < 1) {
    throw new Error("mlp: hidden must be ≥ 1");
  }
  if (!Number.isInteger(config.layers) || config.layers < 1) {
    throw new Error("mlp: layers must be ≥ 1");
  }
  const inDim = ctx.inputs.reduce((s, f) => s + fieldSize(f), 0);
  const outDim = fieldSize(ctx.target);
  const p = new ParamFactory(ctx.seed);
  const hiddenLayers: DenseParams[] = [];
  for (let i = 0; i < config.layers; i++) {
    hiddenLayers.push(p.dense(`l${i}`, i === 0 ? inDim : config.hidden, config.hidden));
  }
  const head = p.dense("head", config.hidden, outDim);
  const names = ctx.inputs.map((f) => f.name);
  return {
    params: p.variables,
    lastLayer: [head.w, head.b!],
    forward(inputs) {
      const prediction = tf.tidy(() => {
        const b = inputs[names[0]].shape[0];
        const parts = names.map((n) => inputs[n].reshape([b, -1]));
        let x = parts.length === 1 ? parts[0] : tf.concat(parts, 1); // [B, Σ field sizes]
        for (const l of hiddenLayers) {
          const h = dense(x, l);
          x = silu(h); // swish
        }
        return dense(x, head).reshape([b, ...ctx.target.shape]);
      });
      return { prediction };
    },
    dispose() {
      p.variables.forEach((v) => v.dispose());
    },
  };
}

/** Registry entry for the MLP. */
export const mlp: ModelDefinition<MlpConfig> = {
  id: "mlp",
  description: "MLP baseline: flattened fields, swish hidden layers, linear head",
  equivariance: "none",
  stepCost: 0.03,
  defaults: { hidden: 680, layers: 3 },
  smoke: { hidden: 32 },
  ranges: {
    hidden: { integer: true, min: 1, what: "hidden width" },
    layers: { integer: true, min: 1, what: "hidden layers" },
  },
  create: createMlp,
};
