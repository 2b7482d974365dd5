/**
 * A graph's weighted neighbour sum over dense pair tensors as one kernel each way:
 * `out[b, i, :] = Σ_j w[i, j]·x[b, i, j, :]` for `x [B, N, N, C]` and constant weights `w [N, N]`
 * (the adjacency mask, divided by the in-degree for a mean). The graph models aggregate their
 * messages this way; composed from tfjs ops it is a broadcasting `Multiply` by the mask and a `Sum`
 * over the middle axis forward, and as many kernels again backward. On wasm the loops are SIMD on
 * the heap ({@link ./simd_kernels.ts}), on cpu JavaScript; elsewhere (webgpu) the composite runs.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { fusedOpsEnabled } from "./fused_op.ts";
import { allocHost, type HostBackendName, readHost } from "./_host_memory.ts";
import type { TensorInfo } from "./_wasm_heap.ts";
import { pairAggregateInto, pairSpreadInto } from "./simd_kernels.ts";

/** Kernel name of the forward pass (the gradient's is `RemulPairAggregateGrad`). */
export const PAIR_AGGREGATE = "RemulPairAggregate";
const GRAD = "RemulPairAggregateGrad";

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ["wasm", "cpu"] as const satisfies readonly HostBackendName[]) {
    tf.registerKernel({
      kernelName: PAIR_AGGREGATE,
      backendName,
      kernelFunc: (({ inputs, backend }: {
        inputs: { x: TensorInfo; w: TensorInfo };
        backend: unknown;
      }) => {
        const { x, w } = inputs;
        const [b, n, , c] = x.shape;
        const out = allocHost(backendName, backend, [b, n, c]);
        const view = out.view();
        pairAggregateInto(
          readHost(backendName, backend, x),
          readHost(backendName, backend, w),
          view,
          b,
          n,
          c,
        );
        return out.info;
      }) as never,
    });
    tf.registerKernel({
      kernelName: GRAD,
      backendName,
      kernelFunc: (({ inputs, backend }: {
        inputs: { dy: TensorInfo; w: TensorInfo };
        backend: unknown;
      }) => {
        const { dy, w } = inputs;
        const [b, n, c] = dy.shape;
        const out = allocHost(backendName, backend, [b, n, n, c]);
        const view = out.view();
        pairSpreadInto(
          readHost(backendName, backend, dy),
          readHost(backendName, backend, w),
          view,
          b,
          n,
          c,
        );
        return out.info;
      }) as never,
    });
  }
  tf.registerGradient({
    kernelName: PAIR_AGGREGATE,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved;
      return {
        x: () => tf.engine().runKernel(GRAD, { dy: dy as Tensor, w }, {}) as Tensor,
        // the weights are the graph's constants; their gradient is there for completeness
        w: () => tf.tidy(() => (dy as Tensor).expandDims(2).mul(x).sum([0, 3])),
      };
    },
  });
}

/** {@linkcode pairAggregate} from tfjs's own ops: the reference and the path on other backends. */
export function pairAggregateComposite(x: Tensor, w: Tensor): Tensor {
  return tf.tidy(() => {
    const n = w.shape[0];
    return x.mul(w.reshape([1, n, n, 1])).sum(2);
  });
}

/**
 * `out[b, i, :] = Σ_j w[i, j]·x[b, i, j, :]`.
 *
 * @param x `[B, N, N, C]` float32, pair values (receiver `i`, sender `j`).
 * @param w `[N, N]` float32 weights (constant: no gradient is taken through them in training).
 * @returns `[B, N, C]`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { pairAggregate } from "./pair_aggregate.ts";
 * const x = tf.ones([1, 2, 2, 1]);
 * const w = tf.tensor2d([[0, 1], [1, 0]]);
 * if ((await pairAggregate(x, w).data())[0] !== 1) throw new Error();
 * ```
 */
export function pairAggregate(x: Tensor, w: Tensor): Tensor {
  const [b, n, n2, c] = x.shape;
  if (x.rank !== 4 || n !== n2 || w.rank !== 2 || w.shape[0] !== n || w.shape[1] !== n) {
    throw new Error(
      `pairAggregate: expected x [B, N, N, C] and w [N, N], got [${x.shape}], [${w.shape}]`,
    );
  }
  register();
  const backend = tf.getBackend();
  if (
    !fusedOpsEnabled() || x.dtype !== "float32" || b * c === 0 ||
    (backend !== "wasm" && backend !== "cpu")
  ) {
    return pairAggregateComposite(x, w);
  }
  return tf.engine().runKernel(PAIR_AGGREGATE, { x, w }, {}) as Tensor;
}
