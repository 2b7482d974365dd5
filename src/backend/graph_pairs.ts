/**
 * Kernels between node rows `[B, N, C]` and the dense pair tensors `[B, N, N, C]` of the graph
 * models (entry (i, j): receiver i, sender j), for the wasm and cpu backends:
 * - {@linkcode pairAdd}: node rows broadcast onto the pairs, `r_i + s_j`, optionally plus edge
 *   features times their weights (an edge MLP's first layer on `[h_i, h_j, a_ij]`, the node parts
 *   computed per node); tfjs-backend-wasm's broadcasting `Add` walks indices element by element
 *   (on `[64, 4, 4, 32]` 55–105 µs with its `ExpandDims`, against 35–50 µs for this kernel, whose
 *   SIMD loop takes 17);
 * - {@linkcode pairAggregate}: the weighted neighbour sum back onto the nodes,
 *   `Σ_j w[i, j]·x[b, i, j, :]`, with `w` the adjacency mask, divided by the in-degree for a mean:
 *   one kernel each way instead of a broadcasting `Multiply` and a middle-axis `Sum` forward and
 *   as many kernels again backward.
 * On wasm the loops are SIMD on the heap ({@link ./simd_kernels.ts}), on cpu JavaScript;
 * elsewhere (webgpu) the tfjs composites run.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { fusedOpsEnabled } from "./fused_op.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";
import { pairAddInto, pairAggregateInto, pairSpreadInto } from "./simd_kernels.ts";

/** Kernel name of the aggregation (its gradient's is `RemulPairAggregateGrad`). */
export const PAIR_AGGREGATE = "RemulPairAggregate";
const GRAD = "RemulPairAggregateGrad";
/** Kernel name of the broadcast sum (its gradient is two middle-axis `Sum`s). */
export const PAIR_ADD = "RemulPairAdd";
/** Kernel name of the broadcast sum with edge terms. */
export const PAIR_ADD_EDGES = "RemulPairAddEdges";

const KERNELS: readonly HostKernel<"x" | "w" | "dy" | "r" | "s" | "a">[] = [
  {
    name: PAIR_AGGREGATE,
    outputShape: ({ x }) => [x.shape[0], x.shape[1], x.shape[3]],
    compute: ({ x, w }, out, { x: { shape: [b, n, , c] } }) =>
      pairAggregateInto(x, w, out, b, n, c),
  },
  {
    name: GRAD,
    outputShape: ({ dy: { shape: [b, n, c] } }) => [b, n, n, c],
    compute: ({ dy, w }, out, { dy: { shape: [b, n, c] } }) => pairSpreadInto(dy, w, out, b, n, c),
  },
  {
    name: PAIR_ADD,
    outputShape: ({ r: { shape: [b, n, c] } }) => [b, n, n, c],
    compute: ({ r, s }, out, { r: { shape: [b, n, c] } }) => pairAddInto(r, s, out, b, n, c),
  },
  {
    name: PAIR_ADD_EDGES,
    outputShape: ({ r: { shape: [b, n, c] } }) => [b, n, n, c],
    compute: ({ r, s, a, w }, out, { r: { shape: [b, n, c] }, w: { shape: [k] } }) =>
      pairAddInto(r, s, out, b, n, c, { a, w, k }),
  },
];

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerHostKernels(KERNELS);
  tf.registerGradient({
    kernelName: PAIR_ADD,
    gradFunc: (dy) => ({
      r: () => (dy as Tensor).sum(2),
      s: () => (dy as Tensor).sum(1),
    }),
  });
  tf.registerGradient({
    kernelName: PAIR_ADD_EDGES,
    inputsToSave: ["a", "w"],
    gradFunc: (dy, saved) => {
      const [a, w] = saved;
      const g = dy as Tensor;
      const [k, c] = w.shape;
      return {
        r: () => g.sum(2),
        s: () => g.sum(1),
        a: () => tf.matMul(g.reshape([-1, c]), w as tf.Tensor2D, false, true).reshape(a.shape),
        w: () => tf.matMul(a.reshape([-1, k]), g.reshape([-1, c]), true, false),
      };
    },
  });
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
 * import { pairAggregate } from "./graph_pairs.ts";
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

/** Edge terms of {@linkcode pairAdd}: per pair features `a [B, N, N, K]` times `w [K, C]`. */
export interface PairEdgeTerms {
  readonly features: Tensor;
  readonly weight: Tensor;
}

/** {@linkcode pairAdd} from tfjs's own ops: the reference and the path on other backends. */
export function pairAddComposite(r: Tensor, s: Tensor, edges?: PairEdgeTerms): Tensor {
  return tf.tidy(() => {
    const sum = r.expandDims(2).add(s.expandDims(1));
    if (!edges) return sum;
    const [k, c] = edges.weight.shape;
    const term = tf.matMul(edges.features.reshape([-1, k]), edges.weight as tf.Tensor2D);
    return sum.add(term.reshape([...edges.features.shape.slice(0, 3), c]));
  });
}

/**
 * `out[b, i, j, :] = r[b, i, :] + s[b, j, :] (+ Σ_k a[b, i, j, k]·w[k, :])`: the first layer of
 * an edge MLP on `[h_i, h_j, a_ij]`, with the node parts computed per node.
 *
 * @param r `[B, N, C]` float32, the receivers' rows.
 * @param s `[B, N, C]` float32, the senders' rows.
 * @param edges optional edge features `[B, N, N, K]` and their weights `[K, C]`.
 * @returns `[B, N, N, C]`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { pairAdd } from "./graph_pairs.ts";
 * const y = pairAdd(tf.tensor3d([[[1], [2]]]), tf.tensor3d([[[10], [20]]]));
 * if ((await y.data()).join() !== "11,21,12,22") throw new Error();
 * ```
 */
export function pairAdd(r: Tensor, s: Tensor, edges?: PairEdgeTerms): Tensor {
  if (r.rank !== 3 || s.rank !== 3 || r.shape.some((d, i) => d !== s.shape[i])) {
    throw new Error(
      `pairAdd: expected r and s of one shape [B, N, C], got [${r.shape}], [${s.shape}]`,
    );
  }
  const [b, n, c] = r.shape;
  if (edges) {
    const { features: a, weight: w } = edges;
    if (
      a.rank !== 4 || a.shape[0] !== b || a.shape[1] !== n || a.shape[2] !== n || w.rank !== 2 ||
      w.shape[0] !== a.shape[3] || w.shape[1] !== c
    ) {
      throw new Error(
        `pairAdd: expected edge features [${b}, ${n}, ${n}, K] and weights [K, ${c}], got [${a.shape}], [${w.shape}]`,
      );
    }
  }
  register();
  const backend = tf.getBackend();
  const tensors = edges ? [r, s, edges.features, edges.weight] : [r, s];
  if (
    !fusedOpsEnabled() || tensors.some((t) => t.dtype !== "float32") || r.size === 0 ||
    (backend !== "wasm" && backend !== "cpu")
  ) {
    return pairAddComposite(r, s, edges);
  }
  return edges
    ? tf.engine().runKernel(
      PAIR_ADD_EDGES,
      { r, s, a: edges.features, w: edges.weight },
      {},
    ) as Tensor
    : tf.engine().runKernel(PAIR_ADD, { r, s }, {}) as Tensor;
}
