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
 * | `db = Σ_rows dy` | Sum: Transpose, then a row reduction (2) | one WGSL column sum (1) |
 *
 * The products are tfjs-webgpu's own programs (its registered `_FusedMatMul` and `BatchMatMul`
 * kernels, called on 3-D views `[1, M, K]` of the data), so `y`, `dx` and `dW` are the
 * composite's values bit for bit: the same program, chosen by the same shapes, and the bias added
 * to the finished sum as the composite's Add does. One exception in count, not in values: where
 * tfjs splits a long inner dimension (one matrix, inner size ≥ 2000 and few output tiles, e.g.
 * `dW` over 20,000 rows) it zero-fills the output first and adds the bias in a second program,
 * as it does for the composite's matMul.
 *
 * The column sum {@linkcode columnSumWebGpu} reads `[M, N]` row by row, in place (no transpose):
 * a workgroup of 256 invocations takes {@linkcode COLUMN_SUM_COLUMNS} (16) adjacent columns (fewer
 * when `N` is smaller: `N` rounded up to a power of two) and splits the rows into the remaining
 * 256 / columns row stripes (16 or more); each invocation adds up its column over every stripe-th
 * row, then the stripes are combined in workgroup memory, a tree of log₂(stripes) steps. Why not
 * 64 columns × 4 stripes: with the bias widths of these models (16–512 columns) that gives one to
 * eight workgroups, each invocation walking M/4 rows, 5,000 for a batch of 1,024 × 20 tokens;
 * 16 × 16 launches four times the workgroups with a quarter of the walk (1,250 rows), and 16
 * adjacent floats (64 bytes) a row still read as whole memory segments. A narrow `N` (say 7) gets
 * 8 columns × 32 stripes: one workgroup, 625 rows an invocation at M = 20,000. No second pass and
 * no atomics (WGSL has no float atomics), so it stays one dispatch.
 *
 * Empty operands: WebGPU cannot bind an empty buffer, and tfjs-webgpu's matmul binds its inputs
 * even when the inner size is zero. An output of size zero launches nothing (tfjs short-circuits
 * it); where only the inner size is zero (`K = 0` forward, `N = 0` for `dx`, `M = 0` for `dW` and
 * `db`), the output is the bias repeated (tfjs's `Tile`) or zeros (tfjs's `Fill`), one dispatch.
 *
 * @module
 */
import { tf } from "../tf.ts";
import {
  type ProgramSpec,
  run,
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

/** Invocations of a column-sum workgroup (WebGPU's guaranteed maximum). */
const COLUMN_SUM_WORKGROUP = 256;
/** Columns a column-sum workgroup takes at most (the rest of its invocations are row stripes). */
export const COLUMN_SUM_COLUMNS = 16;

/** Columns of one column-sum workgroup for `n` columns: `n` up to a power of two, at most 16. */
function columnsPerWorkgroup(n: number): number {
  return Math.min(COLUMN_SUM_COLUMNS, 2 ** Math.ceil(Math.log2(Math.max(n, 1))));
}

/** The column-sum program of `[rows, n]` (input `x`) into `[n]`; see the module doc. */
function columnSumSpec(n: number): ProgramSpec {
  const cols = columnsPerWorkgroup(n);
  const stripes = COLUMN_SUM_WORKGROUP / cols;
  return {
    key: `remul_column_sum_${cols}`,
    inputs: ["x"],
    outputShape: [n],
    workgroup: COLUMN_SUM_WORKGROUP,
    workgroups: Math.ceil(n / cols),
    code: `
  var<workgroup> partial : array<f32, ${COLUMN_SUM_WORKGROUP}>;
  fn main(index : i32) {
    let tid = i32(localId.x);
    let c = tid % ${cols};
    let stripe = tid / ${cols};
    let col = (index / ${COLUMN_SUM_WORKGROUP}) * ${cols} + c;
    let rows = uniforms.xShape.x;
    let n = uniforms.xShape.y;
    // a dispatch folded into two axes may launch workgroups past the last column
    let live = col < n;
    var acc = 0.0;
    if (live) {
      for (var r = stripe; r < rows; r += ${stripes}) {
        acc += x[r * n + col];
      }
    }
    partial[tid] = acc;
    workgroupBarrier();
    for (var half = ${stripes / 2}; half > 0; half = half / 2) {
      if (stripe < half) {
        partial[tid] = partial[tid] + partial[tid + half * ${cols}];
      }
      workgroupBarrier();
    }
    if (stripe == 0 && live) {
      result[col] = partial[c];
    }
  }`,
  };
}

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

/**
 * Column sums of `x` viewed as `[rows, n]` (`n` its last axis), `[n]`: one dispatch, no
 * transpose (see the module doc). For kernels that sum a gradient over leading axes, such as a
 * bias gradient or a `Sum` over a leading prefix of axes.
 *
 * @param backend the webgpu backend.
 * @param x float32, any rank ≥ 1; the sum runs over all axes but the last.
 * @returns a new tensor `[n]`.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend, probeAdapter } from "./backend.ts";
 * import { columnSumWebGpu } from "./webgpu_dense.ts";
 * if (await probeAdapter()) {
 *   await initBackend("webgpu");
 *   const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 *   const backend = tf.backend() as Parameters<typeof columnSumWebGpu>[0];
 *   const info = columnSumWebGpu(backend, x as unknown as Parameters<typeof columnSumWebGpu>[1]);
 *   const sums = tf.engine().makeTensorFromTensorInfo(info);
 *   if ((await sums.data()).join() !== "9,12") throw new Error();
 * }
 * ```
 */
export function columnSumWebGpu(backend: WebGPUBackend, x: TensorInfo): TensorInfo {
  const n = x.shape[x.shape.length - 1];
  const m = rows(x);
  if (m === 0) return zeros(backend, [n]);
  return run(backend, columnSumSpec(n), [view(x, [m, n])]);
}

type Args<I extends string> = { inputs: Record<I, TensorInfo>; backend: WebGPUBackend };

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
  return columnSumWebGpu(backend, dy);
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
    const kernels: [string, unknown][] = [
      [FUSED_DENSE, forward],
      [FUSED_DENSE_GRAD_INPUT, gradInput],
      [FUSED_DENSE_GRAD_WEIGHT, gradWeight],
      [FUSED_DENSE_GRAD_BIAS, gradBias],
    ];
    for (const [kernelName, kernelFunc] of kernels) {
      tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc: kernelFunc as never });
    }
    registerFusedDenseGradient();
  }
  return "RemulDense (dense layer x·W + b, one dispatch each way: tfjs-webgpu's matmul with the " +
    "bias fused, its transposed products, a WGSL column sum for the bias gradient)";
}
