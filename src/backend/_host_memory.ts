/**
 * Private to `src/backend/`: float32 memory of a tensor on the two backends whose data lives on
 * the host (wasm: the wasm heap; cpu: a typed array), for kernels written as JavaScript loops.
 * On wasm a view is valid until the next allocation (an allocation may move the heap), so take
 * views after allocating every output.
 *
 * @module
 */
import { tf } from "../tf.ts";
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

/** The backends whose tensors are host memory. */
export const HOST_BACKENDS: readonly HostBackendName[] = ["wasm", "cpu"];

/**
 * A kernel with one float32 output on a host backend, as data: the output's shape from the
 * inputs, and the loop over the inputs' values. {@linkcode registerHostKernels} turns it into
 * a registered kernel per backend.
 */
export interface HostKernel<I extends string = string, A = Record<string, never>> {
  readonly name: string;
  /** Shape of the output. */
  outputShape(inputs: Readonly<Record<I, TensorInfo>>, attrs: A): number[];
  /**
   * Writes `out` from the inputs' values (views taken after the output is allocated); `scratch`
   * is working memory of {@linkcode HostKernel.scratch} floats on the same heap, when asked for.
   */
  compute(
    values: Readonly<Record<I, Float32Array>>,
    out: Float32Array,
    inputs: Readonly<Record<I, TensorInfo>>,
    attrs: A,
    scratch?: Float32Array,
  ): void;
  /** Floats of working memory the loop needs (freed when it returns); none by default. */
  scratch?(inputs: Readonly<Record<I, TensorInfo>>, attrs: A): number;
}

/**
 * A kernel with several float32 outputs (a gradient with respect to several inputs, an update of
 * several arrays), as data; inputs given as an array arrive keyed "0", "1", ….
 */
export interface HostKernelOutputs<I extends string = string, A = Record<string, never>> {
  readonly name: string;
  /** Shapes of the outputs, in order. */
  outputShapes(inputs: Readonly<Record<I, TensorInfo>>, attrs: A): number[][];
  /** Writes every output from the inputs' values (views taken after every allocation). */
  compute(
    values: Readonly<Record<I, Float32Array>>,
    outs: Float32Array[],
    inputs: Readonly<Record<I, TensorInfo>>,
    attrs: A,
  ): void;
}

/**
 * Registers each kernel on each host backend where no kernel of that name is registered yet:
 * allocate the outputs (and scratch), then take the views, then run the loop. Taking every view
 * after every allocation is the rule of the wasm heap, which an allocation may move; here it is
 * kept in one place.
 */
export function registerHostKernels(
  // deno-lint-ignore no-explicit-any
  kernels: readonly (HostKernel<any, any> | HostKernelOutputs<any, any>)[],
  backends: readonly HostBackendName[] = HOST_BACKENDS,
): void {
  for (const backendName of backends) {
    for (const k of kernels) {
      if (tf.getKernel(k.name, backendName)) continue;
      const kernelFunc = ({ inputs, backend, attrs }: {
        inputs: Record<string, TensorInfo>;
        backend: unknown;
        attrs: unknown;
      }) => {
        const many = "outputShapes" in k;
        const shapes = many ? k.outputShapes(inputs, attrs) : [k.outputShape(inputs, attrs)];
        const outs = shapes.map((shape) => allocHost(backendName, backend, shape));
        const floats = many ? 0 : k.scratch?.(inputs, attrs) ?? 0;
        const temp = floats > 0 ? allocHost(backendName, backend, [floats]) : undefined;
        try {
          const views = outs.map((o) => o.view()); // after every allocation
          const values: Record<string, Float32Array> = {};
          for (const [key, t] of Object.entries(inputs)) {
            if (t !== undefined) values[key] = readHost(backendName, backend, t);
          }
          if (many) k.compute(values, views, inputs, attrs);
          else k.compute(values, views[0], inputs, attrs, temp?.view());
        } finally {
          if (temp) (backend as { disposeData(id: object): void }).disposeData(temp.info.dataId);
        }
        return many ? outs.map((o) => o.info) : outs[0].info;
      };
      tf.registerKernel({ kernelName: k.name, backendName, kernelFunc: kernelFunc as never });
    }
  }
}
