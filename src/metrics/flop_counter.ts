/**
 * Counts the floating-point operations of matrix products as the active backend executes them,
 * by wrapping its `BatchMatMul` kernel (every model here does its heavy work in `tf.matMul`).
 * The count is 2·batch·M·N·K per product; elementwise work is not counted, so achieved rates are
 * matmul GFLOP/s, the usual yardstick for these models.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { FUSED_ATTENTION, installFusedAttention } from "../backend/fused_attention.ts";

type TensorInfo = { shape: number[] };

/**
 * Runs `fn` with matmul FLOP counting on the active backend and returns the count.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { countMatMulFlops } from "./flop_counter.ts";
 * await tf.setBackend("cpu");
 * const flops = await countMatMulFlops(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 4])).dispose());
 * console.log(flops); // 2·2·4·3 = 48
 * ```
 */
export async function countMatMulFlops(fn: () => unknown): Promise<number> {
  const backend = tf.getBackend();
  const kernel = tf.getKernel("BatchMatMul", backend);
  if (!kernel) throw new Error(`backend ${backend} has no BatchMatMul kernel to count`);
  installFusedAttention();
  let flops = 0;
  const counting = ((args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    attrs: { transposeA: boolean; transposeB: boolean };
  }) => {
    const { a, b } = args.inputs;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = args.attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = args.attrs.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = args.attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = Math.max(
      a.shape.slice(0, -2).reduce((x, y) => x * y, 1),
      b.shape.slice(0, -2).reduce((x, y) => x * y, 1),
    );
    flops += 2 * batch * m * n * k;
    return kernel.kernelFunc(args as never);
  }) as unknown as typeof kernel.kernelFunc;
  tf.unregisterKernel("BatchMatMul", backend);
  tf.registerKernel({ ...kernel, kernelFunc: counting });
  // the fused attention kernel does two batched products: scores q·kᵀ and the weighted values
  const attention = tf.getKernel(FUSED_ATTENTION, backend);
  if (attention) {
    tf.unregisterKernel(FUSED_ATTENTION, backend);
    tf.registerKernel({
      ...attention,
      kernelFunc: ((args: { inputs: { qkv: TensorInfo } }) => {
        const [b, n, c3] = args.inputs.qkv.shape;
        flops += 2 * 2 * b * n * n * (c3 / 3);
        return attention.kernelFunc(args as never);
      }) as unknown as typeof attention.kernelFunc,
    });
  }
  try {
    await fn();
  } finally {
    tf.unregisterKernel("BatchMatMul", backend);
    tf.registerKernel(kernel);
    if (attention) {
      tf.unregisterKernel(FUSED_ATTENTION, backend);
      tf.registerKernel(attention);
    }
  }
  return flops;
}
