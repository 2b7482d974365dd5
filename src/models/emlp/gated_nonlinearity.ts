/**
 * EMLP's gated nonlinearity (`GatedNonlinearity`, Finzi et al. 2021): the input is a gated
 * representation (`gatedRep(rep)`: `rep` followed by one scalar gate per non-scalar copy).
 * Every non-scalar copy is multiplied by the sigmoid of its gate; scalars act as their own gate,
 * i.e. get swish `s·σ(s)`. The gates are dropped from the output. Equivariant, because gates are
 * invariant and each tensor copy is only rescaled.
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { blockOffsets, repSize, type SumRep } from "./sum_rep.ts";
import { tensorDim } from "./tensor_rep.ts";
import { silu } from "../nn.ts";

/**
 * Applies the gated nonlinearity.
 *
 * @param x `[B, repSize(gatedRep(rep))]`: `rep`'s components, then the gates.
 * @param rep the representation without gates.
 * @returns `[B, repSize(rep)]`, transforms like `rep`.
 *
 * @example
 * ```ts
 * import { tf } from "../../tf.ts";
 * import { gatedNonlinearity } from "./gated_nonlinearity.ts";
 * // one scalar, one vector, the vector's gate
 * const y = gatedNonlinearity(tf.tensor2d([[0, 1, 2, 3, 0]]), [{ rank: 0, count: 1 }, { rank: 1, count: 1 }]);
 * // [swish(0), 0.5·(1, 2, 3)]
 * if (Math.abs(y.dataSync()[2] - 1) > 1e-6) throw new Error();
 * ```
 */
export function gatedNonlinearity(x: Tensor, rep: SumRep): Tensor {
  return tf.tidy(() => {
    const b = x.shape[0];
    const off = blockOffsets(rep);
    let gateAt = repSize(rep);
    const parts = rep.map((blk, k) => {
      const d = tensorDim(blk.rank);
      const v = x.slice([0, off[k]], [b, blk.count * d]);
      if (blk.rank === 0) return silu(v);
      const gates = tf.sigmoid(x.slice([0, gateAt], [b, blk.count])); // [B, copies]
      gateAt += blk.count;
      return v.reshape([b, blk.count, d]).mul(gates.expandDims(2)).reshape([b, blk.count * d]);
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  });
}
