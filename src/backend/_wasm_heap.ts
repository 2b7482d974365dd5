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
 * A set of kernels that replace tfjs's own on one backend, installed and removed together; the
 * replaced kernels stay callable as fallbacks (`original(name)`).
 */
export class KernelSwap {
  readonly #backend: string;
  readonly #kernels: Readonly<Record<string, (args: never) => unknown>>;
  readonly #originals = new Map<string, KernelConfig>();

  /**
   * @param backendName the backend whose kernels are replaced (`wasm`).
   * @param kernels replacement kernel functions by kernel name.
   */
  constructor(backendName: string, kernels: Readonly<Record<string, (args: never) => unknown>>) {
    this.#backend = backendName;
    this.#kernels = kernels;
  }

  /** Registers the replacements; idempotent. Needs the backend's package imported. */
  install(): void {
    if (this.#originals.size) return;
    for (const [name, f] of Object.entries(this.#kernels)) {
      this.#originals.set(
        name,
        replaceKernel(name, this.#backend, f as unknown as KernelConfig["kernelFunc"]),
      );
    }
  }

  /** Puts tfjs's kernels back (tests compare both). */
  uninstall(): void {
    for (const k of this.#originals.values()) restoreKernel(k);
    this.#originals.clear();
  }

  /** Whether the replacements are registered. */
  get installed(): boolean {
    return this.#originals.size > 0;
  }

  /** Calls the kernel that `name` replaced, with the same arguments. */
  original<T>(name: string, args: unknown): T {
    const k = this.#originals.get(name);
    if (!k) throw new Error(`${name} on ${this.#backend}: the replacement is not installed`);
    return k.kernelFunc(args as never) as T;
  }
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
