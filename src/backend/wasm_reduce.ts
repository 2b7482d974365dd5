/**
 * Reductions over axes that are not the innermost (`Sum`, `Mean`, `Max`, `Min`, `Prod`) for
 * tfjs-backend-wasm 4.22. The shipped kernels move the reduced axes last with their own
 * `Transpose` (imported directly, so the project's faster kernel is bypassed; about 75 ns an
 * element), then reduce. Here a sum or mean over a contiguous run of axes runs as one pass
 * (`[outer, reduce, inner]`: a float32 SIMD loop ({@link ./simd_kernels.ts}) for short sums with
 * whole groups of four inner elements, else OpenBLAS's matrix-vector product when loaded, else a
 * float64 loop), and any other case moves the
 * axes with the registered `Transpose` kernel, then calls the shipped reduction. Every bias
 * gradient (over batch and nodes) and every message aggregation of the graph models is such a
 * reduction.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { loadNativeBlas, onesOf } from "./native_blas.ts";
import { sumMiddleInto } from "./simd_kernels.ts";
import { f32View, KernelSwap, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

const NAMES = ["Sum", "Mean", "Max", "Min", "Prod"] as const;

function normalizeAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  if (axis === null || axis === undefined) return [...Array(rank).keys()];
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

let acc64 = new Float64Array(0);

/**
 * Column sums of a row-major `x [rows, cols]` (rows `ld` apart, default `cols`), scaled:
 * `out[c] = scale · Σ_r x[r, c]`. On OpenBLAS
 * (`xᵀ·1`) when it is loaded and the matrix has at least 4096 elements, else in a float64 loop
 * rounded to float32. The one arithmetic of every outer-axis `Sum`/`Mean` here and of the fused
 * dense layer's bias gradient ({@link ./fused_dense.ts}), so both give the same numbers.
 *
 * @example
 * ```ts
 * import { columnSums } from "./wasm_reduce.ts";
 * const out = new Float32Array(2);
 * columnSums(new Float32Array([1, 2, 3, 4]), 2, 2, out);
 * if (out[0] !== 4 || out[1] !== 6) throw new Error();
 * ```
 */
export function columnSums(
  x: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  scale = 1,
  ld = cols,
): void {
  const blas = loadNativeBlas();
  if (blas.loaded && rows * cols >= 4096) {
    blas.blas.sgemvT(rows, cols, scale, x, ld, onesOf(rows), out);
    return;
  }
  if (acc64.length < cols) acc64 = new Float64Array(cols);
  const acc = acc64;
  acc.fill(0, 0, cols);
  for (let r = 0, base = 0; r < rows; r++, base += ld) {
    for (let i = 0; i < cols; i++) acc[i] += x[base + i];
  }
  for (let i = 0; i < cols; i++) out[i] = acc[i] * scale;
}

/**
 * Sum (or mean) over a contiguous run of axes that is not innermost: `x` seen as
 * `[outer, reduce, inner]`, `out[o, i] = Σ_r x[o, r, i]`: short float32 sums in SIMD, small slabs
 * in one float64 pass, large ones by {@linkcode columnSums} per outer index.
 */
function sumMiddle(
  backend: WasmBackend,
  x: TensorInfo,
  axes: readonly number[],
  keepDims: boolean,
  mean: boolean,
): TensorInfo {
  const first = axes[0];
  const last = axes[axes.length - 1];
  const outer = sizeOf(x.shape.slice(0, first));
  const reduce = sizeOf(x.shape.slice(first, last + 1));
  const inner = sizeOf(x.shape.slice(last + 1));
  const shape = keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  const out = backend.makeOutput(shape, "float32");
  const xs = f32View(backend, x);
  const ys = f32View(backend, out);
  const scale = mean ? 1 / reduce : 1;
  if (!mean && outer > 1 && reduce <= SIMD_MAX_REDUCE && inner % 4 === 0) {
    // a short sum (a graph's neighbours, a broadcast's gradient): SIMD rows, float32
    sumMiddleInto(xs, ys, outer, reduce, inner);
    return out;
  }
  if (reduce * inner < 4096) {
    // slabs too small for OpenBLAS: one float64 pass over everything (a call per slab cost
    // ~3 µs each: 0.8 ms for EGNN's [64, 4, 4, 3] coordinate sums)
    for (let o = 0; o < outer; o++) {
      const base = o * reduce * inner;
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let r = 0; r < reduce; r++) acc += xs[base + r * inner + i];
        ys[o * inner + i] = acc * scale;
      }
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    const at = o * reduce * inner;
    columnSums(
      xs.subarray(at, at + reduce * inner),
      reduce,
      inner,
      ys.subarray(o * inner, (o + 1) * inner),
      scale,
    );
  }
  return out;
}

/**
 * Longest middle-axis sum done in float32 SIMD (each output a sequential float32 sum, as tfjs's
 * own `Sum`); longer ones accumulate in float64.
 */
const SIMD_MAX_REDUCE = 64;

function reduction(name: string) {
  return (args: {
    inputs: { x: TensorInfo };
    backend: WasmBackend;
    attrs: { axis: number | number[]; keepDims: boolean };
  }): TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    const r = x.shape.length;
    const axes = normalizeAxes(attrs.axis, r);
    const innermost = axes.every((a, i) => a === r - axes.length + i);
    if (innermost || (x.dtype !== "float32" && x.dtype !== "int32")) {
      return swap.original<TensorInfo>(name, args);
    }
    const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
    if ((name === "Sum" || name === "Mean") && x.dtype === "float32" && contiguous) {
      return sumMiddle(backend, x, axes, attrs.keepDims, name === "Mean");
    }
    const kept = [...Array(r).keys()].filter((a) => !axes.includes(a));
    const transpose = tf.getKernel("Transpose", "wasm")!;
    const t = transpose.kernelFunc({
      inputs: { x },
      backend,
      attrs: { perm: [...kept, ...axes] },
    } as never) as TensorInfo;
    const inner = axes.map((_, i) => kept.length + i);
    const out = swap.original<TensorInfo>(name, {
      inputs: { x: t },
      backend,
      attrs: { axis: inner, keepDims: false },
    });
    backend.disposeData(t.dataId);
    if (attrs.keepDims) out.shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return out;
  };
}

const swap = new KernelSwap(
  "wasm",
  Object.fromEntries(NAMES.map((name) => [name, reduction(name)])),
);

/** Installs the reductions on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmReduce(): void {
  swap.install();
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmReduce(): void {
  swap.uninstall();
}
