/**
 * `Slice`, `Concat` and `SplitV` as buffer copies on tfjs-backend-webgpu where the data they move
 * is contiguous: a slice that is one range of its input (every axis after the first partial one
 * whole, every axis before it of size 1), a concatenation or a split whose axis has nothing but
 * axes of size 1 before it (so that each piece is one range of the whole). tfjs runs each of
 * them as a GPU program; a buffer copy (`copyBufferToBuffer`) costs the host none of a
 * dispatch's uniform block, bind group and pipeline, and on a real GPU the host's work per
 * dispatch is what a training step costs. Everything else, and any tensor whose values are still
 * on the CPU (tfjs's own CPU path for small tensors), goes to tfjs's own kernels. The values are
 * copied bit for bit, so the results are identical (tested against tfjs's kernels).
 *
 * REMUL's training step concatenates the original and the transformed batch along the batch
 * axis and splits the predictions back (contiguous); GATr slices and concatenates its packed rows
 * along the last axis (not contiguous: tfjs's programs).
 *
 * @module
 */
import { tf } from "../tf.ts";
import {
  copyElements,
  copyOut,
  sizeOf,
  type TensorInfo,
  type WebGPUBackend,
} from "./_webgpu_program.ts";

/** `Slice`'s attributes as tfjs-core passes them to kernels. */
interface SliceAttrs {
  begin: number | number[];
  size: number | number[];
}

/**
 * Where a slice of `shape` lies in its input when it is one contiguous range: its first element
 * and its length; `undefined` when it is not contiguous (or the attributes are not arrays).
 *
 * @example
 * ```ts
 * import { contiguousSlice } from "./webgpu_copy_kernels.ts";
 * // rows 1 and 2 of a [4, 3] matrix: elements 3 to 8
 * const r = contiguousSlice([4, 3], [1, 0], [2, -1]);
 * if (r?.offset !== 3 || r.count !== 6) throw new Error();
 * if (contiguousSlice([4, 3], [0, 1], [4, 1]) !== undefined) throw new Error(); // a column
 * ```
 */
export function contiguousSlice(
  shape: readonly number[],
  begin: unknown,
  size: unknown,
): { offset: number; count: number; shape: number[] } | undefined {
  if (!Array.isArray(begin) || !Array.isArray(size)) return undefined;
  const rank = shape.length;
  if (begin.length !== rank || size.length !== rank) return undefined;
  const b = begin as number[];
  const s = (size as number[]).map((n, i) => (n === -1 ? shape[i] - b[i] : n));
  // the last axis (from the end) that is not whole; every axis before it must have size 1
  let p = rank - 1;
  while (p >= 0 && b[p] === 0 && s[p] === shape[p]) p--;
  for (let i = 0; i < p; i++) if (s[i] !== 1) return undefined;
  let offset = 0;
  let stride = 1;
  for (let i = rank - 1; i >= 0; i--) {
    offset += b[i] * stride;
    stride *= shape[i];
  }
  return { offset, count: sizeOf(s), shape: s };
}

/** Whether every axis before `axis` has size 1 (pieces along `axis` are then ranges). */
function leadingOnes(shape: readonly number[], axis: number): boolean {
  for (let i = 0; i < axis; i++) if (shape[i] !== 1) return false;
  return true;
}

const COPYABLE = new Set(["float32", "int32"]);
const dtypeOf = (t: TensorInfo) => t.dtype as "float32" | "int32";

/** Whether the copies can serve these inputs: on the GPU already, 4-byte elements. */
function onGpu(backend: WebGPUBackend, inputs: TensorInfo[]): boolean {
  const b = backend as unknown as { shouldExecuteOnCPU(inputs: TensorInfo[]): boolean };
  return inputs.every((t) => COPYABLE.has(t.dtype)) && !b.shouldExecuteOnCPU(inputs);
}

type Kernel = ReturnType<typeof tf.getKernel>;
const originals = new Map<string, NonNullable<Kernel>>();

function replace(name: string, make: (own: NonNullable<Kernel>) => (args: never) => unknown) {
  if (originals.has(name)) return;
  const own = tf.getKernel(name, "webgpu");
  if (!own) throw new Error(`tfjs-backend-webgpu has no ${name} kernel (not loaded?)`);
  originals.set(name, own);
  tf.unregisterKernel(name, "webgpu");
  tf.registerKernel({ ...own, kernelFunc: make(own) as never });
}

/**
 * Replaces tfjs-webgpu's `Slice`, `Concat` and `SplitV` by kernels that copy buffers where the
 * data is contiguous and run tfjs's own otherwise; idempotent. Needs tfjs-backend-webgpu loaded.
 *
 * @returns one line for the record of what runs which kernel.
 */
export function installWebGpuCopyKernels(): string {
  replace("Slice", (own) => (args: never) => {
    const { inputs, backend, attrs } = args as {
      inputs: { x: TensorInfo };
      backend: WebGPUBackend;
      attrs: SliceAttrs;
    };
    const range = onGpu(backend, [inputs.x])
      ? contiguousSlice(inputs.x.shape, attrs.begin, attrs.size)
      : undefined;
    if (!range) return own.kernelFunc(args);
    return copyOut(backend, inputs.x, range.offset, range.shape, dtypeOf(inputs.x));
  });
  replace("Concat", (own) => (args: never) => {
    const { inputs, backend, attrs } = args as {
      inputs: TensorInfo[];
      backend: WebGPUBackend;
      attrs: { axis: number | number[] };
    };
    const list = Array.isArray(inputs) ? inputs : Object.values(inputs as object) as TensorInfo[];
    const rank = list[0]?.shape.length ?? 0;
    const raw = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
    const axis = raw < 0 ? raw + rank : raw;
    const dtype = list[0]?.dtype;
    const fits = list.length > 0 && list.every((t) => t.dtype === dtype) &&
      list.every((t) => t.shape.length === rank) && onGpu(backend, list) &&
      leadingOnes(list[0].shape, axis);
    if (!fits) return own.kernelFunc(args);
    const shape = [...list[0].shape];
    shape[axis] = list.reduce((n, t) => n + t.shape[axis], 0);
    // no elements: an empty tensor (copyOut copies nothing)
    if (sizeOf(shape) === 0) return copyOut(backend, list[0], 0, shape, dtypeOf(list[0]));
    const out = backend.makeTensorInfo(shape, dtype as "float32") as TensorInfo;
    let at = 0;
    for (const t of list) {
      const n = sizeOf(t.shape);
      copyElements(backend, t, 0, out, at, n);
      at += n;
    }
    return out;
  });
  replace("SplitV", (own) => (args: never) => {
    const { inputs, backend, attrs } = args as {
      inputs: { x: TensorInfo };
      backend: WebGPUBackend;
      attrs: { numOrSizeSplits: number | number[]; axis: number | number[] };
    };
    const { x } = inputs;
    const rank = x.shape.length;
    const raw = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
    const axis = raw < 0 ? raw + rank : raw;
    const d = x.shape[axis];
    let sizes: number[];
    if (typeof attrs.numOrSizeSplits === "number") {
      const k = attrs.numOrSizeSplits;
      if (k <= 0 || d % k !== 0) return own.kernelFunc(args);
      sizes = Array.from({ length: k }, () => d / k);
    } else {
      sizes = [...attrs.numOrSizeSplits];
      const free = sizes.indexOf(-1);
      if (free >= 0) sizes[free] = d - sizes.reduce((a, n) => (n === -1 ? a : a + n), 0);
    }
    if (
      sizes.reduce((a, n) => a + n, 0) !== d || sizes.some((n) => n < 0) ||
      !onGpu(backend, [x]) || !leadingOnes(x.shape, axis)
    ) {
      return own.kernelFunc(args);
    }
    const inner = sizeOf(x.shape.slice(axis + 1));
    let at = 0;
    return sizes.map((n) => {
      const shape = [...x.shape];
      shape[axis] = n;
      const out = copyOut(backend, x, at, shape, dtypeOf(x));
      at += n * inner;
      return out;
    });
  });
  return "Slice, Concat, SplitV of contiguous data: buffer copies, no program";
}

/** Puts tfjs-webgpu's own `Slice`, `Concat` and `SplitV` back (tests compare the two). */
export function uninstallWebGpuCopyKernels(): void {
  for (const [name, own] of originals) {
    tf.unregisterKernel(name, "webgpu");
    tf.registerKernel(own);
  }
  originals.clear();
}
