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
  unpackInternal,
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
import { fromBladeMajor, toBladeMajor } from "./_layout.ts";

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
 * Geometric MLP on the network's internal rows (`_layout.ts`).
 *
 * @param m parameters.
 * @param x `[T, 16·C]` multivectors, internal layout, transform under ρ.
 * @param s `[T, S]` scalars, invariant.
 * @param e123 `[B, 1]` e123 component of the join reference per sample (see
 *   `geometricBilinearInternal`).
 * @returns `[T, 16·C + S]` packed: multivectors (internal layout, equivariant), then scalars
 *   (invariant).
 */
export function geoMlpInternal(m: GeoMlpParams, x: Tensor, s: Tensor, e123: Tensor): Tensor {
  const h = geometricBilinearInternal(m.bilinear, x, s, e123); // [T, 16·2C + 2S]
  return equiLinearInternal(m.out, mlpNonlinearityInternal(h, m.bilinear.dims.outMv));
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
    const c = mv.shape[mv.rank - 2];
    const e123 = tf.broadcastTo(component(reference, 14), [...lead, 1, 1]).reshape([-1, 1]);
    const packed = geoMlpInternal(
      m,
      toBladeMajor(mv).reshape([-1, 16 * c]),
      s.reshape([-1, s.shape[s.rank - 1]]),
      e123,
    );
    const y = unpackInternal(packed, c);
    return [fromBladeMajor(y.mv.reshape([...lead, 16, c])), y.s!.reshape(s.shape)];
  });
  return { mv: out[0], s: out[1] };
}
