/**
 * GATr layer: the transformer block (reference notes §2.7, `gatr/layers/gatr_block.py`):
 * pre-norm residual self-attention, then pre-norm residual geometric MLP, on both the multivector
 * and the scalar stream. The norm is the equivariant layer norm (ε = 0.01) on multivectors and a
 * layer norm without affine parameters on scalars.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import { layerNorm } from "../nn.ts";
import type { ParamFactory } from "../params.ts";
import {
  createSelfAttention,
  type SelfAttentionDims,
  selfAttentionInternal,
  selfAttentionParamCount,
  type SelfAttentionParams,
  selfAttentionVariables,
} from "./attention_layer.ts";
import { type MvAndScalars, unpackInternal } from "./equi_linear_layer.ts";
import { component } from "./embedding.ts";
import {
  createGeoMlp,
  geoMlpInternal,
  geoMlpParamCount,
  type GeoMlpParams,
  geoMlpVariables,
} from "./mlp.ts";
import { equiLayerNormInternal } from "./normalization.ts";
import { fromBladeMajor, toBladeMajor } from "./_layout.ts";

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
 * GATr block on the network's internal rows (`_layout.ts`).
 *
 * @param blk parameters.
 * @param x `[T, 16·C]` multivectors, internal layout, transform under ρ.
 * @param s `[T, S]` scalars, invariant.
 * @param e123 `[B, 1]` e123 component of the join reference per sample.
 * @param items N: the T rows are B samples of N items each.
 * @returns `mv [T, 16·C]` (internal layout, equivariant), `s [T, S]` (invariant).
 */
export function gatrBlockInternal(
  blk: GatrBlockParams,
  x: Tensor,
  s: Tensor,
  e123: Tensor,
  items: number,
): MvAndScalars {
  const c = blk.attention.dims.mvChannels;
  const att = blk.attention;
  const a = unpackInternal(
    selfAttentionInternal(att, equiLayerNormInternal(x), layerNorm(s), items),
    c,
  );
  const x1 = x.add(a.mv);
  const s1 = s.add(a.s!);
  const m = unpackInternal(
    geoMlpInternal(blk.mlp, equiLayerNormInternal(x1), layerNorm(s1), e123),
    c,
  );
  return { mv: x1.add(m.mv), s: s1.add(m.s!) };
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
    const [b, n, c] = mv.shape;
    const y = gatrBlockInternal(
      blk,
      toBladeMajor(mv).reshape([b * n, 16 * c]),
      s.reshape([b * n, -1]),
      component(reference, 14).reshape([b, 1]),
      n,
    );
    return [fromBladeMajor(y.mv.reshape([b, n, 16, c])), y.s!.reshape(s.shape)];
  });
  return { mv: out[0], s: out[1] };
}
