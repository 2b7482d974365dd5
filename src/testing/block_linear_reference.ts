/**
 * References for the block linear kernels' tests (`src/backend/block_linear.ts` and its WGSL
 * twin): the map composed from tfjs's own ops (their closeness check is `assert_close.ts`).
 *
 * @module
 */
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
