/**
 * Private to the GATr folder: constant tensors (product tables, selection matrices) uploaded once
 * per backend and kept for the life of the process, so a forward pass never re-uploads them.
 * They are tiny (the largest is 4096 floats) and shared by every GATr instance.
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";

const cache = new Map<string, Tensor>();

/**
 * A cached constant tensor.
 *
 * @param key unique name of the constant.
 * @param shape its shape.
 * @param values computed once, on first use per backend.
 * @returns a kept tensor; callers must not dispose it.
 */
export function constant(key: string, shape: number[], values: () => Float32Array): Tensor {
  const full = `${tf.getBackend()}:${key}`;
  let t = cache.get(full);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.tensor(values(), shape, "float32"));
    cache.set(full, t);
  }
  return t;
}

/**
 * Applies a constant `[k, l]` matrix on the last axis.
 *
 * @param x `[..., k]`
 * @param m `[k, l]`
 * @returns `[..., l]`
 */
export function matmulLast(x: Tensor, m: Tensor): Tensor {
  if (x.rank === 2) return tf.matMul(x as tf.Tensor2D, m as tf.Tensor2D);
  const [k, l] = m.shape;
  const lead = x.shape.slice(0, -1);
  return tf.matMul(x.reshape([-1, k]), m as tf.Tensor2D).reshape([...lead, l]);
}
