/**
 * Layer norm over the last axis (no affine, biased variance, ε = 1e-5) as one WGSL kernel each
 * way for tfjs-backend-webgpu, under the names of the project's fused op (`RemulLayerNorm`,
 * `RemulLayerNormGrad`, see `LAYER_NORM` in `src/models/nn.ts`, whose composite form is the
 * reference). tfjs's composite is some eight kernels forward and fifteen backward.
 *
 * With a residual before it, as in a pre-LN Transformer block (`x + y`, then its layer norm),
 * the two are one kernel each way (`RemulResidualLayerNorm`, `RemulResidualLayerNormGrad`): forward
 * the sum and its norm in one program (written end to end, copied out into two tensors); backward
 * the norm's gradient plus the sum's own incoming gradient, which tfjs would add in a kernel of its
 * own. The composite (`x.add(y)`, then `RemulLayerNorm`) is the reference and the form on other
 * backends (`residualLayerNorm` in `src/models/nn.ts`).
 *
 * One workgroup per row, of 64 threads (fewer for rows narrower than 64: the width rounded up to
 * a power of two): the threads stride over the row's columns and combine their partial sums in
 * workgroup memory (two passes, mean then variance, as `tf.moments`).
 *
 * @module
 */
import {
  f32Literal,
  halvesOf,
  type KernelArgs,
  type ProgramSpec,
  registerResidualNormGradient,
  registerWebGpuKernels,
  run,
  sizeOf,
  type TensorInfo,
  view,
  workgroupSumWgsl,
} from "./_webgpu_program.ts";

/** Kernel name of the forward pass (the fused op's name in `src/models/nn.ts`). */
export const LAYER_NORM_KERNEL = "RemulLayerNorm";
/** Kernel name of `x + y` and its layer norm (two outputs: the sum, the norm). */
export const RESIDUAL_LAYER_NORM_KERNEL = "RemulResidualLayerNorm";
/** ε added to the variance (as the fused op and its composite). */
export const LAYER_NORM_EPS = 1e-5;

/** Threads per row: the row's width rounded up to a power of two, from 4 to 64. */
function workgroupFor(cols: number): number {
  return Math.min(64, Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(cols, 1)))));
}

/**
 * WGSL shared by both passes: the row's mean and 1/√(σ² + ε) of the values `value(i)` (the program
 * defines it: `x[i]`, or `x[i] + y[i]` for a residual), with `size` threads per row.
 */
const rowStats = (size: number) => `
  ${workgroupSumWgsl(size)}
  struct RowStats { mean : f32, inv : f32 };
  // x viewed as [rows, cols]; threads of the workgroup stride over the row
  fn rowStats(row : i32, tid : u32, live : bool) -> RowStats {
    let cols = uniforms.xShape.y;
    let base = row * cols;
    var s = 0.0;
    if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        s += value(base + c);
      }
    }
    let mean = workgroupSum(s, tid) / f32(cols);
    var q = 0.0;
    if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        let d = value(base + c) - mean;
        q += d * d;
      }
    }
    let variance = workgroupSum(q, tid) / f32(cols);
    return RowStats(mean, inverseSqrt(variance + ${f32Literal(LAYER_NORM_EPS)}));
  }`;

function spec(
  key: string,
  inputs: string[],
  [rows, cols]: [number, number],
  body: (size: number) => string,
  outputShape: number[] = [rows, cols],
) {
  const size = workgroupFor(cols);
  const value = inputs.includes("y") ? "x[i] + y[i]" : "x[i]";
  return {
    key: `${key}_${size}`,
    inputs,
    outputShape,
    workgroup: size,
    workgroups: rows,
    code: () =>
      `fn value(i : i32) -> f32 {
    return ${value};
  }
  ${rowStats(size)}
  fn main(index : i32) {
    let tid = localId.x;
    let row = index / ${size};
    // a dispatch folded into two axes may launch a few workgroups past the last row
    let live = row < uniforms.xShape.x;
    let stats = rowStats(row, tid, live);
    let cols = uniforms.xShape.y;
    let base = row * cols;
    ${body(size)}
  }`,
  } satisfies ProgramSpec;
}

/** `out = (x − mean)·inv` per row. */
function forwardSpec(rows: number, cols: number): ProgramSpec {
  return spec("remul_layer_norm", ["x"], [rows, cols], (size) =>
    `if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        setOutputAtIndex(base + c, (x[base + c] - stats.mean) * stats.inv);
      }
    }`);
}

/**
 * `sum = x + y` and `(sum − mean)·inv` per row, written end to end (`[2, rows, cols]`): each
 * element of the sum rounded once, as the composite's `Add` rounds it, and normed from that.
 */
function residualSpec(rows: number, cols: number): ProgramSpec {
  return spec("remul_residual_layer_norm", ["x", "y"], [rows, cols], (size) =>
    `if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        let v = value(base + c);
        setOutputAtIndex(base + c, v);
        setOutputAtIndex(uniforms.xShape.x * cols + base + c, (v - stats.mean) * stats.inv);
      }
    }`, [2, rows, cols]);
}

/**
 * `dx = inv·(dy − mean(dy) − ŷ·mean(dy·ŷ))` per row, `ŷ = (x − mean)·inv`; with `add`, plus
 * `add` (the incoming gradient of the sum, for the residual kernel).
 */
function backwardSpec(rows: number, cols: number, add = false): ProgramSpec {
  const after = (dx: string) => add ? `${dx} + add[base + c]` : dx;
  const key = add ? "remul_residual_layer_norm_grad" : "remul_layer_norm_grad";
  return spec(key, add ? ["x", "dy", "add"] : ["x", "dy"], [rows, cols], (size) =>
    `var sumDy = 0.0;
    var sumDyY = 0.0;
    if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        let g = dy[base + c];
        sumDy += g;
        sumDyY += g * (value(base + c) - stats.mean) * stats.inv;
      }
    }
    let meanDy = workgroupSum(sumDy, tid) / f32(cols);
    let meanDyY = workgroupSum(sumDyY, tid) / f32(cols);
    if (live) {
      for (var c = i32(tid); c < cols; c += ${size}) {
        let y = (value(base + c) - stats.mean) * stats.inv;
        setOutputAtIndex(base + c, ${after("stats.inv * (dy[base + c] - meanDy - y * meanDyY)")});
      }
    }`);
}

function rowsOf(x: TensorInfo): [number, number] {
  const cols = x.shape[x.shape.length - 1] ?? 1;
  return [cols === 0 ? 0 : sizeOf(x.shape) / cols, cols];
}

/**
 * Registers `RemulLayerNorm` and `RemulLayerNormGrad` for webgpu; idempotent. The kernels need
 * tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuLayerNorm, LAYER_NORM_KERNEL } from "./webgpu_layer_norm.ts";
 * installWebGpuLayerNorm();
 * if (!tf.getKernel(LAYER_NORM_KERNEL, "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuLayerNorm(): void {
  registerWebGpuKernels({
    [LAYER_NORM_KERNEL]: ({ inputs: { x }, backend }: KernelArgs<"x">) => {
      const [rows, cols] = rowsOf(x);
      const out = run(backend, forwardSpec(rows, cols), [view(x, [rows, cols])]);
      return view(out, [...x.shape]);
    },
    [`${LAYER_NORM_KERNEL}Grad`]: ({ inputs: { x, dy }, backend }: KernelArgs<"x" | "dy">) => {
      const [rows, cols] = rowsOf(x);
      const out = run(backend, backwardSpec(rows, cols), [
        view(x, [rows, cols]),
        view(dy, [rows, cols]),
      ]);
      return view(out, [...x.shape]);
    },
    [RESIDUAL_LAYER_NORM_KERNEL]: ({ inputs: { x, y }, backend }: KernelArgs<"x" | "y">) => {
      const [rows, cols] = rowsOf(x);
      const n = rows * cols;
      if (n === 0) {
        const empty = () => backend.makeTensorInfo([...x.shape], "float32", new Float32Array(0));
        return [empty(), empty()];
      }
      const both = run(backend, residualSpec(rows, cols), [
        view(x, [rows, cols]),
        view(y, [rows, cols]),
      ]);
      return halvesOf(backend, both, x.shape);
    },
    [`${RESIDUAL_LAYER_NORM_KERNEL}Grad`]: ({
      inputs: { x, dy, add },
      backend,
    }: KernelArgs<"x" | "dy" | "add">) => {
      const [rows, cols] = rowsOf(x);
      if (rows * cols === 0) {
        return backend.makeTensorInfo([...x.shape], "float32", new Float32Array(0));
      }
      const out = run(backend, backwardSpec(rows, cols, true), [
        view(x, [rows, cols]),
        view(dy, [rows, cols]),
        view(add, [rows, cols]),
      ]);
      return view(out, [...x.shape]);
    },
  });
  registerResidualNormGradient(RESIDUAL_LAYER_NORM_KERNEL, `${RESIDUAL_LAYER_NORM_KERNEL}Grad`);
}
