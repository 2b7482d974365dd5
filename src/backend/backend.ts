/**
 * Backend selection and start-up. `auto` takes WebGPU on a hardware adapter and wasm when the only
 * adapter is a software (fallback) one or there is none; the choice and its reason are returned so
 * that every result can record them.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { installWasmMatMulFix } from "./wasm_matmul_fix.ts";
import { installWasmBlasMatMul } from "./wasm_blas_matmul.ts";
import { installFusedDense } from "./fused_dense.ts";
import { installWebGpuBindCache } from "./webgpu_bind_cache.ts";
import { installWebGpuFastDispatch } from "./webgpu_dispatch.ts";
import { describeStepReplay } from "./webgpu_step_replay.ts";
import { installWebGpuWriteUploads } from "./webgpu_upload.ts";
import { installWebGpuBindingLimit } from "./webgpu_binding_limit.ts";
import type { WebGPUBackend } from "./_webgpu_program.ts";
import { installBlockLinear } from "./block_linear.ts";
import { installEngineSaveShare } from "./engine_save_share.ts";
import { loadNativeBlas } from "./native_blas.ts";
import { installWasmTranspose } from "./wasm_transpose.ts";
import { installWasmSlice } from "./wasm_slice.ts";
import { installWasmConcatTile } from "./wasm_concat_tile.ts";
import { installWasmShare } from "./wasm_share.ts";
import { installWasmReduce } from "./wasm_reduce.ts";
import { bindSimdKernels } from "./simd_kernels.ts";
import { installWebGpuDeviceFix } from "./webgpu_device_fix.ts";
import { installWebGpuAddNFix } from "./webgpu_addn_fix.ts";
import { installWebGpuFusedKernels } from "./webgpu_fused_kernels.ts";
import { setWebGpuSubmitBatch } from "./webgpu_queue.ts";
import { watchGpuErrors } from "./gpu_errors.ts";

/** A concrete tfjs backend. */
export type BackendName = "webgpu" | "wasm" | "cpu";
/** What the user may ask for. */
export type BackendRequest = BackendName | "auto";
/** The accepted values of `--backend`. */
export const BACKEND_REQUESTS: readonly BackendRequest[] = ["auto", "webgpu", "wasm", "cpu"];

/** What is known of the GPU adapter. */
export interface AdapterDescription {
  /** Adapter vendor, as reported. */
  readonly vendor: string;
  /** Adapter architecture, as reported. */
  readonly architecture: string;
  /** Adapter device id, as reported. */
  readonly device: string;
  /** Human-readable adapter name (e.g. `NVIDIA H200`). */
  readonly description: string;
  /** True for software adapters such as Mesa's llvmpipe. */
  readonly isFallbackAdapter: boolean;
}

/** The backend a run uses and why. */
export interface BackendChoice {
  /** The concrete backend used. */
  readonly name: BackendName;
  /** What `--backend` asked for. */
  readonly requested: BackendRequest;
  /** Why this backend was chosen. */
  readonly reason: string;
  /** The GPU adapter found, if any (recorded even when not used). */
  readonly adapter: AdapterDescription | null;
}

/** Asks WebGPU for an adapter; `null` when there is none (or no WebGPU at all). */
export async function probeAdapter(): Promise<AdapterDescription | null> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (!gpu) return null;
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = (adapter as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } }).info;
  const fallback = Boolean(
    info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  return {
    vendor: String(info?.vendor ?? ""),
    architecture: String(info?.architecture ?? ""),
    device: String(info?.device ?? ""),
    description: String(info?.description ?? ""),
    isFallbackAdapter: fallback,
  };
}

/**
 * Resolves `--backend` to a concrete backend with a reason.
 *
 * @throws Error when WebGPU is requested and no adapter exists.
 */
export async function chooseBackend(requested: BackendRequest): Promise<BackendChoice> {
  const adapter = await probeAdapter();
  const label = adapter ? `"${adapter.description || adapter.vendor || "unknown adapter"}"` : "";
  if (requested === "webgpu") {
    if (!adapter) {
      throw new Error("--backend webgpu: no WebGPU adapter is available on this machine");
    }
    return {
      name: "webgpu",
      requested,
      adapter,
      reason: `requested; adapter ${label}${
        adapter.isFallbackAdapter ? " (software fallback)" : ""
      }`,
    };
  }
  if (requested === "wasm" || requested === "cpu") {
    return { name: requested, requested, adapter, reason: "requested" };
  }
  if (!adapter) {
    return { name: "wasm", requested, adapter, reason: "auto: no WebGPU adapter, using wasm" };
  }
  if (adapter.isFallbackAdapter) {
    return {
      name: "wasm",
      requested,
      adapter,
      reason: `auto: the only WebGPU adapter, ${label}, is a software fallback; wasm is faster`,
    };
  }
  return { name: "webgpu", requested, adapter, reason: `auto: hardware WebGPU adapter ${label}` };
}

/** Options of {@linkcode initBackend}. */
export interface InitOptions {
  /** OpenBLAS threads for the wasm backend's large products (default: `REMUL_BLAS_THREADS` or 1). */
  readonly blasThreads?: number;
  /**
   * WebGPU: kernels per command buffer before it is submitted (default: `REMUL_WEBGPU_SUBMIT_BATCH`
   * or `DEFAULT_SUBMIT_BATCH` of `webgpu_queue.ts`); recorded in the returned lines.
   */
  readonly webgpuSubmitBatch?: number;
  /**
   * WebGPU: cache uniform blocks and bind groups (default: on unless `REMUL_WEBGPU_BIND_CACHE=0`;
   * see `webgpu_bind_cache.ts`); recorded in the returned lines.
   */
  readonly webgpuBindCache?: boolean;
  /**
   * WebGPU: dispatch compiled programs by the project's shorter host path (default: on unless
   * `REMUL_WEBGPU_FAST_DISPATCH=0`; see `webgpu_dispatch.ts`); recorded in the returned lines.
   */
  readonly webgpuFastDispatch?: boolean;
  /**
   * WebGPU: upload host values with `queue.writeBuffer` into the pooled buffer (default: on unless
   * `REMUL_WEBGPU_WRITE_UPLOADS=0`; see `webgpu_upload.ts`); recorded in the returned lines.
   */
  readonly webgpuWriteUploads?: boolean;
}

/**
 * Loads and starts a backend in this thread (main or worker), with the project's fixes and
 * faster kernels installed.
 *
 * @returns one line per kernel the project replaced, saying what runs it (recorded with results).
 * @throws Error when the backend cannot start.
 */
export async function initBackend(
  name: BackendName,
  options: InitOptions = {},
): Promise<string[]> {
  const kernels: string[] = [];
  if (name === "wasm") {
    await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
    installWasmTranspose();
    installWasmSlice();
    installWasmConcatTile();
    installWasmShare();
    installWasmReduce();
    kernels.push(
      "Transpose, Slice, SplitV, Unpack, Concat, Tile: project kernels (JavaScript on the wasm heap); " +
        "Sum, Mean over outer axes in one pass, Max, Min, Prod through that Transpose; " +
        "Identity, Cast to the same dtype: share memory instead of copying",
      "RemulAdamStep: the whole optimiser step as one kernel",
      "RemulGatrNorm, RemulGatrGate (and gradients): GATr's pre-norm and MLP nonlinearity on " +
        "packed rows, JavaScript loops on the wasm heap",
      "RemulGatrAttnFeatures, RemulGatrAttnCore, RemulGatrBilinear (and gradients): GATr's " +
        "geometric attention and bilinear products, JavaScript loops on the wasm heap (registered; " +
        "GATr composes them on wasm unless setGatrAttention/setGatrBilinear(true))",
    );
    installWasmMatMulFix();
    const blas = loadNativeBlas();
    if (blas.loaded && options.blasThreads) blas.blas.setThreads(options.blasThreads);
    kernels.push(`BatchMatMul: ${installWasmBlasMatMul()}`);
    kernels.push(installFusedDense());
    kernels.push(installBlockLinear());
  } else if (name === "webgpu") {
    installWebGpuDeviceFix();
    await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
    installWebGpuAddNFix();
    kernels.push(await installWebGpuFusedKernels());
    kernels.push(setWebGpuSubmitBatch(options.webgpuSubmitBatch));
  }
  installEngineSaveShare();
  kernels.push("tensors saved for gradients: a second reference to the data, no Identity kernel");
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tfjs backend "${name}" failed to start (active: ${tf.getBackend()})`);
  }
  if (name === "wasm") {
    const { memory } =
      (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } })
        .wasm.asm;
    if (bindSimdKernels(memory)) {
      kernels.push(
        "RemulLayerNorm, RemulSilu's gradient, RemulPairAdd, RemulPairAggregate, RemulAdamStep, " +
          "short middle-axis sums: WebAssembly SIMD loops on the wasm heap",
        "RemulSilu, RemulGelu, RemulFusedAttention: WebAssembly SIMD loops (with an exp) on " +
          "the wasm heap",
      );
    } else {
      kernels.push(
        "RemulLayerNorm, RemulSilu, RemulGelu, RemulFusedAttention, RemulPairAdd, " +
          "RemulPairAggregate, RemulAdamStep: JavaScript loops (no WebAssembly SIMD here)",
      );
    }
  }
  if (name === "webgpu") {
    watchGpuErrors((tf.backend() as unknown as { device: GPUDevice }).device);
    kernels.push(
      installWebGpuBindCache(tf.backend() as unknown as WebGPUBackend, options.webgpuBindCache),
      installWebGpuFastDispatch(
        tf.backend() as unknown as WebGPUBackend,
        options.webgpuFastDispatch,
      ),
      installWebGpuWriteUploads(
        tf.backend() as unknown as WebGPUBackend,
        options.webgpuWriteUploads,
      ),
      // last, so that it sees every program before the dispatch path does
      installWebGpuBindingLimit(tf.backend() as unknown as WebGPUBackend),
      describeStepReplay(),
    );
  }
  return kernels;
}
