/**
 * Radial profile networks (reference notes §4.1, item 5): one small MLP per degree pair of a
 * convolution, on the invariant edge scalars `[edge features…, distance]`:
 * Linear(in → W) → LayerNorm → ReLU → Linear(W → W) → LayerNorm → ReLU → Linear(W → out_p),
 * weights Kaiming-uniform (bound √(6/fan_in)), biases PyTorch default (±1/√fan_in), LayerNorm with
 * affine parameters (γ = 1, β = 0). The first two layers of all pairs run as one batched op; the
 * last layer is per pair because the output sizes differ.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import { dense, layerNorm } from "../nn.ts";

/** Parameters of the radial networks of one convolution (P pairs). */
export interface RadialParams {
  /** Number of edge scalars fed in (edge features + 1 for the distance). */
  readonly inDim: number;
  /** Hidden width. */
  readonly width: number;
  /** Output size per pair. */
  readonly outSizes: readonly number[];
  /** `[in, P·W]`, `[P·W]` */
  readonly w1: Variable;
  readonly b1: Variable;
  /** LayerNorm affine `[P, 1, W]`. */
  readonly g1: Variable;
  readonly beta1: Variable;
  /** `[P, W, W]`, `[P, 1, W]` */
  readonly w2: Variable;
  readonly b2: Variable;
  readonly g2: Variable;
  readonly beta2: Variable;
  /** Per pair `[W, out_p]` and `[out_p]`. */
  readonly w3: readonly Variable[];
  readonly b3: readonly Variable[];
}

/**
 * Creates the radial networks of one convolution.
 *
 * @param p parameter factory (seeded, host-side init).
 * @param name prefix of the variable names.
 * @param options `inDim` edge scalars, `outSizes` per pair, `width` hidden width (32).
 */
export function createRadial(
  p: ParamFactory,
  name: string,
  options: { inDim: number; outSizes: readonly number[]; width?: number },
): RadialParams {
  const { inDim, outSizes } = options;
  const width = options.width ?? 32;
  const pairs = outSizes.length;
  const kaiming = (fanIn: number) => Math.sqrt(6 / fanIn);
  return {
    inDim,
    width,
    outSizes,
    w1: p.uniform(`${name}.w1`, [inDim, pairs * width], kaiming(inDim)),
    b1: p.uniform(`${name}.b1`, [pairs * width], 1 / Math.sqrt(inDim)),
    g1: p.constant(`${name}.ln1.g`, [pairs, 1, width], 1),
    beta1: p.constant(`${name}.ln1.b`, [pairs, 1, width], 0),
    w2: p.uniform(`${name}.w2`, [pairs, width, width], kaiming(width)),
    b2: p.uniform(`${name}.b2`, [pairs, 1, width], 1 / Math.sqrt(width)),
    g2: p.constant(`${name}.ln2.g`, [pairs, 1, width], 1),
    beta2: p.constant(`${name}.ln2.b`, [pairs, 1, width], 0),
    w3: outSizes.map((o, i) => p.uniform(`${name}.w3.${i}`, [width, o], kaiming(width))),
    b3: outSizes.map((o, i) => p.uniform(`${name}.b3.${i}`, [o], 1 / Math.sqrt(width))),
  };
}

/** LayerNorm over the last axis (ε 1e-5, biased variance, as PyTorch's) with its affine map. */
function layerNormAffine(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  return layerNorm(x).mul(gamma).add(beta);
}

/**
 * Runs the radial networks.
 *
 * @param params from {@link createRadial}.
 * @param edgeScalars `[E, inDim]`, invariant.
 * @returns one tensor `[E, out_p]` per pair, invariant.
 */
export function radialApply(params: RadialParams, edgeScalars: Tensor): Tensor[] {
  return tf.tidy(() => {
    const e = edgeScalars.shape[0];
    const pairs = params.outSizes.length;
    const w = params.width;
    let h = dense(edgeScalars, { w: params.w1, b: params.b1 }); // [E, P·W]
    h = h.reshape([e, pairs, w]).transpose([1, 0, 2]); // [P, E, W]
    h = tf.relu(layerNormAffine(h, params.g1, params.beta1));
    h = tf.matMul(h, params.w2 as tf.Tensor3D).add(params.b2); // [P, E, W]
    h = tf.relu(layerNormAffine(h, params.g2, params.beta2));
    const per = pairs === 1 ? [h.reshape([e, w])] : tf.unstack(h, 0); // P × [E, W]
    return per.map((hp, i) => dense(hp, { w: params.w3[i], b: params.b3[i] }));
  });
}
