/**
 * Installs the project's WGSL kernels on tfjs-backend-webgpu: the fused ops that the wasm and cpu
 * backends run as JavaScript kernels (layer norm, GELU, attention, the Adam step, the sparse
 * linear map of GATr's weight assembly), GATr's block linear map (OpenBLAS on wasm), GATr's
 * pre-norm and MLP nonlinearity on packed rows, and the dense layer `x·W + b` with its gradients
 * (OpenBLAS on wasm), so that a step on WebGPU launches far fewer kernels than tfjs's composite
 * forms; and the gradients of Sum, Mean and Tile whose cost
 * does not grow with the batch (`webgpu_gradients.ts`), and `Sum` over leading or middle axes
 * without a Transpose (`webgpu_column_sum.ts`), and contiguous `Slice`, `Concat` and `SplitV` as
 * buffer copies (`webgpu_copy_kernels.ts`). Called by `initBackend("webgpu")` after the
 * backend module is loaded.
 *
 * @module
 */
import { loadWebGpuUtil } from "./_webgpu_program.ts";
import { installWebGpuLayerNorm } from "./webgpu_layer_norm.ts";
import { installWebGpuGelu } from "./webgpu_gelu.ts";
import { installWebGpuAttention } from "./webgpu_attention.ts";
import { installWebGpuAdam } from "./webgpu_adam.ts";
import { installWebGpuGradNorm } from "./webgpu_gradnorm.ts";
import { installWebGpuBlockLinear } from "./webgpu_block_linear.ts";
import { installWebGpuSparseLinear } from "./webgpu_sparse_linear.ts";
import { installWebGpuGatrRows } from "./webgpu_gatr_rows.ts";
import { installWebGpuGatrAttention } from "./webgpu_gatr_attention.ts";
import { installWebGpuGatrBilinear } from "./webgpu_gatr_bilinear.ts";
import { installWebGpuGradients } from "./webgpu_gradients.ts";
import { installWebGpuDense } from "./webgpu_dense.ts";
import { installWebGpuSum } from "./webgpu_column_sum.ts";
import { installWebGpuCopyKernels } from "./webgpu_copy_kernels.ts";

/**
 * Registers the kernels for webgpu (idempotent); loads tfjs-backend-webgpu if it is not yet.
 *
 * @returns one line for the record of what runs which kernel.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuFusedKernels } from "./webgpu_fused_kernels.ts";
 * const note = await installWebGpuFusedKernels();
 * if (!note.includes("RemulAdamStep") || !tf.getKernel("RemulGelu", "webgpu")) throw new Error();
 * ```
 */
export async function installWebGpuFusedKernels(): Promise<string> {
  await loadWebGpuUtil();
  installWebGpuLayerNorm();
  installWebGpuGelu();
  installWebGpuAttention();
  installWebGpuAdam();
  installWebGpuGradNorm();
  installWebGpuBlockLinear();
  installWebGpuSparseLinear();
  installWebGpuGatrRows();
  installWebGpuGatrAttention();
  installWebGpuGatrBilinear();
  const dense = installWebGpuDense();
  const sum = installWebGpuSum();
  const copies = installWebGpuCopyKernels();
  return "RemulLayerNorm, RemulResidualLayerNorm, RemulGelu, RemulFusedAttention, " +
    "RemulBlockLinear (and gradients), " +
    "RemulSparseLinear (and adjoint), RemulGatrNorm, RemulGatrResidualNorm, RemulGatrGate " +
    "(and gradients), " +
    "RemulGatrAttnFeatures, RemulGatrAttnCore, RemulGatrBilinear (and gradients), " +
    "RemulAdamStep, RemulGradNormStep: project WGSL kernels; " +
    [dense, sum, copies, installWebGpuGradients()].join("; ");
}
