/**
 * The dense layer `y = x·W + b` on the last axis ({@link ./fused_dense.ts}'s `RemulDense` and its
 * three gradient kernels) for tfjs-backend-webgpu, one GPU dispatch each, so that every model's
 * dense layers ({@link ../models/nn.ts}'s `dense`) launch fewer programs per training step. On a
 * real GPU each dispatch costs some 50–100 µs of host time in tfjs-webgpu, more than the small
 * matrices of these models take to multiply.
 *
 * What tfjs's composite (`reshape → matMul → add → reshape`) launches, and what runs here:
 *
 * | pass | composite | here |
 * | --- | --- | --- |
 * | `y = x·W + b` | matMul, broadcasting Add (2) | tfjs-webgpu's matmul with the bias fused (1) |
 * | `dx = dy·Wᵀ` | matMul with `transposeB` (1) | the same program (1) |
 * | `dW = xᵀ·dy` | matMul with `transposeA` (1) | the same program (1) |
 * | `db = Σ_rows dy` | tfjs's Sum: Transpose, then a row reduction (2) | one WGSL column sum (1) |
 *
 * (`initBackend("webgpu")` also replaces tfjs's `Sum` over leading axes by that column sum,
 * {@link ./webgpu_column_sum.ts}, so a composed layer's `db` is one program there too.)
 *
 * The products are tfjs-webgpu's own programs (its registered `_FusedMatMul` and `BatchMatMul`
 * kernels, called on 3-D views `[1, M, K]` of the data), so `y`, `dx` and `dW` are the
 * composite's values: the same program, chosen by the same shapes, the bias added to the finished
 * sum as the composite's Add does (equal bit for bit in the tests' shapes on Mesa's llvmpipe). One exception in count, not in values: where
 * tfjs splits a long inner dimension (one matrix, inner size ≥ 2000 and few output tiles, e.g.
 * `dW` over 20,000 rows) it zero-fills the output first and adds the bias in a second program,
 * as it does for the composite's matMul.
 *
 * The bias gradient is a sum over rows read in place, no transpose, in one program: the column
 * sum of {@link ./webgpu_column_sum.ts} (workgroups of 16 columns × 16 row stripes combined in
 * workgroup memory, so that 20,000 rows — a batch of 1,024 × 20 tokens — are 1,250 rows an
 * invocation; its module doc says why that shape).
 *
 * Empty operands: WebGPU cannot bind an empty buffer, and tfjs-webgpu's matmul binds its inputs
 * even when the inner size is zero. An output of size zero launches nothing (tfjs short-circuits
 * it); where only the inner size is zero (`K = 0` forward, `N = 0` for `dx`, `M = 0` for `dW` and
 * `db`), the output is the bias repeated (tfjs's `Tile`) or zeros (tfjs's `Fill`), one dispatch.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { sumRowsWebGpu } from "./webgpu_column_sum.ts";
import {
  type KernelArgs,
  registerWebGpuKernels,
  sizeOf,
  type TensorInfo,
  view,
  type WebGPUBackend,
} from "./_webgpu_program.ts";
import {
  FUSED_DENSE,
  FUSED_DENSE_GRAD_BIAS,
  FUSED_DENSE_GRAD_INPUT,
  FUSED_DENSE_GRAD_WEIGHT,
  registerFusedDenseGradient,
} from "./fused_dense.ts";

/** tfjs-webgpu's own kernels that the dense kernels call, taken when they are installed. */
interface TfjsKernels {
  fusedMatMul: (args: unknown) => TensorInfo;
  batchMatMul: (args: unknown) => TensorInfo;
  fill: (args: unknown) => TensorInfo;
  tile: (args: unknown) => TensorInfo;
}

let tfjs: TfjsKernels | undefined;

function tfjsKernels(): TfjsKernels {
  if (tfjs) return tfjs;
  const get = (name: string) => {
    const k = tf.getKernel(name, "webgpu");
    if (!k) throw new Error(`tfjs-backend-webgpu has no ${name} kernel (not loaded?)`);
    return k.kernelFunc as unknown as (args: unknown) => TensorInfo;
  };
  tfjs = {
    fusedMatMul: get("_FusedMatMul"),
    batchMatMul: get("BatchMatMul"),
    fill: get("Fill"),
    tile: get("Tile"),
  };
  return tfjs;
}

/** Rows of `t [..., last]` seen as a matrix `[M, last]`. */
function rows(t: TensorInfo): number {
  return sizeOf(t.shape.slice(0, -1));
}

/** `shape` of zeros, one dispatch (none if empty). */
function zeros(backend: WebGPUBackend, shape: number[]): TensorInfo {
  return tfjsKernels().fill({ backend, attrs: { shape, value: 0, dtype: "float32" } });
}

type Args<I extends string> = KernelArgs<I>;

/** `y [..., N] = x·W (+ b)`: tfjs-webgpu's matmul with the bias fused. */
function forward({ inputs: { x, w, b }, backend }: Args<"x" | "w" | "b">): TensorInfo {
  const [k, n] = w.shape;
  const m = rows(x);
  const shape = [...x.shape.slice(0, -1), n];
  let y: TensorInfo;
  if (k === 0 && m * n > 0) {
    y = b
      ? tfjsKernels().tile({ inputs: { x: view(b, [1, n]) }, backend, attrs: { reps: [m, 1] } })
      : zeros(backend, [m, n]);
  } else {
    y = tfjsKernels().fusedMatMul({
      inputs: { a: view(x, [1, m, k]), b: view(w, [1, k, n]), ...(b ? { bias: b } : {}) },
      backend,
      attrs: { transposeA: false, transposeB: false, activation: null, leakyreluAlpha: 0 },
    });
  }
  return view(y, shape);
}

/** `a·b` with tfjs-webgpu's BatchMatMul on 3-D views (or zeros when `inner` is 0). */
function product(
  backend: WebGPUBackend,
  [a, aShape, transposeA]: [TensorInfo, number[], boolean],
  [b, bShape, transposeB]: [TensorInfo, number[], boolean],
  [outRows, outCols, inner]: [number, number, number],
): TensorInfo {
  if (inner === 0) return zeros(backend, [outRows, outCols]);
  return tfjsKernels().batchMatMul({
    inputs: { a: view(a, [1, ...aShape]), b: view(b, [1, ...bShape]) },
    backend,
    attrs: { transposeA, transposeB },
  });
}

/** `dx [..., K] = dy·Wᵀ`. */
function gradInput({ inputs: { dy, w }, backend }: Args<"dy" | "w">): TensorInfo {
  const [k, n] = w.shape;
  const m = rows(dy);
  const dx = product(backend, [dy, [m, n], false], [w, [k, n], true], [m, k, n]);
  return view(dx, [...dy.shape.slice(0, -1), k]);
}

/** `dW [K, N] = xᵀ·dy`. */
function gradWeight({ inputs: { x, dy }, backend }: Args<"x" | "dy">): TensorInfo {
  const k = x.shape[x.shape.length - 1];
  const n = dy.shape[dy.shape.length - 1];
  const m = rows(x);
  const dw = product(backend, [x, [m, k], true], [dy, [m, n], false], [k, n, m]);
  return view(dw, [k, n]);
}

/** `db [N] = Σ_rows dy`. */
function gradBias({ inputs: { dy }, backend }: Args<"dy">): TensorInfo {
  const n = dy.shape[dy.shape.length - 1];
  return view(sumRowsWebGpu(backend, dy, [1, rows(dy), n]), [n]);
}

/**
 * Registers `RemulDense`, `RemulDenseGradInput`, `RemulDenseGradWeight` and
 * `RemulDenseGradBias` for webgpu, and the gradient of `RemulDense` (once for every backend);
 * idempotent. Needs tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); with them,
 * `fusedDense` runs on webgpu and every model's dense layers use it.
 *
 * @returns one line for the record of what runs which kernel.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { loadWebGpuUtil } from "./_webgpu_program.ts";
 * import { installWebGpuDense } from "./webgpu_dense.ts";
 * await loadWebGpuUtil(); // loads tfjs-backend-webgpu
 * installWebGpuDense();
 * if (!tf.getKernel("RemulDenseGradBias", "webgpu") || !tf.getGradient("RemulDense")) {
 *   throw new Error();
 * }
 * ```
 */
export function installWebGpuDense(): string {
  if (!tf.getKernel(FUSED_DENSE, "webgpu")) {
    tfjsKernels(); // fails here, not at the first dense layer, if tfjs-webgpu is not loaded
    registerWebGpuKernels({
      [FUSED_DENSE]: forward,
      [FUSED_DENSE_GRAD_INPUT]: gradInput,
      [FUSED_DENSE_GRAD_WEIGHT]: gradWeight,
      [FUSED_DENSE_GRAD_BIAS]: gradBias,
    });
    registerFusedDenseGradient();
  }
  return "RemulDense (dense layer x·W + b, one dispatch each way: tfjs-webgpu's matmul with the " +
    "bias fused, its transposed products, a WGSL column sum for the bias gradient)";
}
