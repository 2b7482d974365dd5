/**
 * Private helpers for kernels that work on tfjs-backend-wasm's heap from JavaScript: typed views
 * of a tensor's memory, outputs allocated on the heap, and swapping a registered kernel.
 *
 * A view must be taken after every allocation (`makeOutput` may grow the heap, which detaches
 * earlier views).
 *
 * @module
 */
import { tf } from "../tf.ts";

/** A tensor as kernels see it. */
export type TensorInfo = { dataId: object; shape: number[]; dtype: string };

/** The parts of tfjs-backend-wasm's backend object these kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object): void;
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

/** A registered kernel's configuration. */
export type KernelConfig = NonNullable<ReturnType<typeof tf.getKernel>>;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A float32 view of a tensor on the heap (valid until the next allocation). */
export function f32View(backend: WasmBackend, t: TensorInfo): Float32Array {
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, sizeOf(t.shape));
}

/** A 32-bit integer view of a tensor on the heap (any 4-byte dtype; bits are copied as they are). */
export function i32View(backend: WasmBackend, t: TensorInfo): Int32Array {
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Int32Array(backend.wasm.HEAPU8.buffer, offset, sizeOf(t.shape));
}

/**
 * Replaces a kernel of a backend, returning the one it replaced (to call as a fallback and to put
 * back with {@linkcode restoreKernel}).
 *
 * @throws Error when the backend has no such kernel.
 */
export function replaceKernel(
  name: string,
  backendName: string,
  kernelFunc: KernelConfig["kernelFunc"],
): KernelConfig {
  const original = tf.getKernel(name, backendName);
  if (!original) throw new Error(`${backendName} backend has no ${name} kernel to replace`);
  tf.unregisterKernel(name, backendName);
  tf.registerKernel({ ...original, kernelFunc });
  return original;
}

/** Puts back a kernel saved by {@linkcode replaceKernel}. */
export function restoreKernel(original: KernelConfig): void {
  tf.unregisterKernel(original.kernelName, original.backendName);
  tf.registerKernel(original);
}
