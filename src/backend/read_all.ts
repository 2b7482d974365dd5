/**
 * Reading many small tensors back in one go: on WebGPU under Deno every readback waits at least
 * ~10 ms, so a loop that reads each batch's result pays that per batch.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";

/**
 * The values of `tensors` (of any shapes, one dtype), each flattened, end to end in order, in one
 * readback. The tensors are not disposed.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { readAll } from "./read_all.ts";
 * const parts = [tf.scalar(1), tf.scalar(2), tf.scalar(3)];
 * const values = await readAll(parts);
 * if (values.join() !== "1,2,3") throw new Error();
 * const mixed = [tf.scalar(4), tf.tensor2d([[5, 6], [7, 8]])];
 * if ((await readAll(mixed)).join() !== "4,5,6,7,8") throw new Error();
 * tf.dispose([...parts, ...mixed]);
 * ```
 */
export async function readAll(tensors: readonly Tensor[]): Promise<Float32Array> {
  if (tensors.length === 0) return new Float32Array(0);
  if (tensors.length === 1) return await tensors[0].data() as Float32Array;
  const all = tf.tidy(() => tf.concat(tensors.map((t) => t.reshape([-1]))));
  try {
    return await all.data() as Float32Array;
  } finally {
    all.dispose();
  }
}
