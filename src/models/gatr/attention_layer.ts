/**
 * GATr layer: geometric multi-query self-attention (reference notes §2.6,
 * `gatr/layers/attention/{self_attention,qkv,attention}.py`).
 *
 * Queries: `EquiLinear(C → H·c, S → H·s)`; keys and values: one shared head each,
 * `EquiLinear(C → c, S → s)`, with `c = max(⌊2C/H⌋, 1)` and `s = max(⌊2S/H⌋, 4)`. The three
 * projections read the same input and are stored as one fused `EquiLinear` (one matMul). Geometric attention per head
 * (distance weights `exp(log_w)`, `log_w [H, c]` initialised at 0), heads concatenated
 * head-major, then `EquiLinear(H·c → C, H·s → S)` with the "small" initialisation.
 *
 * Simplification: the reference splits query channels hidden-major over heads; here heads are
 * contiguous blocks of channels. With independently initialised weights the two are the same
 * model up to a fixed permutation of parameters.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import {
  createEquiLinear,
  createEquiLinearParts,
  equiLinearInternal,
  equiLinearParamCount,
  type EquiLinearParams,
  equiLinearVariables,
  type MvAndScalars,
} from "./equi_linear_layer.ts";
import { geometricAttentionInternal } from "./geometric_attention.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Sizes of a self-attention layer. */
export interface SelfAttentionDims {
  /** Input and output multivector channels C. */
  readonly mvChannels: number;
  /** Input and output scalar channels S (at least 1). */
  readonly sChannels: number;
  /** Number of heads H. */
  readonly heads: number;
}

/** Parameters of a self-attention layer. */
export interface SelfAttentionParams {
  readonly dims: SelfAttentionDims;
  /** Queries, keys, values: parts `[H·c mv, H·s scalars]`, `[c, s]`, `[c, s]`. */
  readonly qkv: EquiLinearParams;
  readonly out: EquiLinearParams;
  /** `[H, c]` log-weights of the distance features. */
  readonly logWeights: Variable;
}

/** Per-head hidden channel numbers `{ mv: max(⌊2C/H⌋, 1), s: max(⌊2S/H⌋, 4) }`. */
export function attentionHiddenChannels(d: SelfAttentionDims): { mv: number; s: number } {
  return {
    mv: Math.max(Math.floor((2 * d.mvChannels) / d.heads), 1),
    s: Math.max(Math.floor((2 * d.sChannels) / d.heads), 4),
  };
}

/**
 * Creates a self-attention layer.
 *
 * @param p parameter factory.
 * @param name variable name prefix.
 * @param d sizes.
 * @returns parameters.
 */
export function createSelfAttention(
  p: ParamFactory,
  name: string,
  d: SelfAttentionDims,
): SelfAttentionParams {
  const { mvChannels: c0, sChannels: s0, heads: h } = d;
  const hid = attentionHiddenChannels(d);
  return {
    dims: d,
    qkv: createEquiLinearParts(p, `${name}.qkv`, { inMv: c0, inS: s0 }, [
      { outMv: h * hid.mv, outS: h * hid.s },
      { outMv: hid.mv, outS: hid.s },
      { outMv: hid.mv, outS: hid.s },
    ]),
    out: createEquiLinear(
      p,
      `${name}.out`,
      { inMv: h * hid.mv, outMv: c0, inS: h * hid.s, outS: s0 },
      "small",
    ),
    logWeights: p.constant(`${name}.log_w`, [h, hid.mv], 0),
  };
}

/** Number of parameters of a self-attention layer (closed form). */
export function selfAttentionParamCount(d: SelfAttentionDims): number {
  const { mvChannels: c0, sChannels: s0, heads: h } = d;
  const hid = attentionHiddenChannels(d);
  return equiLinearParamCount({ inMv: c0, outMv: h * hid.mv, inS: s0, outS: h * hid.s }) +
    2 * equiLinearParamCount({ inMv: c0, outMv: hid.mv, inS: s0, outS: hid.s }) +
    equiLinearParamCount({ inMv: h * hid.mv, outMv: c0, inS: h * hid.s, outS: s0 }) +
    h * hid.mv;
}

/** The variables of a self-attention layer, in a fixed order. */
export function selfAttentionVariables(a: SelfAttentionParams): Variable[] {
  return [a.qkv, a.out].flatMap(equiLinearVariables).concat([a.logWeights]);
}

/**
 * Geometric self-attention over the item axis, on packed internal rows (`_layout.ts`): the fused
 * query/key/value `EquiLinear`, the attention as one op (`geometric_attention.ts`), the output
 * `EquiLinear`.
 *
 * @param a parameters.
 * @param x `[T, S + 16·C]`: invariant scalars, then multivectors (internal layout, transform
 *   under ρ).
 * @param items N: the T rows are samples of N items each.
 * @returns `[T, S + 16·C]`: invariant scalars, then equivariant multivectors;
 *   permutation-equivariant over items.
 */
export function selfAttentionInternal(a: SelfAttentionParams, x: Tensor, items: number): Tensor {
  const hid = attentionHiddenChannels(a.dims);
  const sizes = { heads: a.dims.heads, mv: hid.mv, s: hid.s, items };
  return equiLinearInternal(
    a.out,
    geometricAttentionInternal(equiLinearInternal(a.qkv, x), a.logWeights, sizes),
  );
}

/**
 * Geometric self-attention over the item axis.
 *
 * @param a parameters.
 * @param mv `[B, N, C, 16]` multivectors, transform under ρ.
 * @param s `[B, N, S]` scalars, invariant.
 * @returns `mv [B, N, C, 16]` (equivariant) and `s [B, N, S]` (invariant); permutation-equivariant
 *   over items.
 */
export function selfAttentionLayer(a: SelfAttentionParams, mv: Tensor, s: Tensor): MvAndScalars {
  const out = tf.tidy(() => {
    const [b, n] = mv.shape;
    const rows = selfAttentionInternal(a, packRows(mv, s), n);
    const y = unpackRows(rows, a.dims.sChannels, [b, n]);
    return [y.mv, y.s!];
  });
  return { mv: out[0], s: out[1] };
}
