/**
 * Dense message passing on small graphs (private to `src/models/`): every graph of a batch has the
 * same N nodes and the same edges, given as an adjacency mask `[N, N]`, and pairwise quantities
 * are full `[B, N, N, F]` tensors. Aggregation is a masked sum over the sender axis, so no
 * gather/scatter gradients are needed (the tfjs wasm backend has no `UnsortedSegmentSum`).
 *
 * Convention: pair `(i, j)` is the message from sender `j` to receiver `i`; `mask[i][j] = 1` when
 * that edge exists. A directed edge `[src, dst]` of a data set sets `mask[dst][src]`.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { pairAggregate } from "../backend/graph_pairs.ts";

/**
 * Adjacency mask of a graph with `n` nodes.
 *
 * @param n number of nodes.
 * @param edges directed edges `[src, dst]`; when undefined, all ordered pairs `i ≠ j`.
 * @param where names the caller in error messages.
 * @returns row-major `[N, N]` values, `mask[dst * n + src] = 1`.
 * @throws Error if an edge names a node outside `0..n-1`.
 */
export function adjacencyMask(
  n: number,
  edges: readonly (readonly [number, number])[] | undefined,
  where: string,
): Float32Array {
  const mask = new Float32Array(n * n);
  if (edges === undefined) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) mask[i * n + j] = 1;
    return mask;
  }
  for (const [src, dst] of edges) {
    if (
      !(Number.isInteger(src) && Number.isInteger(dst) && src >= 0 && dst >= 0 && src < n &&
        dst < n)
    ) {
      throw new Error(`${where}: edge [${src}, ${dst}] names a node outside 0..${n - 1}`);
    }
    mask[dst * n + src] = 1;
  }
  return mask;
}

/** The graph a layer runs on: its mask and in-degrees, as constant tensors. */
export interface DenseGraph {
  /** `[1, N, N, 1]`, 1 where sender j sends to receiver i. */
  readonly mask: Tensor;
  /** `[1, N, 1]`, number of senders of each receiver, at least 1 (for mean aggregation). */
  readonly degree: Tensor;
  /** `[N, N]`, the mask as aggregation weights of a sum. */
  readonly sumWeights: Tensor;
  /** `[N, N]`, the mask divided by the degree: aggregation weights of a mean. */
  readonly meanWeights: Tensor;
}

/**
 * Builds the constant tensors of a graph; the caller disposes them with {@link disposeGraph}.
 *
 * @param n number of nodes.
 * @param edges directed edges `[src, dst]`, or undefined for fully connected without self-loops.
 * @param where names the caller in error messages.
 */
export function denseGraph(
  n: number,
  edges: readonly (readonly [number, number])[] | undefined,
  where: string,
): DenseGraph {
  const m = adjacencyMask(n, edges, where);
  const deg = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 0; j < n; j++) d += m[i * n + j];
    deg[i] = Math.max(d, 1);
  }
  const mean = m.map((v, k) => v / deg[Math.floor(k / n)]);
  return {
    mask: tf.tensor(m, [1, n, n, 1]),
    degree: tf.tensor(deg, [1, n, 1]),
    sumWeights: tf.tensor(m, [n, n]),
    meanWeights: tf.tensor(mean, [n, n]),
  };
}

/** Frees the tensors of a {@link DenseGraph}. */
export function disposeGraph(g: DenseGraph): void {
  tf.dispose([g.mask, g.degree, g.sumWeights, g.meanWeights]);
}

/**
 * Pairwise differences `x_i − x_j`.
 *
 * @param x `[B, N, 3]` positions.
 * @returns `[B, N, N, 3]`, entry (i, j) = `x_i − x_j`; rotates with the input, translation-invariant.
 */
export function pairDifferences(x: Tensor): Tensor {
  return tf.tidy(() => x.expandDims(2).sub(x.expandDims(1)));
}

/**
 * Pairwise squared distances.
 *
 * @param x `[B, N, 3]` positions.
 * @returns `[B, N, N, 1]`, entry (i, j) = `‖x_i − x_j‖²`; E(3)-invariant.
 */
export function pairSquaredDistances(x: Tensor): Tensor {
  return tf.tidy(() => pairDifferences(x).square().sum(-1, true));
}

/**
 * Pairwise products of a per-node scalar.
 *
 * @param s `[B, N, 1]`.
 * @returns `[B, N, N, 1]`, entry (i, j) = `s_i · s_j`.
 */
export function pairProducts(s: Tensor): Tensor {
  return tf.tidy(() => s.expandDims(2).mul(s.expandDims(1)));
}

/**
 * Sum over senders of the edges that exist.
 *
 * @param pair `[B, N, N, F]`, entry (i, j) = message from j to i.
 * @param g the graph.
 * @returns `[B, N, F]`, `Σ_j mask_ij · pair_ij`.
 */
export function aggregateSum(pair: Tensor, g: DenseGraph): Tensor {
  return pairAggregate(pair, g.sumWeights);
}

/**
 * Mean over senders of the edges that exist (0 for a node without senders).
 *
 * @param pair `[B, N, N, F]`.
 * @param g the graph.
 * @returns `[B, N, F]`, `Σ_j (mask_ij / max(deg_i, 1)) · pair_ij`.
 */
export function aggregateMean(pair: Tensor, g: DenseGraph): Tensor {
  return pairAggregate(pair, g.meanWeights);
}
