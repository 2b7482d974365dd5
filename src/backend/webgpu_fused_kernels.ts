/**
 * Installs the project's WGSL kernels on tfjs-backend-webgpu: the fused ops that the wasm and cpu
 * backends run as JavaScript kernels (layer norm, GELU, attention, the Adam step), so that a
 * Transformer step on WebGPU launches far fewer kernels than tfjs's composite forms. Called by
 * `initBackend("webgpu")` after the backend module is loaded.
 *
 * @module
 */
import { loadWebGpuUtil } from "./_webgpu_program.ts";
import { installWebGpuLayerNorm } from "./webgpu_layer_norm.ts";
import { installWebGpuGelu } from "./webgpu_gelu.ts";
import { installWebGpuAttention } from "./webgpu_attention.ts";

/**
 * Registers the kernels for webgpu (idempotent); loads tfjs-backend-webgpu if it is not yet.
 *
 * @returns one line for the record of what runs which kernel.
 */
export async function installWebGpuFusedKernels(): Promise<string> {
  await loadWebGpuUtil();
  installWebGpuLayerNorm();
  installWebGpuGelu();
  installWebGpuAttention();
  return "RemulLayerNorm, RemulGelu, RemulFusedAttention (and gradients): project WGSL kernels";
}
