/**
 * The Transformer baseline of GATr's N-body experiments (reference notes §2.9): every node's raw
 * features (`[m, x, v]` on N-body) are one token; a linear embedding, pre-LN blocks (layer norm
 * without affine, multi-head attention, GELU MLP, residuals), and a linear head that predicts the
 * target (final positions) directly. No positional encoding: the model is permutation-equivariant
 * over nodes and not rotation-equivariant.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { declineWhenThrows, type Model, type ModelContext, type ModelDefinition } from "./model.ts";
import { ParamFactory } from "./params.ts";
import {
  type AttentionParams,
  concatNodeFeatures,
  dense,
  type DenseParams,
  gelu,
  layerNorm,
  residualLayerNorm,
  selfAttention,
} from "./nn.ts";

/** Transformer hyperparameters. */
export type TransformerConfig = {
  /** Number of pre-LN blocks. */
  blocks: number;
  /** Hidden width; must be divisible by `heads`. */
  channels: number;
  /** Attention heads. */
  heads: number;
  /** MLP hidden width as a multiple of `channels`. */
  mlpRatio: number;
};

interface Block {
  attn: AttentionParams;
  mlpIn: DenseParams;
  mlpOut: DenseParams;
}

/**
 * Checks that every input field is per-node `[N, k]` (one token per node).
 *
 * @throws Error naming the first field that is not.
 */
function checkTransformerFields(ctx: Pick<ModelContext, "inputs">): void {
  for (const f of ctx.inputs) {
    if (f.shape.length !== 2) {
      throw new Error(
        `transformer: input field "${f.name}" must be per-node [nodes, k], got [${f.shape}]`,
      );
    }
  }
}

/** Builds a Transformer for per-node fields `[N, k]` predicting a per-node target `[N, 3]`. */
export function createTransformer(config: TransformerConfig, ctx: ModelContext): Model {
  const { blocks, channels: c, heads, mlpRatio } = config;
  if (c % heads !== 0) {
    throw new Error(`transformer: channels (${c}) must be divisible by heads (${heads})`);
  }
  checkTransformerFields(ctx);
  const inDim = ctx.inputs.reduce((s, f) => s + f.shape[1], 0);
  const outDim = ctx.target.shape[ctx.target.shape.length - 1];
  const p = new ParamFactory(ctx.seed);
  const embed = p.dense("embed", inDim, c);
  const hidden = Math.round(c * mlpRatio);
  const layers: Block[] = [];
  for (let i = 0; i < blocks; i++) {
    layers.push({
      attn: { qkv: p.dense(`b${i}.qkv`, c, 3 * c), out: p.dense(`b${i}.out`, c, c), heads },
      mlpIn: p.dense(`b${i}.mlp1`, c, hidden),
      mlpOut: p.dense(`b${i}.mlp2`, hidden, c),
    });
  }
  const head = p.dense("head", c, outDim);
  const names = ctx.inputs.map((f) => f.name);
  return {
    params: p.variables,
    lastLayer: [head.w, head.b!],
    forward(inputs) {
      const prediction = tf.tidy(() => {
        let x = dense(concatNodeFeatures(names.map((n) => inputs[n])), embed); // [B,N,C]
        // pre-LN blocks, x ← x + attn(LN(x)), x ← x + mlp(LN(x)): each residual sum and the
        // layer norm after it are one op (one kernel on webgpu)
        let normed = layerNorm(x);
        layers.forEach((blk, i) => {
          ({ sum: x, normed } = residualLayerNorm(x, selfAttention(normed, blk.attn)));
          const mlp = dense(gelu(dense(normed, blk.mlpIn)), blk.mlpOut);
          if (i < layers.length - 1) ({ sum: x, normed } = residualLayerNorm(x, mlp));
          else x = x.add(mlp);
        });
        return dense(x, head); // [B,N,3]: positions, equivariant only as far as it is learned
      });
      return { prediction };
    },
    dispose() {
      p.variables.forEach((v) => v.dispose());
    },
  };
}

/** Registry entry for the Transformer baseline. */
export const transformer: ModelDefinition<TransformerConfig> = {
  id: "transformer",
  description: "Transformer baseline (GATr N-body): linear embed, pre-LN blocks, linear head",
  equivariance: "none",
  defaults: { blocks: 10, channels: 384, heads: 8, mlpRatio: 2 },
  smoke: { blocks: 1, channels: 16, heads: 2 },
  ranges: {
    blocks: { integer: true, min: 1, what: "pre-LN blocks" },
    channels: { integer: true, min: 1, what: "hidden width" },
    heads: { integer: true, min: 1, what: "attention heads" },
    mlpRatio: { above: 0, what: "MLP width as a multiple of channels" },
  },
  decline: declineWhenThrows(checkTransformerFields),
  create: createTransformer,
};
