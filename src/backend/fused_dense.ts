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
 * Registered on wasm only when OpenBLAS loads. On webgpu the same kernel names are WGSL and
 * tfjs-webgpu matmul programs ({@link ./webgpu_dense.ts}); the gradient is registered once
 * ({@linkcode registerFusedDenseGradient}), by whichever backend registers the kernels first. On
 * a backend without the kernel (cpu, wasm without OpenBLAS) {@linkcode fusedDense} reports
 * `undefined` and the caller composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { loadNativeBlas, type NativeBlas, onesOf } from "./native_blas.ts";
import { columnSums } from "./wasm_reduce.ts";
import { sizeOf, type TensorInfo } from "./_wasm_heap.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";

/** Kernel name of the forward pass. */
export const FUSED_DENSE = "RemulDense";
/** Kernel name of `dx = dy·Wᵀ` (inputs `dy`, `w`). */
export const FUSED_DENSE_GRAD_INPUT = "RemulDenseGradInput";
/** Kernel name of `dW = xᵀ·dy` (inputs `x`, `dy`). */
export const FUSED_DENSE_GRAD_WEIGHT = "RemulDenseGradWeight";
/** Kernel name of `db = Σ_rows dy` (input `dy`). */
export const FUSED_DENSE_GRAD_BIAS = "RemulDenseGradBias";
const GRAD_INPUT = FUSED_DENSE_GRAD_INPUT;
const GRAD_WEIGHT = FUSED_DENSE_GRAD_WEIGHT;
const GRAD_BIAS = FUSED_DENSE_GRAD_BIAS;

/** Rows of `x [..., K]` seen as a matrix `[M, K]`. */
function rows(x: TensorInfo): number {
  return sizeOf(x.shape.slice(0, -1));
}

type DenseInputs = "x" | "w" | "b";

function kernels(blas: NativeBlas): HostKernel<string>[] {
  // y [..., N] = x·W (+ b): y = 1·bᵀ (rank-1), then y += x·W
  const forward: HostKernel<DenseInputs> = {
    name: FUSED_DENSE,
    outputShape: ({ x, w }) => [...x.shape.slice(0, -1), w.shape[1]],
    compute({ x, w, b }, y, inputs) {
      const [k, n] = inputs.w.shape;
      const m = rows(inputs.x);
      if (m * n === 0) return;
      if (b) {
        blas.sgemm(false, false, m, n, 1, onesOf(m), 1, b, n, y, n);
        if (k > 0) blas.sgemm(false, false, m, n, k, x, k, w, n, y, n, 1);
      } else if (k > 0) blas.sgemm(false, false, m, n, k, x, k, w, n, y, n);
      else y.fill(0);
    },
  };
  // dx [..., K] = dy·Wᵀ
  const gradInput: HostKernel<"dy" | "w"> = {
    name: GRAD_INPUT,
    outputShape: ({ dy, w }) => [...dy.shape.slice(0, -1), w.shape[0]],
    compute({ dy, w }, dx, inputs) {
      const [k, n] = inputs.w.shape;
      const m = rows(inputs.dy);
      if (n === 0) dx.fill(0);
      else if (m * k > 0) blas.sgemm(false, true, m, k, n, dy, n, w, n, dx, k);
    },
  };
  // dW [K, N] = xᵀ·dy
  const gradWeight: HostKernel<"x" | "dy"> = {
    name: GRAD_WEIGHT,
    outputShape: ({ x, dy }) => [x.shape[x.shape.length - 1], dy.shape[dy.shape.length - 1]],
    compute({ x, dy }, dw, inputs) {
      const [k, n] = [inputs.x.shape.at(-1)!, inputs.dy.shape.at(-1)!];
      const m = rows(inputs.x);
      if (m === 0) dw.fill(0);
      else if (k * n > 0) blas.sgemm(true, false, k, n, m, x, k, dy, n, dw, n);
    },
  };
  // db [N] = Σ_rows dy
  const gradBias: HostKernel<"dy"> = {
    name: GRAD_BIAS,
    outputShape: ({ dy }) => [dy.shape[dy.shape.length - 1]],
    compute: ({ dy }, db, inputs) => columnSums(dy, rows(inputs.dy), db.length, db),
  };
  return [forward, gradInput, gradWeight, gradBias] as HostKernel<string>[];
}

let installed = false;
let gradientRegistered = false;
let enabled = true;

/**
 * Turns the fused path off (or back on) for this thread, so that {@linkcode fusedDense} reports
 * `undefined` and callers compose (tests compare the two paths).
 */
export function setFusedDense(on: boolean): void {
  enabled = on;
}

/**
 * Registers the gradient of `RemulDense` (global by kernel name, once whichever backend
 * registers the kernels first): `dx`, `dW` and `db` are one kernel each, under the names
 * {@linkcode FUSED_DENSE_GRAD_INPUT}, {@linkcode FUSED_DENSE_GRAD_WEIGHT} and
 * {@linkcode FUSED_DENSE_GRAD_BIAS}, which every backend that registers the forward kernel
 * registers too (wasm here, webgpu in `webgpu_dense.ts`). Idempotent.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { FUSED_DENSE, registerFusedDenseGradient } from "./fused_dense.ts";
 * registerFusedDenseGradient();
 * registerFusedDenseGradient(); // a second call does nothing
 * if (!tf.getGradient(FUSED_DENSE)) throw new Error();
 * ```
 */
export function registerFusedDenseGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
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
    registerHostKernels(kernels(status.blas), ["wasm"]);
    registerFusedDenseGradient();
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
    !enabled || x.rank < 1 || w.rank !== 2 || x.dtype !== "float32" ||
    w.dtype !== "float32" || (b && (b.rank !== 1 || b.dtype !== "float32")) ||
    x.shape[x.rank - 1] !== w.shape[0] || (b && b.shape[0] !== w.shape[1]) ||
    !tf.getKernel(FUSED_DENSE, tf.getBackend())
  ) {
    return undefined;
  }
  const inputs: Record<string, Tensor> = b ? { x, w, b } : { x, w };
  return tf.engine().runKernel(FUSED_DENSE, inputs, {}) as Tensor;
}
