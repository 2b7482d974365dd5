/**
 * Reductions over axes that are not the innermost (`Sum`, `Mean`, `Max`, `Min`, `Prod`) for
 * tfjs-backend-wasm 4.22. The shipped kernels move the reduced axes last with their own
 * `Transpose` (imported directly, so the project's faster kernel is bypassed; about 75 ns an
 * element), then reduce. These do the same with the registered `Transpose` kernel, then call the
 * shipped reduction. Every bias gradient is such a reduction (over batch and nodes).
 *
 * @module
 */
import { tf } from "../tf.ts";
import {
  type KernelConfig,
  replaceKernel,
  restoreKernel,
  type TensorInfo,
  type WasmBackend,
} from "./_wasm_heap.ts";

const NAMES = ["Sum", "Mean", "Max", "Min", "Prod"] as const;
const originals = new Map<string, KernelConfig>();

function normalizeAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  if (axis === null || axis === undefined) return [...Array(rank).keys()];
  const list = Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

function reduction(name: string) {
  return (args: {
    inputs: { x: TensorInfo };
    backend: WasmBackend;
    attrs: { axis: number | number[]; keepDims: boolean };
  }): TensorInfo => {
    const original = originals.get(name)!;
    const { inputs: { x }, backend, attrs } = args;
    const r = x.shape.length;
    const axes = normalizeAxes(attrs.axis, r);
    const innermost = axes.every((a, i) => a === r - axes.length + i);
    if (innermost || (x.dtype !== "float32" && x.dtype !== "int32")) {
      return original.kernelFunc(args as never) as TensorInfo;
    }
    const kept = [...Array(r).keys()].filter((a) => !axes.includes(a));
    const transpose = tf.getKernel("Transpose", "wasm")!;
    const t = transpose.kernelFunc({
      inputs: { x },
      backend,
      attrs: { perm: [...kept, ...axes] },
    } as never) as TensorInfo;
    const inner = axes.map((_, i) => kept.length + i);
    const out = original.kernelFunc({
      inputs: { x: t },
      backend,
      attrs: { axis: inner, keepDims: false },
    } as never) as TensorInfo;
    backend.disposeData(t.dataId);
    if (attrs.keepDims) out.shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return out;
  };
}

/** Installs the reductions on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmReduce(): void {
  if (originals.size) return;
  for (const name of NAMES) {
    originals.set(
      name,
      replaceKernel(name, "wasm", reduction(name) as unknown as KernelConfig["kernelFunc"]),
    );
  }
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmReduce(): void {
  for (const k of originals.values()) restoreKernel(k);
  originals.clear();
}
