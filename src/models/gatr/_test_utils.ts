/**
 * Private to the GATr folder's tests: random multivectors, the test group elements as
 * multivector actions, and a relative-gap helper.
 *
 * @module
 */
import { Rng } from "../../core/rng.ts";
import { type Tensor, tf } from "../../tf.ts";
import { TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { bilinearMatrix, LINEAR_BASIS, NUM_LINEAR_BASIS } from "./algebra.ts";
import { actOnTensor, type MultivectorAction, multivectorAction } from "./e3_action.ts";
import type { EquiLinearParams, MvAndScalars } from "./equi_linear_layer.ts";

/** The project's test elements with their actions on multivectors and their determinants. */
export const ACTIONS: { name: string; m: MultivectorAction; det: number }[] = Object.entries(
  TEST_ELEMENTS,
).map(([name, g]) => {
  const a = g.matrix;
  const det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6]);
  return { name, m: multivectorAction(g), det: Math.round(det) };
});

/** A standard-normal tensor drawn from a seeded generator. */
export function randomTensor(shape: number[], seed: number, std = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(new Rng(seed).normalArray(n, 0, std), shape);
}

/** ‖a − b‖ / ‖b‖ (host-side number). */
export function relGap(a: Tensor, b: Tensor): number {
  return tf.tidy(() => {
    const num = a.sub(b).norm().dataSync()[0];
    const den = Math.max(b.norm().dataSync()[0], 1e-12);
    return num / den;
  });
}

/** Applies an action to a tensor of multivectors `[..., 16]`. */
export const act: (x: Tensor, m: MultivectorAction) => Tensor = actOnTensor;

/**
 * Relative equivariance gaps of a multivector-and-scalar function under every test element:
 * `‖f(g·mv, s).mv − g·f(mv, s).mv‖ / ‖f.mv‖` and the same for the (invariant) scalars.
 */
export function layerGaps(
  f: (mv: Tensor) => { mv: Tensor; s?: Tensor },
  mv: Tensor,
): { name: string; mv: number; s: number }[] {
  return tf.tidy(() => {
    const y = f(mv);
    return ACTIONS.map(({ name, m }) => {
      const z = f(act(mv, m));
      return { name, mv: relGap(z.mv, act(y.mv, m)), s: y.s ? relGap(z.s!, y.s) : 0 };
    });
  });
}

/** Point-like test inputs: embedded random points plus noise, `[B, N, C, 16]`. */
export function pointLikeInputs(b: number, n: number, c: number, seed: number): Tensor {
  return tf.tidy(() => {
    const pts = randomTensor([b, n, c, 3], seed);
    const pointMv = tf.pad(pts.matMul(tf.tensor2d([[0, 0, -1], [0, 1, 0], [-1, 0, 0]])), [
      [0, 0],
      [0, 0],
      [0, 0],
      [11, 2],
    ]);
    const e123 = tf.oneHot([14], 16).toFloat().reshape([16]);
    return pointMv.add(e123).add(randomTensor([b, n, c, 16], seed + 1, 0.5));
  });
}

/**
 * The dense form of an equivariant linear map that the per-group form replaced (reference for
 * tests): the weights and the basis contracted into one `[C_in·16, C_out·16]` matrix, row
 * `i·16 + x`, column `o·16 + y` = `Σ_b W[o,i,b] B_b[y,x]`.
 */
export function denseEquiLinearMatrix(w: Tensor): Tensor {
  return tf.tidy(() => {
    const [cOut, cIn] = w.shape;
    const basis = tf.tensor(LINEAR_BASIS, [NUM_LINEAR_BASIS, 16, 16]).transpose([0, 2, 1]); // [b, x, y]
    const wt = w.transpose([1, 0, 2]).reshape([cIn * cOut, NUM_LINEAR_BASIS]); // [(i,o), b]
    return tf.matMul(wt as tf.Tensor2D, basis.reshape([NUM_LINEAR_BASIS, 256]) as tf.Tensor2D)
      .reshape([cIn, cOut, 16, 16])
      .transpose([0, 2, 1, 3]) // [i, x, o, y]
      .reshape([cIn * 16, cOut * 16]);
  });
}

/** Dense reference of `equiLinear`: `x [..., C_in, 16]` times {@link denseEquiLinearMatrix}. */
export function denseEquiLinear(x: Tensor, w: Tensor): Tensor {
  return tf.tidy(() => {
    const [cOut, cIn] = w.shape;
    const m = denseEquiLinearMatrix(w) as tf.Tensor2D;
    const y = tf.matMul(x.reshape([-1, cIn * 16]) as tf.Tensor2D, m);
    return y.reshape([...x.shape.slice(0, -2), cOut, 16]);
  });
}

/**
 * Dense reference of `equiLinearLayer`: all four paths in one block matrix
 * `[C_in·16 + S_in, C_out·16 + S_out]` and one matMul (the form the per-group layer replaced).
 */
export function denseEquiLinearLayer(l: EquiLinearParams, mv: Tensor, s?: Tensor): MvAndScalars {
  const out = tf.tidy(() => {
    const { inMv, outMv, inS, outS } = l.dims;
    let top = denseEquiLinearMatrix(l.w);
    if (outS > 0) {
      const fromScalar = tf.pad(l.mv2s!.w.expandDims(1), [[0, 0], [0, 15], [0, 0]]);
      top = tf.concat([top, fromScalar.reshape([inMv * 16, outS])], 1);
    }
    let matrix = top;
    if (inS > 0) {
      const toScalar = tf.pad(l.s2mv!.w.expandDims(2), [[0, 0], [0, 0], [0, 15]]);
      let bottom = toScalar.reshape([inS, outMv * 16]);
      if (outS > 0) bottom = tf.concat([bottom, l.s2s!.w], 1);
      matrix = tf.concat([top, bottom], 0);
    }
    const mvBias = (l.s2mv ? l.s2mv.b! : l.bias!).expandDims(1).pad([[0, 0], [0, 15]]);
    let bias = mvBias.reshape([outMv * 16]);
    if (outS > 0) bias = tf.concat([bias, l.mv2s!.b!], 0);
    const lead = mv.shape.slice(0, -2);
    let x = mv.reshape([-1, inMv * 16]);
    if (inS > 0) x = tf.concat([x, s!.reshape([-1, inS])], 1);
    const y = tf.matMul(x as tf.Tensor2D, matrix as tf.Tensor2D).add(bias);
    const yMv = y.slice([0, 0], [-1, outMv * 16]).reshape([...lead, outMv, 16]);
    return outS > 0 ? [yMv, y.slice([0, outMv * 16], [-1, outS]).reshape([...lead, outS])] : [yMv];
  });
  return { mv: out[0], s: out[1] };
}

/**
 * Reference of a bilinear map in the form the factored one replaced: the outer product of the
 * operands `[..., 256]` times the `[256, 16]` table matrix.
 */
export function outerProductBilinear(x: Tensor, y: Tensor, table: Float32Array): Tensor {
  return tf.tidy(() => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(x.shape, y.shape);
    const pairs = x.expandDims(-1).mul(y.expandDims(-2)).reshape([-1, 256]);
    const m = tf.tensor2d(bilinearMatrix(table), [256, 16]);
    return tf.matMul(pairs as tf.Tensor2D, m).reshape(shape);
  });
}

/**
 * Relative gaps between two functions of the same inputs: their values and their gradients
 * (tfjs autodiff of each, against a fixed random cotangent), e.g. a hand-written gradient against
 * tfjs's gradient of the composite form.
 *
 * @returns `[value gap, gradient gap per input]`.
 */
export function compareWithGradients(
  f: (...xs: Tensor[]) => Tensor,
  reference: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  seed = 99,
): [number, number[]] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const r = randomTensor(y.shape, seed);
    const gf = tf.grads((...xs: Tensor[]) => f(...xs).mul(r).sum())(inputs);
    const gr = tf.grads((...xs: Tensor[]) => reference(...xs).mul(r).sum())(inputs);
    return [relGap(y, reference(...inputs)), gf.map((g, i) => relGap(g, gr[i]))];
  });
}
