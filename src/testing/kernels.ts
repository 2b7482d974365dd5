/**
 * Test helper: the kernels a computation launches, in order, one entry per launch (so that "one
 * kernel each way" assertions also count them).
 *
 * @module
 */
import { tf } from "../tf.ts";

/**
 * Names of the kernels `f` launches, one per launch.
 *
 * @example
 * ```ts
 * import { kernelsOf } from "./kernels.ts";
 * import { tf } from "../tf.ts";
 * const names = await kernelsOf(() => tf.ones([2]).add(1));
 * if (!names.includes("Add")) throw new Error();
 * ```
 */
export async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(() => f() as tf.Tensor);
  return info.kernels.map((k) => k.name);
}
