/**
 * A block-structured linear map on packed rows as one kernel, and its gradient as one kernel, for
 * the wasm backend on OpenBLAS ({@link ./native_blas.ts}). Each row of `x [T, W_in]` is a head
 * block of `k0` columns followed by `R` blocks of `k1` columns; the output row is the head block
 * times `M0 [k0, n0]` plus a bias, followed by each of the `R` blocks times the one shared
 * `M1 [k1, n1]`:
 *
 * `y[t] = [x₀[t]·M0 + b | x₁[t]·M1 | … | x_R[t]·M1]`.
 *
 * That is GATr's equivariant linear map in its block form (`src/models/gatr/equi_linear.ts`:
 * block 0 with the scalars, then three blocks that one matrix maps alike). Composed from tfjs ops
 * it is a split, a reshape, two matMuls, a bias add and a concat forward, and as many again
 * backward, each a full pass over the activations; here each block is one `cblas_sgemm` that
 * reads its columns of `x` and writes its columns of `y` in place through the leading dimension,
 * so nothing is split, copied or concatenated.
 *
 * Registered on wasm only when OpenBLAS loads; on webgpu the same two kernel names run WGSL
 * programs ({@link ./webgpu_block_linear.ts}). Elsewhere {@linkcode blockLinearAvailable} is
 * false and the caller composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { loadNativeBlas, type NativeBlas, onesOf } from "./native_blas.ts";
import { columnSums } from "./wasm_reduce.ts";
import { type HostKernel, type HostKernelOutputs, registerHostKernels } from "./_host_memory.ts";

/** Kernel name of the forward pass. */
export const BLOCK_LINEAR = "RemulBlockLinear";
/** Kernel name of the gradient: `[dx, dM0, dM1, db]` in one pass. */
export const BLOCK_LINEAR_GRAD = "RemulBlockLinearGrad";

/** Anything with a shape (a tensor or a kernel's `TensorInfo`). */
type Shaped = { readonly shape: readonly number[] };

/** The sizes of one block map: `x [t, wIn]`, `wIn = k0 + repeats·k1`, `wOut = n0 + repeats·n1`. */
export interface BlockLinearDims {
  t: number;
  k0: number;
  n0: number;
  k1: number;
  n1: number;
  repeats: number;
  wIn: number;
  wOut: number;
}

/**
 * The sizes of a block map from its inputs' shapes (shared with the webgpu kernels).
 *
 * @param x `[T, k0 + R·k1]` (or its `TensorInfo`)
 * @param m0 `[k0, n0]`
 * @param m1 `[k1, n1]`
 * @param repeats R
 * @returns the sizes, with the row widths in and out.
 * @throws Error when the rows do not split into `k0 + R·k1` columns.
 *
 * @example
 * ```ts
 * import { blockLinearDims } from "./block_linear.ts";
 * const d = blockLinearDims({ shape: [5, 7] }, { shape: [1, 2] }, { shape: [2, 3] }, 3);
 * if (d.wOut !== 11) throw new Error();
 * ```
 */
export function blockLinearDims(
  x: Shaped,
  m0: Shaped,
  m1: Shaped,
  repeats: number,
): BlockLinearDims {
  const [t, wIn] = x.shape;
  const [k0, n0] = m0.shape;
  const [k1, n1] = m1.shape;
  if (wIn !== k0 + repeats * k1) {
    throw new Error(
      `${BLOCK_LINEAR}: rows of ${wIn} columns do not split into ${k0} + ${repeats} × ${k1}`,
    );
  }
  return { t, k0, n0, k1, n1, repeats, wIn, wOut: n0 + repeats * n1 };
}

type Attrs = { repeats: number };

function kernels(blas: NativeBlas) {
  const forward: HostKernel<"x" | "m0" | "m1" | "b", Attrs> = {
    name: BLOCK_LINEAR,
    outputShape: ({ x, m0, m1 }, { repeats }) => {
      const d = blockLinearDims(x, m0, m1, repeats);
      return [d.t, d.wOut];
    },
    compute: ({ x, m0, m1, b }, y, inputs, attrs) => {
      const d = blockLinearDims(inputs.x, inputs.m0, inputs.m1, attrs.repeats);
      if (d.t === 0) return;
      // head: y₀ = 1·bᵀ, then y₀ += x₀·M0
      blas.sgemm(false, false, d.t, d.n0, 1, onesOf(d.t), 1, b, d.n0, y, d.wOut);
      if (d.k0 > 0) blas.sgemm(false, false, d.t, d.n0, d.k0, x, d.wIn, m0, d.n0, y, d.wOut, 1);
      for (let r = 0; r < d.repeats; r++) {
        const xr = x.subarray(d.k0 + r * d.k1);
        const yr = y.subarray(d.n0 + r * d.n1);
        if (d.k1 > 0) blas.sgemm(false, false, d.t, d.n1, d.k1, xr, d.wIn, m1, d.n1, yr, d.wOut);
        else for (let i = 0; i < d.t; i++) yr.fill(0, i * d.wOut, i * d.wOut + d.n1);
      }
    },
  };
  const backward: HostKernelOutputs<"x" | "m0" | "m1" | "dy", Attrs> = {
    name: BLOCK_LINEAR_GRAD,
    outputShapes: ({ x, m0, m1 }, { repeats }) => {
      const d = blockLinearDims(x, m0, m1, repeats);
      return [[d.t, d.wIn], [d.k0, d.n0], [d.k1, d.n1], [d.n0]];
    },
    compute: ({ x, m0, m1, dy }, [dx, dm0, dm1, db], inputs, attrs) => {
      const d = blockLinearDims(inputs.x, inputs.m0, inputs.m1, attrs.repeats);
      if (d.t === 0 || d.n0 === 0) {
        dm0.fill(0);
        db.fill(0);
      }
      if (d.t === 0 || d.n1 === 0) dm1.fill(0);
      if (d.t === 0) return;
      // dx₀ = dy₀·M0ᵀ, dx_r = dy_r·M1ᵀ
      if (d.k0 > 0) {
        if (d.n0 > 0) blas.sgemm(false, true, d.t, d.k0, d.n0, dy, d.wOut, m0, d.n0, dx, d.wIn);
        else for (let i = 0; i < d.t; i++) dx.fill(0, i * d.wIn, i * d.wIn + d.k0);
      }
      for (let r = 0; r < d.repeats && d.k1 > 0; r++) {
        const dxr = dx.subarray(d.k0 + r * d.k1);
        if (d.n1 > 0) {
          const dyr = dy.subarray(d.n0 + r * d.n1);
          blas.sgemm(false, true, d.t, d.k1, d.n1, dyr, d.wOut, m1, d.n1, dxr, d.wIn);
        } else {
          for (let i = 0; i < d.t; i++) dxr.fill(0, i * d.wIn, i * d.wIn + d.k1);
        }
      }
      // dM0 = x₀ᵀ·dy₀, db = Σ_t dy₀, dM1 = Σ_r x_rᵀ·dy_r
      if (d.n0 > 0) {
        if (d.k0 > 0) blas.sgemm(true, false, d.k0, d.n0, d.t, x, d.wIn, dy, d.wOut, dm0, d.n0);
        columnSums(dy, d.t, d.n0, db, 1, d.wOut);
      }
      if (d.n1 > 0 && d.k1 > 0) {
        if (d.repeats === 0) dm1.fill(0);
        for (let r = 0; r < d.repeats; r++) {
          const xr = x.subarray(d.k0 + r * d.k1);
          const dyr = dy.subarray(d.n0 + r * d.n1);
          blas.sgemm(
            true,
            false,
            d.k1,
            d.n1,
            d.t,
            xr,
            d.wIn,
            dyr,
            d.wOut,
            dm1,
            d.n1,
            r === 0 ? 0 : 1,
          );
        }
      }
    },
  };
  return [forward, backward];
}

let installed = false;
let enabled = true;

/**
 * Turns the kernel off (or back on) for this thread, so that {@linkcode blockLinear} reports
 * `undefined` and callers compose (tests compare the two paths).
 */
export function setBlockLinear(on: boolean): void {
  enabled = on;
}

/**
 * Registers the kernels on wasm when OpenBLAS loads; idempotent.
 *
 * @returns what runs the block maps (recorded with results).
 */
export function installBlockLinear(): string {
  const status = loadNativeBlas();
  if (!status.loaded) return `${BLOCK_LINEAR}: not installed (${status.reason})`;
  if (!installed) {
    installed = true;
    registerHostKernels(kernels(status.blas), ["wasm"]);
  }
  return `${BLOCK_LINEAR} (GATr's equivariant linear maps on packed rows): OpenBLAS, in place`;
}

/**
 * True where {@linkcode blockLinear} and {@linkcode blockLinearGrad} run one kernel: wasm with
 * OpenBLAS ({@linkcode installBlockLinear}) and webgpu (`installWebGpuBlockLinear`).
 */
export function blockLinearAvailable(): boolean {
  return enabled && tf.getKernel(BLOCK_LINEAR, tf.getBackend()) !== undefined;
}

/**
 * The block map as one kernel (no gradient of its own: callers pair it with
 * {@linkcode blockLinearGrad} in a hand-written gradient).
 *
 * @param x `[T, k0 + R·k1]` float32
 * @param m0 `[k0, n0]` head block
 * @param m1 `[k1, n1]` the matrix shared by the R repeated blocks
 * @param b `[n0]` bias of the head block
 * @param repeats R
 * @returns `[T, n0 + R·n1]`
 * @throws Error when the kernel is not available ({@linkcode blockLinearAvailable}) or the widths
 *   do not match.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { blockLinear, blockLinearAvailable } from "./block_linear.ts";
 * if (blockLinearAvailable()) {
 *   // one head column, two repeated blocks of one column: y = [2·x₀ + 1, 3·x₁, 3·x₂]
 *   const y = blockLinear(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[2]]), tf.tensor2d([[3]]),
 *     tf.tensor1d([1]), 2);
 *   if ((await y.data()).join() !== "3,6,9") throw new Error();
 * }
 * ```
 */
export function blockLinear(x: Tensor, m0: Tensor, m1: Tensor, b: Tensor, repeats: number): Tensor {
  if (!blockLinearAvailable()) throw new Error(`${BLOCK_LINEAR}: not available on this backend`);
  return tf.engine().runKernel(BLOCK_LINEAR, { x, m0, m1, b }, { repeats }) as Tensor;
}

/**
 * The gradient of {@linkcode blockLinear} with respect to all its inputs, in one kernel.
 *
 * @param dy `[T, n0 + R·n1]` the output's gradient.
 * @returns `[dx [T, k0 + R·k1], dM0 [k0, n0], dM1 [k1, n1], db [n0]]`.
 */
export function blockLinearGrad(
  x: Tensor,
  m0: Tensor,
  m1: Tensor,
  dy: Tensor,
  repeats: number,
): [Tensor, Tensor, Tensor, Tensor] {
  if (!blockLinearAvailable()) throw new Error(`${BLOCK_LINEAR}: not available on this backend`);
  return tf.engine().runKernel(BLOCK_LINEAR_GRAD, { x, m0, m1, dy }, { repeats }) as unknown as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
}
