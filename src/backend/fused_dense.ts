/**
 * A dense layer `y = x·W + b` on the last axis as one kernel, and its gradient as one kernel per
 * input, for the wasm backend on OpenBLAS ({@link ./native_blas.ts}). The composite
 * (`reshape → matMul → add → reshape`) runs four kernels forward and about six backward, saves
 * four tensors for the backward pass, and its bias add is tfjs-backend-wasm's broadcasting
 * `Add`, which walks indices element by element (about 6 ns an element: 1.5 ms of a 3 × 64
 * Transformer step). Here the bias is written into the output by a rank-1 product and `x·W`
 * accumulated onto it (`cblas_sgemm` with β = 1: the same additions, in the same order, as the
 * composite's `matMul` then `add`), `dx = dy·Wᵀ` and `dW = xᵀ·dy` are one `cblas_sgemm` each, and
 * `db` is the column sum that the project's `Sum` kernel computes ({@link ./wasm_reduce.ts}).
 * Every model's dense layers go through here ({@link ../models/nn.ts}'s `dense`).
 *
 * Registered only when OpenBLAS loads; otherwise, and on every other backend,
 * {@linkcode fusedDense} reports `undefined` and the caller composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { loadNativeBlas, type NativeBlas, onesOf } from "./native_blas.ts";
import { columnSums } from "./wasm_reduce.ts";
import { f32View, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

/** Kernel name of the forward pass. */
export const FUSED_DENSE = "RemulDense";
const GRAD_INPUT = "RemulDenseGradInput";
const GRAD_WEIGHT = "RemulDenseGradWeight";
const GRAD_BIAS = "RemulDenseGradBias";

/** Rows of `x [..., K]` seen as a matrix `[M, K]`. */
function rows(x: TensorInfo): number {
  return sizeOf(x.shape.slice(0, -1));
}

function kernels(blas: NativeBlas) {
  const forward = ({ inputs, backend }: {
    inputs: { x: TensorInfo; w: TensorInfo; b?: TensorInfo };
    backend: WasmBackend;
  }): TensorInfo => {
    const { x, w, b } = inputs;
    const [k, n] = w.shape;
    const m = rows(x);
    const out = backend.makeOutput([...x.shape.slice(0, -1), n], "float32");
    if (m * n === 0) return out;
    const y = f32View(backend, out);
    if (b) {
      // y = 1·bᵀ (rank-1), then y += x·W
      blas.sgemm(false, false, m, n, 1, onesOf(m), 1, f32View(backend, b), n, y, n);
      if (k > 0) {
        blas.sgemm(false, false, m, n, k, f32View(backend, x), k, f32View(backend, w), n, y, n, 1);
      }
    } else if (k > 0) {
      blas.sgemm(false, false, m, n, k, f32View(backend, x), k, f32View(backend, w), n, y, n);
    } else {
      y.fill(0);
    }
    return out;
  };
  // dx [..., K] = dy·Wᵀ
  const gradInput = ({ inputs, backend }: {
    inputs: { dy: TensorInfo; w: TensorInfo };
    backend: WasmBackend;
  }): TensorInfo => {
    const { dy, w } = inputs;
    const [k, n] = w.shape;
    const m = rows(dy);
    const out = backend.makeOutput([...dy.shape.slice(0, -1), k], "float32");
    const dx = f32View(backend, out);
    if (n === 0) dx.fill(0);
    else if (m * k > 0) {
      blas.sgemm(false, true, m, k, n, f32View(backend, dy), n, f32View(backend, w), n, dx, k);
    }
    return out;
  };
  // dW [K, N] = xᵀ·dy
  const gradWeight = ({ inputs, backend }: {
    inputs: { x: TensorInfo; dy: TensorInfo };
    backend: WasmBackend;
  }): TensorInfo => {
    const { x, dy } = inputs;
    const k = x.shape[x.shape.length - 1];
    const n = dy.shape[dy.shape.length - 1];
    const m = rows(x);
    const out = backend.makeOutput([k, n], "float32");
    const dw = f32View(backend, out);
    if (m === 0) dw.fill(0);
    else if (k * n > 0) {
      blas.sgemm(true, false, k, n, m, f32View(backend, x), k, f32View(backend, dy), n, dw, n);
    }
    return out;
  };
  // db [N] = Σ_rows dy
  const gradBias = ({ inputs, backend }: { inputs: { dy: TensorInfo }; backend: WasmBackend }) => {
    const { dy } = inputs;
    const n = dy.shape[dy.shape.length - 1];
    const out = backend.makeOutput([n], "float32");
    columnSums(f32View(backend, dy), rows(dy), n, f32View(backend, out));
    return out;
  };
  return [
    { kernelName: FUSED_DENSE, backendName: "wasm", kernelFunc: forward as never },
    { kernelName: GRAD_INPUT, backendName: "wasm", kernelFunc: gradInput as never },
    { kernelName: GRAD_WEIGHT, backendName: "wasm", kernelFunc: gradWeight as never },
    { kernelName: GRAD_BIAS, backendName: "wasm", kernelFunc: gradBias as never },
  ];
}

let installed = false;
let enabled = true;

/**
 * Turns the fused path off (or back on) for this thread, so that {@linkcode fusedDense} reports
 * `undefined` and callers compose (tests compare the two paths).
 */
export function setFusedDense(on: boolean): void {
  enabled = on;
}

/**
 * Registers the kernels on wasm when OpenBLAS loads, and the gradient; idempotent.
 *
 * @returns what runs the dense layers (recorded with results).
 */
export function installFusedDense(): string {
  const status = loadNativeBlas();
  if (!status.loaded) return `RemulDense: not installed (${status.reason}); dense layers compose`;
  if (!installed) {
    installed = true;
    for (const k of kernels(status.blas)) {
      if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
    }
    tf.registerGradient({
      kernelName: FUSED_DENSE,
      inputsToSave: ["x", "w"],
      gradFunc: (dy, saved) => {
        const [x, w] = saved;
        const run = (name: string, inputs: Record<string, Tensor>) =>
          tf.engine().runKernel(name, inputs, {}) as Tensor;
        return {
          x: () => run(GRAD_INPUT, { dy: dy as Tensor, w }),
          w: () => run(GRAD_WEIGHT, { x, dy: dy as Tensor }),
          b: () => run(GRAD_BIAS, { dy: dy as Tensor }),
        };
      },
    });
  }
  return "RemulDense (dense layer x·W + b and its gradients): OpenBLAS, one kernel each";
}

/**
 * A dense layer on the last axis as one kernel, where the active backend has it.
 *
 * @param x `[..., K]` float32
 * @param w `[K, N]`
 * @param b `[N]`, optional
 * @returns `[..., N]`, or `undefined` when the backend has no such kernel (compose then).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { fusedDense } from "./fused_dense.ts";
 * const y = fusedDense(tf.ones([2, 3]), tf.ones([3, 4]), tf.zeros([4]));
 * if (y && (await y.data())[0] !== 3) throw new Error();
 * ```
 */
export function fusedDense(x: Tensor, w: Tensor, b?: Tensor): Tensor | undefined {
  if (
    !enabled || !installed || x.rank < 1 || w.rank !== 2 || x.dtype !== "float32" ||
    w.dtype !== "float32" || (b && (b.rank !== 1 || b.dtype !== "float32")) ||
    x.shape[x.rank - 1] !== w.shape[0] || (b && b.shape[0] !== w.shape[1]) ||
    !tf.getKernel(FUSED_DENSE, tf.getBackend())
  ) {
    return undefined;
  }
  const inputs: Record<string, Tensor> = b ? { x, w, b } : { x, w };
  return tf.engine().runKernel(FUSED_DENSE, inputs, {}) as Tensor;
}
