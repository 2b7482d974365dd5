/**
 * Sums over a block of leading or middle axes as one WGSL program for tfjs-backend-webgpu, read in
 * place: `x` viewed as `[outer, rows, inner]` summed over `rows` into `[outer, inner]`. It is the
 * bias gradient of the dense layer ({@link ./webgpu_dense.ts}, `outer = 1`), and it replaces
 * tfjs-webgpu 4.22's `Sum` where the reduced axes are one contiguous block that does not include
 * the last axis (the GNN's sums over neighbours, `[B, N, N, C]` over axis 1 or 2): tfjs moves the
 * reduced axes last with a `Transpose` and then reduces rows, two programs and a copy of `x`;
 * here it is one program and no copy. Every other `Sum` (over the last axis, over axes that are not
 * contiguous, of int32, of an empty tensor) runs tfjs's own kernel.
 *
 * The program: a workgroup takes `C` adjacent columns of one outer index (`C` = `inner` rounded up
 * to a power of two, at most 16) and splits the rows into `S` row stripes (`S` = `rows` rounded up
 * to a power of two, at most 256 / C), `C·S` invocations; each invocation adds up its column over
 * every S-th row, then the stripes are combined in workgroup memory (a tree of log₂ S steps). For
 * the bias gradient of a large batch (20,000 rows, 16 or more columns) that is 16 columns × 16
 * stripes, 1,250 rows an invocation, `inner / 16` workgroups; with 64 columns × 4 stripes (the
 * other natural shape) each invocation would walk 5,000 rows and a 64-wide bias would run in one
 * workgroup, i.e. on one compute unit of a GPU that has dozens. Sixteen adjacent floats of a row
 * (64 bytes) still read as whole memory segments. A narrow `inner` (7) gets 8 columns × 32
 * stripes. There is no second pass and no atomics (WGSL has none for floats), so it stays one
 * dispatch; the sum order (strided, then a tree) differs from tfjs's, so results agree with its
 * `Sum` within float32 rounding, not bit for bit.
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

/** Invocations of a workgroup at most (WebGPU's guaranteed maximum). */
const MAX_WORKGROUP = 256;
/** Columns a workgroup takes at most (the rest of its invocations are row stripes). */
export const COLUMN_SUM_COLUMNS = 16;

const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

/** Columns and row stripes of one workgroup for `[outer, rows, inner]`; see the module doc. */
export function columnSumLayout(rows: number, inner: number): { cols: number; stripes: number } {
  const cols = Math.min(COLUMN_SUM_COLUMNS, pow2(inner));
  return { cols, stripes: Math.min(MAX_WORKGROUP / cols, pow2(rows)) };
}

function columnSumSpec([outer, rows, inner]: [number, number, number]): ProgramSpec {
  const { cols, stripes } = columnSumLayout(rows, inner);
  const size = cols * stripes;
  return {
    key: `remul_column_sum_${cols}x${stripes}`,
    inputs: ["x"],
    outputShape: [outer, inner],
    workgroup: size,
    workgroups: outer * Math.ceil(inner / cols),
    code: () => `
  var<workgroup> partial : array<f32, ${size}>;
  fn main(index : i32) {
    let tid = i32(localId.x);
    let c = tid % ${cols};
    let stripe = tid / ${cols};
    let outer = uniforms.xShape.x;
    let rows = uniforms.xShape.y;
    let inner = uniforms.xShape.z;
    let groupsPerOuter = (inner + ${cols - 1}) / ${cols};
    let group = index / ${size};
    let o = group / groupsPerOuter;
    let col = (group - o * groupsPerOuter) * ${cols} + c;
    // a dispatch folded into two axes may launch workgroups past the last one
    let live = o < outer && col < inner;
    var acc = 0.0;
    if (live) {
      let base = o * rows * inner + col;
      for (var r = stripe; r < rows; r += ${stripes}) {
        acc += x[base + r * inner];
      }
    }
    partial[tid] = acc;
    workgroupBarrier();
    for (var half = ${stripes >> 1}; half > 0; half = half / 2) {
      if (stripe < half) {
        partial[tid] = partial[tid] + partial[tid + half * ${cols}];
      }
      workgroupBarrier();
    }
    if (stripe == 0 && live) {
      result[o * inner + col] = partial[c];
    }
  }`,
  };
}

/**
 * `x` viewed as `[outer, rows, inner]` summed over `rows`: a new `[outer, inner]` tensor, one
 * dispatch (none when it is empty), no transpose. With `rows = 0` the sums are zeros.
 *
 * @param backend the webgpu backend.
 * @param x float32; only its data and size are read.
 * @param dims `[outer, rows, inner]`, product `x`'s size.
 * @returns `[outer, inner]`.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend, probeAdapter } from "./backend.ts";
 * import { sumRowsWebGpu } from "./webgpu_column_sum.ts";
 * if (await probeAdapter()) {
 *   await initBackend("webgpu");
 *   const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
 *   const args = [tf.backend(), x, [1, 3, 2]] as unknown as Parameters<typeof sumRowsWebGpu>;
 *   const sums = tf.engine().makeTensorFromTensorInfo(sumRowsWebGpu(...args));
 *   if ((await sums.data()).join() !== "9,12") throw new Error();
 * }
 * ```
 */
export function sumRowsWebGpu(
  backend: WebGPUBackend,
  x: TensorInfo,
  [outer, rows, inner]: [number, number, number],
): TensorInfo {
  if (outer * rows * inner !== sizeOf(x.shape)) {
    throw new Error(`sumRowsWebGpu: [${outer}, ${rows}, ${inner}] is not a view of [${x.shape}]`);
  }
  const spec = columnSumSpec([outer, rows, inner]);
  if (rows === 0 || outer * inner === 0) {
    // nothing to read (an empty buffer cannot be bound): zeros, or an empty result
    const fill = tf.getKernel("Fill", "webgpu")!.kernelFunc as unknown as (
      a: unknown,
    ) => TensorInfo;
    return fill({ backend, attrs: { shape: [outer, inner], value: 0, dtype: "float32" } });
  }
  return run(backend, spec, [view(x, [outer, rows, inner])]);
}

/**
 * The `[outer, rows, inner]` view of a sum of `shape` over `axes`, when the reduced axes are one
 * contiguous block that leaves the last axis; otherwise `undefined`.
 */
export function rowSumView(
  shape: readonly number[],
  axes: readonly number[],
): [number, number, number] | undefined {
  const rank = shape.length;
  const sorted = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (sorted.length === 0 || sorted.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
    return undefined;
  }
  const [first, last] = [sorted[0], sorted[sorted.length - 1]];
  if (last - first + 1 !== sorted.length || last >= rank - 1) return undefined;
  return [
    sizeOf(shape.slice(0, first)),
    sizeOf(shape.slice(first, last + 1)),
    sizeOf(shape.slice(last + 1)),
  ];
}

type SumArgs = {
  inputs: { x: TensorInfo };
  backend: WebGPUBackend;
  attrs: { axis: number | number[] | null; keepDims: boolean };
};

let original: ReturnType<typeof tf.getKernel> | undefined;

/**
 * Replaces tfjs-webgpu's `Sum` kernel by one that runs {@linkcode sumRowsWebGpu} where the
 * reduced axes of a float32, non-empty tensor are one contiguous block before the last axis, and
 * tfjs's own `Sum` otherwise; idempotent. Needs tfjs-backend-webgpu loaded.
 *
 * @returns one line for the record of what runs which kernel.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { loadWebGpuUtil } from "./_webgpu_program.ts";
 * import { installWebGpuSum, uninstallWebGpuSum } from "./webgpu_column_sum.ts";
 * await loadWebGpuUtil(); // loads tfjs-backend-webgpu
 * const tfjsSum = tf.getKernel("Sum", "webgpu");
 * installWebGpuSum();
 * if (tf.getKernel("Sum", "webgpu") === tfjsSum) throw new Error();
 * uninstallWebGpuSum();
 * if (tf.getKernel("Sum", "webgpu")!.kernelFunc !== tfjsSum!.kernelFunc) throw new Error();
 * ```
 */
export function installWebGpuSum(): string {
  if (!original) {
    const tfjsSum = tf.getKernel("Sum", "webgpu");
    if (!tfjsSum) throw new Error("tfjs-backend-webgpu has no Sum kernel (not loaded?)");
    original = tfjsSum;
    const kernelFunc = (args: SumArgs) => {
      const { x } = args.inputs;
      const { axis, keepDims } = args.attrs;
      // no axis: every axis (the last one too), which tfjs's kernel reduces in one program
      const axes = axis == null ? [] : Array.isArray(axis) ? axis : [axis];
      const dims = x.dtype === "float32" && sizeOf(x.shape) > 0
        ? rowSumView(x.shape, axes)
        : undefined;
      if (!dims) return tfjsSum.kernelFunc(args as never);
      const rank = x.shape.length;
      const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
      const shape = x.shape.flatMap((d, i) => (reduced.has(i) ? (keepDims ? [1] : []) : [d]));
      return view(sumRowsWebGpu(args.backend, x, dims), shape);
    };
    tf.unregisterKernel("Sum", "webgpu");
    tf.registerKernel({ ...tfjsSum, kernelFunc: kernelFunc as never });
  }
  return "Sum over a contiguous block of axes before the last: one WGSL program, no Transpose";
}

/** Puts tfjs-webgpu's own `Sum` back (tests compare the two). */
export function uninstallWebGpuSum(): void {
  if (!original) return;
  tf.unregisterKernel("Sum", "webgpu");
  tf.registerKernel(original);
  original = undefined;
}
