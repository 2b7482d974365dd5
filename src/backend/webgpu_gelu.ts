/**
 * GELU (tanh approximation) as one elementwise WGSL kernel each way for tfjs-backend-webgpu,
 * under the names of the project's fused op (`RemulGelu`, `RemulGeluGrad`, see `GELU` in
 * `src/models/nn.ts`, whose composite form `x·σ(2√(2/π)·(x + 0.044715·x³))` is the reference):
 * two kernels instead of six forward and about a dozen backward.
 *
 * @module
 */
import {
  f32Literal,
  type KernelArgs,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
  sizeOf,
  view,
} from "./_webgpu_program.ts";

/** Kernel name of the forward pass (the fused op's name in `src/models/nn.ts`). */
export const GELU_KERNEL = "RemulGelu";

const WORKGROUP = 128;
/** 2√(2/π): `½(1 + tanh z) = σ(2z)`. */
const C = f32Literal(2 * Math.sqrt(2 / Math.PI));
const K = f32Literal(0.044715);

function spec(key: string, inputs: string[], size: number, body: string): ProgramSpec {
  return {
    key,
    inputs,
    outputShape: [size],
    workgroup: WORKGROUP,
    workgroups: Math.ceil(size / WORKGROUP),
    uniforms: "count : i32,",
    code: () => `
  fn main(index : i32) {
    if (index < uniforms.count) {
      let v = x[index];
      let z = ${C} * (v + ${K} * v * v * v);
      let s = 1.0 / (1.0 + exp(-z));
      ${body}
    }
  }`,
  };
}

/**
 * Registers `RemulGelu` and `RemulGeluGrad` for webgpu; idempotent. The kernels need
 * tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { GELU_KERNEL, installWebGpuGelu } from "./webgpu_gelu.ts";
 * installWebGpuGelu();
 * if (!tf.getKernel(`${GELU_KERNEL}Grad`, "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuGelu(): void {
  registerWebGpuKernels({
    [GELU_KERNEL]: ({ inputs: { x }, backend }: KernelArgs<"x">) => {
      const n = sizeOf(x.shape);
      const out = run(
        backend,
        spec("remul_gelu", ["x"], n, "setOutputAtIndex(index, v * s);"),
        [view(x, [n])],
        [{ type: "int32", data: [n] }],
      );
      return view(out, [...x.shape]);
    },
    [`${GELU_KERNEL}Grad`]: ({ inputs: { x, dy }, backend }: KernelArgs<"x" | "dy">) => {
      const n = sizeOf(x.shape);
      // d/dx [x·σ(z)] = σ(z) + x·σ(z)(1 − σ(z))·z', z' = C(1 + 3K·x²)
      const body = `let dz = ${C} * (1.0 + 3.0 * ${K} * v * v);
      setOutputAtIndex(index, dy[index] * (s + v * s * (1.0 - s) * dz));`;
      const out = run(
        backend,
        spec("remul_gelu_grad", ["x", "dy"], n, body),
        [view(x, [n]), view(dy, [n])],
        [{ type: "int32", data: [n] }],
      );
      return view(out, [...x.shape]);
    },
  });
}
