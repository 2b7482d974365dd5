/**
 * GATr primitives: the invariant inner product and the equivariant layer norm (reference notes
 * §2.1, §2.4).
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { INNER_PRODUCT_INDICES } from "./algebra.ts";
import { constant, matmulLast } from "./_constants.ts";
import { BLADE_POSITION } from "./_layout.ts";
import { customOp } from "./_custom_op.ts";
import { layerNorm } from "../nn.ts";
import {
  GATR_RESIDUAL_NORM,
  gatrNorm,
  gatrNormGrad,
  gatrRowsAvailable,
} from "../../backend/gatr_rows.ts";

/** Clamp of the mean squared norm in {@link equiLayerNorm}. */
export const LAYER_NORM_EPS = 0.01;

/**
 * Invariant inner product `⟨x̃ y⟩₀` = sum of `x_i y_i` over the 8 blades without e0.
 *
 * @param x `[..., 16]`
 * @param y `[..., 16]` (broadcastable to `x`).
 * @returns `[..., 1]`, invariant under E(3).
 */
export function innerProduct(x: Tensor, y: Tensor): Tensor {
  return tf.tidy(() => {
    const mask = constant("innerMask", [16, 1], () => {
      const m = new Float32Array(16);
      for (const i of INNER_PRODUCT_INDICES) m[i] = 1;
      return m;
    });
    return matmulLast(x.mul(y), mask);
  });
}

/** `[16·C]`: 1/C on the components without e0, in the public or the internal layout. */
function meanSquareWeights(c: number, internal: boolean): Float32Array {
  const m = new Float32Array(16 * c);
  for (const i of INNER_PRODUCT_INDICES) {
    const p = internal ? BLADE_POSITION[i] : i;
    for (let k = 0; k < c; k++) m[internal ? p * c + k : k * 16 + p] = 1 / c;
  }
  return m;
}

/**
 * Equivariant layer norm: `x / sqrt(max(mean_c ⟨x_c, x_c⟩, eps))`, mean over channels.
 *
 * @param x `[..., C, 16]` multivectors.
 * @param eps lower clamp of the mean squared norm (GATr: 0.01).
 * @returns `[..., C, 16]`, equivariant.
 */
export function equiLayerNorm(x: Tensor, eps = LAYER_NORM_EPS): Tensor {
  return tf.tidy(() => {
    const c = x.shape[x.rank - 2];
    const flat = x.reshape([-1, 16 * c]);
    const m = constant(`normMask:${c}`, [16 * c, 1], () => meanSquareWeights(c, false));
    const sq = tf.matMul(flat.square() as tf.Tensor2D, m as tf.Tensor2D); // [T, 1]
    return flat.mul(tf.rsqrt(sq.maximum(eps))).reshape(x.shape);
  });
}

/** Bit p set for the internal positions p of the inner product's blades (the norm's mask). */
const NORM_BLADE_MASK = INNER_PRODUCT_INDICES.reduce((m, i) => m | (1 << BLADE_POSITION[i]), 0);

/** ε of nn.ts's layer norm. */
const SCALAR_NORM_EPS = 1e-5;

/**
 * The gradient of nn.ts's `layerNorm` (biased variance, ε = 1e-5) over the last axis:
 * `dx = r·(dy − mean(dy) − ŷ·mean(dy·ŷ))` with `r = (σ² + ε)^(-1/2)` and ŷ the normalised input.
 *
 * @param x `[T, S]` the layer norm's input.
 * @param dy `[T, S]` the gradient of its output.
 * @returns `[T, S]`
 */
function layerNormBackward(x: Tensor, dy: Tensor): Tensor {
  const c = x.sub(x.mean(-1, true));
  const r = tf.rsqrt(c.square().mean(-1, true).add(SCALAR_NORM_EPS));
  const yHat = c.mul(r);
  return dy.sub(dy.mean(-1, true)).sub(yHat.mul(dy.mul(yHat).mean(-1, true))).mul(r);
}

/**
 * The block's pre-norm on packed internal rows (`_layout.ts`): {@link equiLayerNorm} on the
 * multivectors and the layer norm of nn.ts on the scalars, as one op with a hand-written gradient
 * (`_custom_op.ts`). For the multivectors, with `q = max(σ, eps)`, `σ = Σ_j m_j x_j²` and
 * `y = x·q^(-1/2)`: `dx = dy·q^(-1/2) − m·x·q^(-3/2)·[σ ≥ eps]·Σ_j dy_j x_j`; for the scalars the
 * layer norm's (see {@link layerNormBackward}).
 *
 * Where the backend has them (`gatrRowsAvailable`: wasm, webgpu) the op is one kernel each way
 * (`RemulGatrNorm`, `RemulGatrNormGrad`, `src/backend/gatr_rows.ts`); the tfjs composite below is
 * the reference and runs elsewhere.
 *
 * @param rows `[T, S + 16·C]`: invariant scalars, then multivectors in the internal layout.
 * @param sChannels S.
 * @param eps lower clamp of the multivectors' mean squared norm (GATr: 0.01).
 * @returns `[T, S + 16·C]`, invariant scalars and equivariant multivectors.
 */
export function normalizeInternal(rows: Tensor, sChannels: number, eps = LAYER_NORM_EPS): Tensor {
  const c = (rows.shape[1]! - sChannels) / 16;
  if (gatrRowsAvailable()) {
    const attrs = { sChannels, eps, bladeMask: NORM_BLADE_MASK };
    return customOp("GatrPreNorm", [rows], ([rows], save) => {
      save([rows]);
      return {
        value: gatrNorm(rows, attrs),
        gradient: (dy, [rows]) => [gatrNormGrad(rows, dy, attrs)],
      };
    });
  }
  return customOp("GatrPreNorm", [rows], ([rows], save) => {
    const m = constant(`normMaskInternal:${c}`, [16 * c, 1], () => meanSquareWeights(c, true));
    // fetched here, not in the gradient, so that the model's first forward pass uploads it
    const row = constant(`normRowInternal:${c}`, [16 * c], () => meanSquareWeights(c, true));
    const [s, x] = tf.split(rows, [sChannels, 16 * c], 1);
    const sq = tf.matMul(x.square() as tf.Tensor2D, m as tf.Tensor2D); // [T, 1]
    const rs = tf.rsqrt(sq.maximum(eps));
    save([s, x, sq, rs]);
    return {
      value: tf.concat([layerNorm(s), x.mul(rs)], 1),
      gradient(dy, [s, x, sq, rs]) {
        const [ds, dx] = tf.split(dy, [sChannels, 16 * c], 1);
        const g = dx.mul(x).sum(-1, true); // [T, 1]
        const k = g.mul(rs.square().mul(rs)).mul(tf.greaterEqual(sq, eps).cast("float32"));
        const dsIn = layerNormBackward(s, ds);
        return [tf.concat([dsIn, dx.mul(rs).sub(x.mul(row).mul(k))], 1)];
      },
    };
  });
}

/**
 * A residual sum and the pre-norm after it, as a GATr block has them between its attention and
 * its MLP and from block to block: `sum = x + y` and {@link normalizeInternal}`(sum)`. Where the
 * backend has it (webgpu: `RemulGatrResidualNorm`, `src/backend/webgpu_gatr_rows.ts`) one kernel
 * each way, the sum and its norm in one program and backward the norm's gradient and the sum's
 * own in one; elsewhere `x.add(y)` and the pre-norm, the same arithmetic.
 *
 * @param x `[T, S + 16·C]`, the residual stream (packed rows).
 * @param y `[T, S + 16·C]`, what a layer adds to it.
 * @param sChannels S.
 * @param eps lower clamp of the multivectors' mean squared norm (GATr: 0.01).
 */
export function residualNormalizeInternal(
  x: Tensor,
  y: Tensor,
  sChannels: number,
  eps = LAYER_NORM_EPS,
): { sum: Tensor; normed: Tensor } {
  if (
    gatrRowsAvailable() && x.shape.length === 2 && x.shape[0] === y.shape[0] &&
    x.shape[1] === y.shape[1] && tf.getKernel(GATR_RESIDUAL_NORM, tf.getBackend())
  ) {
    const attrs = { sChannels, eps, bladeMask: NORM_BLADE_MASK };
    const [sum, normed] = tf.engine().runKernel(
      GATR_RESIDUAL_NORM,
      { x, y },
      attrs as never,
    ) as unknown as [Tensor, Tensor];
    return { sum, normed };
  }
  const sum = x.add(y);
  return { sum, normed: normalizeInternal(sum, sChannels, eps) };
}
