/**
 * GATr layer: the geometric MLP of a block (reference notes §2.7, `gatr/layers/mlp/mlp.py`):
 * `GeometricBilinear(C → 2C, S → 2S)` → scalar-gated GELU on multivectors and GELU on scalars →
 * `EquiLinear(2C → C, 2S → S)`.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import {
  createEquiLinear,
  equiLinearInternal,
  equiLinearParamCount,
  type EquiLinearParams,
  equiLinearVariables,
  type MvAndScalars,
} from "./equi_linear_layer.ts";
import {
  createGeometricBilinear,
  geometricBilinearInternal,
  geometricBilinearParamCount,
  type GeometricBilinearParams,
  geometricBilinearVariables,
} from "./geometric_bilinear_layer.ts";
import { component } from "./embedding.ts";
import { mlpNonlinearityInternal } from "./nonlinearity.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Parameters of a geometric MLP. */
export interface GeoMlpParams {
  readonly bilinear: GeometricBilinearParams;
  readonly out: EquiLinearParams;
}

/**
 * Creates a geometric MLP.
 *
 * @param p parameter factory.
 * @param name variable name prefix.
 * @param mvChannels multivector channels C (input and output).
 * @param sChannels scalar channels S ≥ 1 (input and output).
 * @returns parameters.
 */
export function createGeoMlp(
  p: ParamFactory,
  name: string,
  mvChannels: number,
  sChannels: number,
): GeoMlpParams {
  const c = mvChannels;
  const s = sChannels;
  return {
    bilinear: createGeometricBilinear(p, `${name}.bilinear`, {
      inMv: c,
      outMv: 2 * c,
      inS: s,
      outS: 2 * s,
    }),
    out: createEquiLinear(p, `${name}.out`, { inMv: 2 * c, outMv: c, inS: 2 * s, outS: s }),
  };
}

/** Number of parameters of a geometric MLP (closed form). */
export function geoMlpParamCount(mvChannels: number, sChannels: number): number {
  const c = mvChannels;
  const s = sChannels;
  return geometricBilinearParamCount({ inMv: c, outMv: 2 * c, inS: s, outS: 2 * s }) +
    equiLinearParamCount({ inMv: 2 * c, outMv: c, inS: 2 * s, outS: s });
}

/** The variables of a geometric MLP, in a fixed order. */
export function geoMlpVariables(m: GeoMlpParams): Variable[] {
  return geometricBilinearVariables(m.bilinear).concat(equiLinearVariables(m.out));
}

/**
 * Geometric MLP on packed internal rows (`_layout.ts`).
 *
 * @param m parameters.
 * @param x `[T, S + 16·C]`: invariant scalars, then multivectors (internal layout, transform
 *   under ρ).
 * @param e123 `[B, 1]` e123 component of the join reference per sample (see
 *   `geometricBilinearInternal`).
 * @returns `[T, S + 16·C]`: invariant scalars, then equivariant multivectors.
 */
export function geoMlpInternal(m: GeoMlpParams, x: Tensor, e123: Tensor): Tensor {
  const h = geometricBilinearInternal(m.bilinear, x, e123); // [T, 2S + 16·2C]
  return equiLinearInternal(m.out, mlpNonlinearityInternal(h, m.bilinear.dims.outS));
}

/**
 * Geometric MLP.
 *
 * @param m parameters.
 * @param mv `[..., C, 16]` multivectors, transform under ρ.
 * @param s `[..., S]` scalars, invariant.
 * @param reference `[..., 16]` broadcastable join reference, transforms under ρ.
 * @returns `mv [..., C, 16]` (equivariant), `s [..., S]` (invariant).
 */
export function geoMlp(m: GeoMlpParams, mv: Tensor, s: Tensor, reference: Tensor): MvAndScalars {
  const out = tf.tidy(() => {
    const lead = mv.shape.slice(0, -2);
    const e123 = tf.broadcastTo(component(reference, 14), [...lead, 1, 1]).reshape([-1, 1]);
    const y = unpackRows(geoMlpInternal(m, packRows(mv, s), e123), s.shape[s.rank - 1], lead);
    return [y.mv, y.s!];
  });
  return { mv: out[0], s: out[1] };
}
