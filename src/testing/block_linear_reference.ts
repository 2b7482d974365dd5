/**
 * References for the block linear kernels' tests (`src/backend/block_linear.ts` and its WGSL
 * twin): the map composed from tfjs's own ops, and the comparison both tests use.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";

/** The block map from tfjs's own ops: split, reshape, two matMuls, bias, concat. */
export function compositeBlockLinear(
  x: tf.Tensor,
  m0: tf.Tensor,
  m1: tf.Tensor,
  b: tf.Tensor,
  repeats: number,
): tf.Tensor {
  return tf.tidy(() => {
    const [t] = x.shape;
    const [k0] = m0.shape;
    const [k1, n1] = m1.shape;
    const [x0, x1] = tf.split(x, [k0, repeats * k1], 1);
    const y0 = tf.matMul(x0 as tf.Tensor2D, m0 as tf.Tensor2D).add(b);
    const y1 = tf.matMul(x1.reshape([t * repeats, k1]), m1 as tf.Tensor2D);
    return tf.concat([y0, y1.reshape([t, repeats * n1])], 1);
  });
}

/**
 * Asserts `a ≈ e` for float32 sums over thousands of rows taken in another order: each element
 * within 1e-5 of (its own magnitude + the RMS of `e`).
 */
export function assertCloseToRms(a: Float32Array, e: Float32Array, what: string): void {
  assert.equal(a.length, e.length, what);
  const rms = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / Math.max(1, e.length));
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - e[i]) <= 1e-5 * (Math.abs(e[i]) + rms),
      `${what} ${i}: ${a[i]} vs ${e[i]}`,
    );
  }
}
