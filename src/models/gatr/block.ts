/**
 * GATr layer: the transformer block (reference notes §2.7, `gatr/layers/gatr_block.py`):
 * pre-norm residual self-attention, then pre-norm residual geometric MLP, on both the multivector
 * and the scalar stream. The norm is the equivariant layer norm (ε = 0.01) on multivectors and a
 * layer norm without affine parameters on scalars.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import {
  createSelfAttention,
  type SelfAttentionDims,
  selfAttentionInternal,
  selfAttentionParamCount,
  type SelfAttentionParams,
  selfAttentionVariables,
} from "./attention_layer.ts";
import type { MvAndScalars } from "./equi_linear_layer.ts";
import { component } from "./embedding.ts";
import {
  createGeoMlp,
  geoMlpInternal,
  geoMlpParamCount,
  type GeoMlpParams,
  geoMlpVariables,
} from "./mlp.ts";
import { normalizeInternal, residualNormalizeInternal } from "./normalization.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Parameters of a GATr block. */
export interface GatrBlockParams {
  readonly attention: SelfAttentionParams;
  readonly mlp: GeoMlpParams;
}

/**
 * Creates a GATr block.
 *
 * @param p parameter factory.
 * @param name variable name prefix.
 * @param d channels and heads.
 * @returns parameters.
 */
export function createGatrBlock(
  p: ParamFactory,
  name: string,
  d: SelfAttentionDims,
): GatrBlockParams {
  return {
    attention: createSelfAttention(p, `${name}.attn`, d),
    mlp: createGeoMlp(p, `${name}.mlp`, d.mvChannels, d.sChannels),
  };
}

/** Number of parameters of a GATr block (closed form). */
export function gatrBlockParamCount(d: SelfAttentionDims): number {
  return selfAttentionParamCount(d) + geoMlpParamCount(d.mvChannels, d.sChannels);
}

/** The variables of a GATr block, in a fixed order. */
export function gatrBlockVariables(b: GatrBlockParams): Variable[] {
  return selfAttentionVariables(b.attention).concat(geoMlpVariables(b.mlp));
}

/**
 * GATr block on packed internal rows (`_layout.ts`): the pre-norms of both streams are one op
 * (`normalization.ts`), the residual additions one each.
 *
 * @param blk parameters.
 * @param x `[T, S + 16·C]`: invariant scalars, then multivectors (internal layout, transform
 *   under ρ).
 * @param e123 `[B, 1]` e123 component of the join reference per sample.
 * @param items N: the T rows are B samples of N items each.
 * @returns `[T, S + 16·C]`: invariant scalars, then equivariant multivectors.
 */
export function gatrBlockInternal(
  blk: GatrBlockParams,
  x: Tensor,
  e123: Tensor,
  items: number,
): Tensor {
  return gatrBlocksInternal([blk], x, e123, items);
}

/**
 * GATr blocks one after the other on packed internal rows, as {@link gatrBlockInternal} each:
 * `x ← x + attention(norm(x))`, `x ← x + mlp(norm(x))`. Each residual sum that a pre-norm follows
 * (all but the last) is one op with that norm ({@link residualNormalizeInternal}: one kernel each
 * way on webgpu), the same arithmetic as the sum and the norm apart.
 *
 * @param blocks parameters, in order; all of the same scalar channels.
 * @returns `[T, S + 16·C]`: invariant scalars, then equivariant multivectors.
 */
export function gatrBlocksInternal(
  blocks: readonly GatrBlockParams[],
  x: Tensor,
  e123: Tensor,
  items: number,
): Tensor {
  if (blocks.length === 0) return x;
  const sCh = blocks[0].attention.dims.sChannels;
  let normed = normalizeInternal(x, sCh);
  blocks.forEach((blk, i) => {
    ({ sum: x, normed } = residualNormalizeInternal(
      x,
      selfAttentionInternal(blk.attention, normed, items),
      sCh,
    ));
    const mlp = geoMlpInternal(blk.mlp, normed, e123);
    if (i < blocks.length - 1) ({ sum: x, normed } = residualNormalizeInternal(x, mlp, sCh));
    else x = x.add(mlp);
  });
  return x;
}

/**
 * GATr block.
 *
 * @param blk parameters.
 * @param mv `[B, N, C, 16]` multivectors, transform under ρ.
 * @param s `[B, N, S]` scalars, invariant.
 * @param reference `[B, 1, 1, 16]` join reference, transforms under ρ.
 * @returns `mv [B, N, C, 16]` (equivariant), `s [B, N, S]` (invariant).
 */
export function gatrBlock(
  blk: GatrBlockParams,
  mv: Tensor,
  s: Tensor,
  reference: Tensor,
): MvAndScalars {
  const out = tf.tidy(() => {
    const [b, n] = mv.shape;
    const e123 = component(reference, 14).reshape([b, 1]);
    const rows = gatrBlockInternal(blk, packRows(mv, s), e123, n);
    const y = unpackRows(rows, blk.attention.dims.sChannels, [b, n]);
    return [y.mv, y.s!];
  });
  return { mv: out[0], s: out[1] };
}
