/**
 * Private to `src/backend/`: float32 memory of a tensor on the two backends whose data lives on
 * the host (wasm: the wasm heap; cpu: a typed array), for kernels written as JavaScript loops.
 * On wasm a view is valid until the next allocation (an allocation may move the heap), so take
 * views after allocating every output.
 *
 * @module
 */
import { f32View, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

/** A backend whose tensors are host memory. */
export type HostBackendName = "wasm" | "cpu";

type CpuBackend = {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values?: Float32Array): TensorInfo;
};

/** The float32 values of `t`, in place (not a copy). */
export function readHost(name: HostBackendName, backend: unknown, t: TensorInfo): Float32Array {
  return name === "wasm"
    ? f32View(backend as WasmBackend, t)
    : (backend as CpuBackend).data.get(t.dataId).values;
}

/** A new float32 output of `shape`; `view()` gives its memory (call it after all allocations). */
export function allocHost(
  name: HostBackendName,
  backend: unknown,
  shape: number[],
): { info: TensorInfo; view: () => Float32Array } {
  if (name === "wasm") {
    const info = (backend as WasmBackend).makeOutput(shape, "float32");
    return { info, view: () => f32View(backend as WasmBackend, info) };
  }
  const values = new Float32Array(shape.reduce((a, v) => a * v, 1));
  const info = (backend as CpuBackend).makeTensorInfo(shape, "float32", values);
  return { info, view: () => values };
}
