/**
 * GATr layer: the full network (reference notes §2.7, `gatr/nets/gatr.py`):
 * `EquiLinear(C_in → C, S_in → S)` → N blocks → `EquiLinear(C → C_out, S → S_out)`. The join
 * reference is the mean of the input multivectors over items and channels of each sample
 * ("data" mode); only its e123 component is used.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import {
  createGatrBlock,
  gatrBlockParamCount,
  type GatrBlockParams,
  gatrBlocksInternal,
  gatrBlockVariables,
} from "./block.ts";
import {
  createEquiLinear,
  equiLinearInternal,
  equiLinearParamCount,
  type EquiLinearParams,
  equiLinearVariables,
  type MvAndScalars,
} from "./equi_linear_layer.ts";
import { component } from "./embedding.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Sizes of a GATr network. */
export interface GatrNetDims {
  /** Input multivector channels. */
  readonly inMv: number;
  /** Output multivector channels. */
  readonly outMv: number;
  /** Input scalar channels (at least 1). */
  readonly inS: number;
  /** Output scalar channels (at least 1). */
  readonly outS: number;
  /** Hidden multivector channels C. */
  readonly mvChannels: number;
  /** Hidden scalar channels S (at least 1). */
  readonly sChannels: number;
  /** Number of blocks. */
  readonly blocks: number;
  /** Attention heads. */
  readonly heads: number;
}

/** Parameters of a GATr network. */
export interface GatrNetParams {
  readonly dims: GatrNetDims;
  readonly linearIn: EquiLinearParams;
  readonly blocks: readonly GatrBlockParams[];
  readonly linearOut: EquiLinearParams;
}

/**
 * Creates a GATr network.
 *
 * @param p parameter factory.
 * @param d sizes.
 * @returns parameters.
 * @throws Error on non-positive sizes.
 */
export function createGatrNet(p: ParamFactory, d: GatrNetDims): GatrNetParams {
  for (const [k, v] of Object.entries(d)) {
    if (!Number.isInteger(v) || v < (k === "blocks" ? 0 : 1)) {
      throw new Error(`GATr: "${k}" must be a positive integer, got ${v}`);
    }
  }
  const att = { mvChannels: d.mvChannels, sChannels: d.sChannels, heads: d.heads };
  return {
    dims: d,
    linearIn: createEquiLinear(p, "in", {
      inMv: d.inMv,
      outMv: d.mvChannels,
      inS: d.inS,
      outS: d.sChannels,
    }),
    blocks: Array.from({ length: d.blocks }, (_, i) => createGatrBlock(p, `b${i}`, att)),
    linearOut: createEquiLinear(p, "out", {
      inMv: d.mvChannels,
      outMv: d.outMv,
      inS: d.sChannels,
      outS: d.outS,
    }),
  };
}

/**
 * Number of parameters of a GATr network (closed form, independent of {@link createGatrNet}).
 */
export function gatrNetParamCount(d: GatrNetDims): number {
  const att = { mvChannels: d.mvChannels, sChannels: d.sChannels, heads: d.heads };
  return equiLinearParamCount({
    inMv: d.inMv,
    outMv: d.mvChannels,
    inS: d.inS,
    outS: d.sChannels,
  }) +
    d.blocks * gatrBlockParamCount(att) +
    equiLinearParamCount({ inMv: d.mvChannels, outMv: d.outMv, inS: d.sChannels, outS: d.outS });
}

/** The variables of a GATr network, in a fixed order. */
export function gatrNetVariables(n: GatrNetParams): Variable[] {
  return equiLinearVariables(n.linearIn)
    .concat(n.blocks.flatMap(gatrBlockVariables))
    .concat(equiLinearVariables(n.linearOut));
}

/**
 * The join reference of the "data" mode: mean input multivector per sample.
 *
 * @param mv `[B, N, C, 16]`
 * @returns `[B, 1, 1, 16]`, transforms under ρ.
 */
export function joinReference(mv: Tensor): Tensor {
  return tf.tidy(() => mv.mean([1, 2], true));
}

/**
 * GATr forward pass.
 *
 * @param n parameters.
 * @param mv `[B, N, C_in, 16]` input multivectors, transform under ρ.
 * @param s `[B, N, S_in]` input scalars, invariant.
 * @returns `mv [B, N, C_out, 16]` (equivariant), `s [B, N, S_out]` (invariant).
 */
export function gatrNet(n: GatrNetParams, mv: Tensor, s: Tensor): MvAndScalars {
  const out = tf.tidy(() => {
    const [b, items] = mv.shape;
    const e123 = component(joinReference(mv), 14).reshape([b, 1]);
    // packed internal rows (`_layout.ts`): one switch of layout in, one out
    let x = equiLinearInternal(n.linearIn, packRows(mv, s));
    x = gatrBlocksInternal(n.blocks, x, e123, items);
    const y = unpackRows(equiLinearInternal(n.linearOut, x), n.dims.outS, [b, items]);
    return [y.mv, y.s!];
  });
  return { mv: out[0], s: out[1] };
}
