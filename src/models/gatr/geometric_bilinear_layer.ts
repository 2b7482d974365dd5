/**
 * GATr layer: the geometric bilinear layer, first layer of the GATr MLP (reference notes §2.5,
 * `gatr/layers/mlp/geometric_bilinears.py`).
 *
 * With `h = C_out / 2`: `L, R, JL, JR = EquiLinear(C_in → h, S_in → ·)(x, s)` (R with the
 * "almost_unit_scalar" initialisation; the four read the same input and are stored as one fused
 * `EquiLinear`), `gp = L R` (geometric product per channel), `jn = join(JL, JR; ref)`, and
 * `EquiLinear(C_out → C_out, S_in → S_out)` on `[gp, jn]` with the original scalars.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import { bilinearProductsInternal } from "./bilinear.ts";
import { component } from "./embedding.ts";
import {
  createEquiLinear,
  createEquiLinearParts,
  equiLinearInternal,
  equiLinearParamCount,
  type EquiLinearParams,
  equiLinearVariables,
  type MvAndScalars,
} from "./equi_linear_layer.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Sizes of a geometric bilinear layer; `outMv` must be even. */
export interface GeometricBilinearDims {
  readonly inMv: number;
  readonly outMv: number;
  readonly inS: number;
  readonly outS: number;
}

/** Parameters of a geometric bilinear layer. */
export interface GeometricBilinearParams {
  readonly dims: GeometricBilinearDims;
  /** The four input projections as parts: left, right, join-left, join-right. */
  readonly inputs: EquiLinearParams;
  readonly out: EquiLinearParams;
}

/**
 * Creates a geometric bilinear layer.
 *
 * @param p parameter factory.
 * @param name variable name prefix.
 * @param d channel numbers.
 * @returns parameters.
 * @throws Error when `outMv` is odd.
 */
export function createGeometricBilinear(
  p: ParamFactory,
  name: string,
  d: GeometricBilinearDims,
): GeometricBilinearParams {
  if (d.outMv % 2 !== 0) throw new Error(`GeometricBilinear needs even outMv, got ${d.outMv}`);
  const h = d.outMv / 2;
  return {
    dims: d,
    inputs: createEquiLinearParts(p, `${name}.in`, { inMv: d.inMv, inS: d.inS }, [
      { outMv: h, outS: 0 },
      { outMv: h, outS: 0, init: "almost_unit_scalar" },
      { outMv: h, outS: 0 },
      { outMv: h, outS: 0 },
    ]),
    out: createEquiLinear(p, `${name}.out`, {
      inMv: d.outMv,
      outMv: d.outMv,
      inS: d.inS,
      outS: d.outS,
    }),
  };
}

/** Number of parameters of a geometric bilinear layer (closed form). */
export function geometricBilinearParamCount(d: GeometricBilinearDims): number {
  return 4 * equiLinearParamCount({ inMv: d.inMv, outMv: d.outMv / 2, inS: d.inS, outS: 0 }) +
    equiLinearParamCount({ inMv: d.outMv, outMv: d.outMv, inS: d.inS, outS: d.outS });
}

/** The variables of a geometric bilinear layer, in a fixed order. */
export function geometricBilinearVariables(g: GeometricBilinearParams): Variable[] {
  return [g.inputs, g.out].flatMap(equiLinearVariables);
}

/**
 * Geometric bilinear layer on packed internal rows (`_layout.ts`): the four projections as one
 * fused `EquiLinear`, both products as one op (`bilinear.ts`), then the output `EquiLinear` of
 * the products and the input scalars.
 *
 * @param g parameters.
 * @param x `[T, S_in + 16·C_in]`: invariant scalars, then multivectors (internal layout,
 *   transform under ρ).
 * @param e123 `[B, 1]` e123 component of the join reference per sample (the T rows are B samples
 *   of equal size); flips sign under reflections.
 * @returns `[T, S_out + 16·C_out]`: invariant scalars, then equivariant multivectors.
 */
export function geometricBilinearInternal(
  g: GeometricBilinearParams,
  x: Tensor,
  e123: Tensor,
): Tensor {
  const y = equiLinearInternal(g.inputs, x); // [T, 16·4h]: L, R, JL, JR
  return equiLinearInternal(g.out, bilinearProductsInternal(y, e123, x, g.dims.inS));
}

/**
 * Geometric bilinear layer.
 *
 * @param g parameters.
 * @param mv `[..., C_in, 16]` multivectors, transform under ρ.
 * @param s `[..., S_in]` scalars, invariant.
 * @param reference `[..., 16]` broadcastable (e.g. `[B, 1, 1, 16]`), reference multivector of the
 *   join; transforms under ρ.
 * @returns `mv [..., C_out, 16]` (equivariant), `s [..., S_out]` (invariant).
 */
export function geometricBilinearLayer(
  g: GeometricBilinearParams,
  mv: Tensor,
  s: Tensor | undefined,
  reference: Tensor,
): MvAndScalars {
  const out = tf.tidy(() => {
    const lead = mv.shape.slice(0, -2);
    const e123 = tf.broadcastTo(component(reference, 14), [...lead, 1, 1]).reshape([-1, 1]);
    const rows = geometricBilinearInternal(g, packRows(mv, g.dims.inS > 0 ? s : undefined), e123);
    const y = unpackRows(rows, g.dims.outS, lead);
    return y.s ? [y.mv, y.s] : [y.mv];
  });
  return { mv: out[0], s: out[1] };
}
