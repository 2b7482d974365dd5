/**
 * Shared plumbing of the project's WGSL kernels for tfjs-backend-webgpu 4.22 (private to this
 * folder): a program object that `WebGPUBackend.runWebGPUProgram` accepts, tensor views, and
 * WGSL snippets used by several kernels.
 *
 * How tfjs runs a program: it prepends a header to `getUserCode()` that declares the output
 * (`result: array<f32>`, read-write), one read-only `array<f32>` per name in `variableNames`
 * (bound in that order), and `uniforms` (a struct with each input's shape `<name>Shape`, the
 * output's `outShape`, `size` when asked for, then the program's own fields, filled from the
 * `uniforms` list passed to `runWebGPUProgram`, in order). With a one-axis dispatch layout the
 * entry point calls `fn main(index : i32)` with the invocation's global index. The backend
 * caches one pipeline per `shaderKey` (extended with the ranks and dtypes of the inputs), so
 * anything baked into the WGSL text must be part of the key.
 *
 * Only types are imported from the package here; the backend itself is loaded lazily by
 * `initBackend("webgpu")`, which also loads {@linkcode webgpuUtil} through
 * {@linkcode loadWebGpuUtil}.
 *
 * @module
 */
import type { WebGPUBackend, WebGPUProgram } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
import { tf } from "../tf.ts";

export type { WebGPUBackend };

/** tfjs-backend-webgpu's dispatch helpers (`webgpu_util`). */
type WebGpuUtil = typeof import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0")["webgpu_util"];

/** A tensor as kernels see it (int32 only for index data a kernel uploads itself). */
export interface TensorInfo {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: "float32" | "int32";
}

/** One field of a program's uniforms, in declaration order. */
export interface Uniform {
  readonly type: "int32" | "float32";
  readonly data: number[];
}

let util: WebGpuUtil | undefined;

/** Loads tfjs-backend-webgpu's `webgpu_util` (this imports the backend module). */
export async function loadWebGpuUtil(): Promise<void> {
  util ??= (await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0")).webgpu_util;
}

/** The loaded `webgpu_util`. @throws Error before {@linkcode loadWebGpuUtil}. */
export function webgpuUtil(): WebGpuUtil {
  if (!util) throw new Error("WebGPU kernels used before loadWebGpuUtil()");
  return util;
}

/** What a kernel declares; see the module doc. */
export interface ProgramSpec {
  /** Pipeline cache key: a name plus every value baked into the WGSL. */
  readonly key: string;
  /** Storage-buffer names of the inputs, in the order they are passed. */
  readonly inputs: string[];
  /** Shape of the (new) output tensor. */
  readonly outputShape: number[];
  /** Threads per workgroup (one axis). */
  readonly workgroup: number;
  /** Workgroups to launch (one axis; tfjs folds it into two or three axes past 65535). */
  readonly workgroups: number;
  /** Extra uniform fields in WGSL, e.g. `"rows : i32, scale : f32,"`. */
  readonly uniforms?: string;
  /**
   * The WGSL after the header; must define `fn main(index : i32)`. A function is called only
   * when the backend compiles the program (no pipeline cached under `key` yet): building the
   * text of a large kernel on every launch costs the host more than the dispatch itself.
   */
  readonly code: string | (() => string);
}

/** What tfjs passes a kernel: its inputs by name, the backend, the op's attributes. */
export interface KernelArgs<I extends string = string, A = unknown> {
  readonly inputs: Readonly<Record<I, TensorInfo>>;
  readonly backend: WebGPUBackend;
  readonly attrs: A;
}

/**
 * A project kernel for webgpu, its argument typed by its own inputs and attributes
 * ({@linkcode KernelArgs}); `never` here so that any such typing fits.
 */
export type WebGpuKernelFunc = (args: never) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Registers the project's kernels for webgpu by name, each unless a kernel is registered under
 * its name already (so an installer may run twice). The one place for the cast that tfjs's own
 * `KernelFunc` type needs.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { type KernelArgs, registerWebGpuKernels } from "./_webgpu_program.ts";
 * registerWebGpuKernels({ RemulExampleIdentity: ({ inputs }: KernelArgs<"x">) => inputs.x });
 * if (!tf.getKernel("RemulExampleIdentity", "webgpu")) throw new Error();
 * tf.unregisterKernel("RemulExampleIdentity", "webgpu");
 * ```
 */
export function registerWebGpuKernels(kernels: Record<string, WebGpuKernelFunc>): void {
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, "webgpu")) continue;
    tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc: kernelFunc as never });
  }
}

/** A `WebGPUProgram` built from a {@linkcode ProgramSpec}; one per launch (tfjs mutates it). */
export class WgslProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  readonly #code: string | (() => string);

  constructor(spec: ProgramSpec) {
    this.variableNames = spec.inputs;
    this.outputShape = spec.outputShape.slice(); // a spec may be shared between launches
    this.shaderKey = spec.key;
    // a one-axis layout: the entry point passes the global invocation index to main()
    this.dispatchLayout = webgpuUtil().flatDispatchLayout([spec.workgroups * spec.workgroup]);
    this.workgroupSize = [spec.workgroup, 1, 1];
    this.dispatch = webgpuUtil().computeDispatch(
      this.dispatchLayout,
      [spec.workgroups * spec.workgroup],
      this.workgroupSize,
    );
    if (spec.uniforms) this.uniforms = spec.uniforms;
    this.#code = spec.code;
  }

  getUserCode(): string {
    return typeof this.#code === "string" ? this.#code : this.#code();
  }
}

/**
 * Runs a program; with `into`, writes into that existing tensor instead of a new one (the WGSL
 * may then also read `result`, its old contents) and drops any copy of it cached on the CPU.
 */
export function run(
  backend: WebGPUBackend,
  spec: ProgramSpec,
  inputs: TensorInfo[],
  uniforms: Uniform[] = [],
  into?: TensorInfo,
): TensorInfo {
  const out = backend.runWebGPUProgram(
    new WgslProgram(spec),
    inputs,
    "float32",
    uniforms as Uniform[] as { type: string; data: number[] }[],
    into,
  ) as TensorInfo;
  // `data()` caches what it read on the CPU and later reads return that copy; after an in-place
  // write it is stale
  if (into) (backend.tensorMap.get(into.dataId) as { values: unknown }).values = null;
  return out;
}

/** What {@linkcode copyElements} uses of tfjs-webgpu's backend object (not public API). */
interface CopyInternals {
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  readonly commandEncoder: GPUCommandEncoder;
  readonly commandQueueOwnedIds: WeakSet<object>;
  readonly tensorMap: { get(dataId: object): { resource: unknown; values: unknown } };
}

/**
 * Copies `count` float32 elements of `src` (from element `from`) into `dst` (from element `to`)
 * with a buffer copy on tfjs's command encoder: no program, no uniform block, no bind group,
 * which is what a dispatch costs the host. Both tensors are put on the GPU first and held by the
 * command queue until it is submitted, as tfjs does for a program's inputs and output.
 */
export function copyElements(
  backend: WebGPUBackend,
  src: TensorInfo,
  from: number,
  dst: TensorInfo,
  to: number,
  count: number,
): void {
  if (count === 0) return;
  const b = backend as unknown as CopyInternals;
  b.uploadToGPU(src.dataId);
  b.uploadToGPU(dst.dataId);
  const source = b.tensorMap.get(src.dataId).resource;
  const target = b.tensorMap.get(dst.dataId);
  if (!(source instanceof GPUBuffer) || !(target.resource instanceof GPUBuffer)) {
    throw new Error("copyElements: both tensors must live in GPU buffers");
  }
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.commandEncoder.copyBufferToBuffer(source, 4 * from, target.resource, 4 * to, 4 * count);
  b.commandQueueOwnedIds.add(src.dataId);
  b.commandQueueOwnedIds.add(dst.dataId);
  target.values = null;
}

/**
 * A new tensor of `shape` holding `src`'s elements from `from` on, by {@linkcode copyElements}
 * (an empty tensor, and no copy, when `shape` has no elements).
 */
export function copyOut(
  backend: WebGPUBackend,
  src: TensorInfo,
  from: number,
  shape: readonly number[],
  dtype: "float32" | "int32" = "float32",
): TensorInfo {
  const size = sizeOf(shape);
  if (size === 0) {
    const empty = dtype === "int32" ? new Int32Array(0) : new Float32Array(0);
    return backend.makeTensorInfo([...shape], dtype, empty) as TensorInfo;
  }
  const out = backend.makeTensorInfo([...shape], dtype) as TensorInfo;
  copyElements(backend, src, from, out, 0, size);
  return out;
}

/**
 * The two halves of `both` (`[2, ...shape]`, written end to end by one program) as two new
 * tensors of `shape`, by buffer copies; `both` is disposed. For the residual-norm kernels, whose
 * outputs are the sum and its norm.
 */
export function halvesOf(
  backend: WebGPUBackend,
  both: TensorInfo,
  shape: readonly number[],
): [TensorInfo, TensorInfo] {
  const halves: [TensorInfo, TensorInfo] = [
    copyOut(backend, both, 0, shape),
    copyOut(backend, both, sizeOf(shape), shape),
  ];
  backend.disposeData(both.dataId);
  return halves;
}

/**
 * Registers the gradient of a residual-norm kernel (inputs `x`, `y`; outputs `x + y` and its norm;
 * idempotent): `gradKernel` once, from the saved sum, the norm's gradient (`dy`) and the sum's own
 * (`add`), for both summands, with the forward kernel's attributes. Each summand gets a tensor of
 * its own (a clone shares the data), since tfjs disposes each input's gradient on its own.
 */
export function registerResidualNormGradient(kernel: string, gradKernel: string): void {
  if (tf.getGradient(kernel)) return;
  tf.registerGradient({
    kernelName: kernel,
    outputsToSave: [true, false],
    gradFunc: (dys, saved, attrs) => {
      const [dSum, dNorm] = dys as tf.Tensor[];
      let once: tf.Tensor | undefined;
      const d = () =>
        once ??= tf.engine().runKernel(
          gradKernel,
          { x: saved[0], dy: dNorm, add: dSum },
          attrs as never,
        ) as tf.Tensor;
      return { x: d, y: () => d().clone() };
    },
  });
}

/** The same data under another shape (no copy, no reference taken: use within one kernel). */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float as a WGSL literal (always with a decimal point or an exponent). */
export function f32Literal(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * WGSL: `workgroupSum(value, tid)` sums one value from each of the `size` threads of a workgroup
 * (`size` a power of two) and returns the total to every thread. Call it from uniform control
 * flow (it contains barriers), once per value.
 */
export function workgroupSumWgsl(size: number): string {
  if (size & (size - 1)) throw new Error(`workgroup size ${size} is not a power of two`);
  return `
  var<workgroup> sumScratch : array<f32, ${size}>;
  fn workgroupSum(value : f32, tid : u32) -> f32 {
    sumScratch[tid] = value;
    workgroupBarrier();
    for (var stride = ${size / 2}u; stride > 0u; stride = stride >> 1u) {
      if (tid < stride) {
        sumScratch[tid] = sumScratch[tid] + sumScratch[tid + stride];
      }
      workgroupBarrier();
    }
    let total = sumScratch[0];
    workgroupBarrier(); // every thread has read it before the scratch is reused
    return total;
  }`;
}
