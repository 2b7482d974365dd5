/**
 * GradNorm's update of α and β (Algorithm 1; `gradNormStepTensors` in
 * `src/training/gradnorm_device.ts`) as one WGSL program for tfjs-backend-webgpu, where the
 * composite form launches 20 programs on two-element tensors every GradNorm step (19 fewer
 * dispatches a step with this one, measured): on a GPU
 * each costs the host a dispatch, while the arithmetic is a dozen flops. The program is one
 * invocation; it computes, in float32, what the composite computes:
 *
 * - `G_i = w_i·n_i` (the weighted last-layer gradient norms), `Ḡ` their mean;
 * - `L̃_i = L_i / L_i(0)`, or 1 where `L_i(0)` is not positive; `r̄` their mean;
 * - the target `T_i = Ḡ·(L̃_i / r̄)^γ`, or `Ḡ` where `r̄` is not positive (`x^0 = 1`);
 * - `w_i ← max(w_i − η·sign(G_i − T_i)·n_i, floor)`.
 *
 * WGSL's `pow` and tfjs's may differ in the last bit, so the two forms agree to float32 rounding
 * (tested against the composite on webgpu, and through it against `gradNormStep` in float64).
 * Other backends run the composite: on wasm and cpu a kernel launch costs microseconds.
 *
 * @module
 */
import {
  type KernelArgs,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
} from "./_webgpu_program.ts";

/** Kernel name: inputs `weights`, `losses`, `gradNorms`, `initialLosses` (each `[2]`); output `[2]`. */
export const GRADNORM_KERNEL = "RemulGradNormStep";

/** The kernel's attributes: GradNorm's γ and η, and the weights' floor. */
export interface GradNormStepAttrs {
  readonly gamma: number;
  readonly eta: number;
  readonly minWeight: number;
}

const SPEC: ProgramSpec = {
  key: "remul_gradnorm_step",
  inputs: ["w", "losses", "norms", "initial"],
  outputShape: [2],
  workgroup: 1,
  workgroups: 1,
  uniforms: "gamma : f32, eta : f32, minWeight : f32,",
  code: () => `
  fn rate(i : i32) -> f32 {
    if (initial[i] > 0.0) {
      return losses[i] / initial[i];
    }
    return 1.0;
  }
  fn power(x : f32) -> f32 {
    if (uniforms.gamma == 0.0) {
      return 1.0;
    }
    if (x == 0.0) {
      return 0.0; // WGSL leaves pow(0, y) to the implementation; γ > 0 here
    }
    return pow(x, uniforms.gamma);
  }
  fn main(index : i32) {
    if (index != 0) {
      return;
    }
    let gMean = (w[0] * norms[0] + w[1] * norms[1]) / 2.0;
    let rMean = (rate(0) + rate(1)) / 2.0;
    for (var i = 0; i < 2; i++) {
      let g = w[i] * norms[i];
      var goal = gMean;
      if (rMean > 0.0) {
        goal = gMean * power(rate(i) / rMean);
      }
      setOutputAtIndex(i, max(w[i] - sign(g - goal) * norms[i] * uniforms.eta, uniforms.minWeight));
    }
  }`,
};

/**
 * Registers `RemulGradNormStep` for webgpu; idempotent. The kernel needs tfjs-backend-webgpu
 * loaded (`initBackend("webgpu")` does both).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { GRADNORM_KERNEL, installWebGpuGradNorm } from "./webgpu_gradnorm.ts";
 * installWebGpuGradNorm();
 * if (!tf.getKernel(GRADNORM_KERNEL, "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuGradNorm(): void {
  registerWebGpuKernels({
    [GRADNORM_KERNEL]: (
      { inputs, backend, attrs }: KernelArgs<
        "weights" | "losses" | "gradNorms" | "initialLosses",
        GradNormStepAttrs
      >,
    ) =>
      run(backend, SPEC, [inputs.weights, inputs.losses, inputs.gradNorms, inputs.initialLosses], [
        { type: "float32", data: [attrs.gamma] },
        { type: "float32", data: [attrs.eta] },
        { type: "float32", data: [attrs.minWeight] },
      ]),
  });
}
