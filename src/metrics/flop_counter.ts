/**
 * Counts the floating-point operations of matrix products as the active backend executes them,
 * by wrapping the kernels that do products: `BatchMatMul` and the project's fused kernels that
 * contain them (attention, dense layers, GATr's block-linear maps and the gradients of the
 * latter two). The count is 2·M·N·K per product; elementwise work (bias adds included) is not
 * counted, so achieved rates are matmul GFLOP/s, the usual yardstick for these models. Whether a
 * dense layer runs as `matMul` + `add` or as one fused kernel, the count is the same.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { FUSED_ATTENTION, installFusedAttention } from "../backend/fused_attention.ts";
import { FUSED_DENSE } from "../backend/fused_dense.ts";
import { BLOCK_LINEAR, BLOCK_LINEAR_GRAD } from "../backend/block_linear.ts";

type TensorInfo = { shape: number[] };
type Args = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown> };

const prod = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);

/** FLOPs of one launch of each counted kernel, from its inputs' shapes and attributes. */
const COUNTED: Readonly<Record<string, (a: Args) => number>> = {
  BatchMatMul: ({ inputs: { a, b }, attrs }) => {
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = attrs.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batch = Math.max(prod(a.shape.slice(0, -2)), prod(b.shape.slice(0, -2)));
    return 2 * batch * m * n * k;
  },
  // two batched products: scores q·kᵀ and the weighted values
  [FUSED_ATTENTION]: ({ inputs: { qkv } }) => {
    const [b, n, c3] = qkv.shape;
    return 2 * 2 * b * n * n * (c3 / 3);
  },
  // x [..., K] · W [K, N]
  [FUSED_DENSE]: ({ inputs: { x, w } }) => 2 * prod(x.shape.slice(0, -1)) * w.shape[0] * w.shape[1],
  // T·(k0·n0 + R·k1·n1), and three such products for the gradient (dx, dM0 and dM1)
  [BLOCK_LINEAR]: ({ inputs: { x, m0, m1 }, attrs }) =>
    2 * x.shape[0] * (prod(m0.shape) + Number(attrs.repeats) * prod(m1.shape)),
  [BLOCK_LINEAR_GRAD]: ({ inputs: { x, m0, m1 }, attrs }) =>
    4 * x.shape[0] * (prod(m0.shape) + Number(attrs.repeats) * prod(m1.shape)),
};

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
  if (!tf.getKernel("BatchMatMul", backend)) {
    throw new Error(`backend ${backend} has no BatchMatMul kernel to count`);
  }
  installFusedAttention();
  let flops = 0;
  const wrapped: NonNullable<ReturnType<typeof tf.getKernel>>[] = [];
  for (const [name, count] of Object.entries(COUNTED)) {
    const kernel = tf.getKernel(name, backend);
    if (!kernel) continue;
    wrapped.push(kernel);
    tf.unregisterKernel(name, backend);
    tf.registerKernel({
      ...kernel,
      kernelFunc: ((args: Args) => {
        flops += count(args);
        return kernel.kernelFunc(args as never);
      }) as unknown as typeof kernel.kernelFunc,
    });
  }
  try {
    await fn();
  } finally {
    for (const kernel of wrapped) {
      tf.unregisterKernel(kernel.kernelName, backend);
      tf.registerKernel(kernel);
    }
  }
  return flops;
}
