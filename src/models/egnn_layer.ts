/**
 * The E(n)-equivariant graph convolution layer of Satorras et al. (2021), velocity variant
 * (`E_GCL_vel`, reference notes §5.1), on dense per-graph tensors:
 *
 * - edge messages `m_ij = φ_e([h_i, h_j, ‖x_i − x_j‖², a_ij])`, φ_e = Linear → SiLU → Linear → SiLU;
 * - coordinates `x_i ← x_i + (1/deg_i) Σ_j (x_i − x_j) · φ_x(m_ij)` (mean aggregation), φ_x = Linear → SiLU → Linear(H → 1, no bias, xavier
 *   uniform with gain 0.001);
 * - velocity term `x_i ← x_i + φ_v(h_i) · v_i` with the initial input velocity v, φ_v = Linear →
 *   SiLU → Linear(H → 1), evaluated on h before this layer's node update;
 * - nodes `h_i ← h_i + φ_h([h_i, Σ_j m_ij])` (sum aggregation, residual), φ_h = Linear → SiLU →
 *   Linear.
 *
 * Like the reference, each component of each term `(x_i − x_j) · φ_x(m_ij)` is clamped to ±100.
 * A per-component clamp is not rotation-equivariant, so equivariance is exact only while no term
 * reaches 100 (the reference notes that this never happens in training; tests keep below it).
 *
 * Implementation note: φ_e's first Linear acts on a concatenation, so it is kept as one weight
 * per input block (`[h_i]`, `[h_j]`, distance, attributes) and the node blocks are applied per
 * node before broadcasting over pairs: the same function as the reference with O(N·H²) instead of
 * O(N²·H²) work for that product. Initialisation matches PyTorch's `nn.Linear` over the full fan-in.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../tf.ts";
import { pairAdd } from "../backend/graph_pairs.ts";
import { dense, silu } from "./nn.ts";
import { applyFused, type FusedUnaryOp } from "../backend/fused_op.ts";
import type { ParamFactory } from "./params.ts";
import { aggregateMean, aggregateSum, type DenseGraph, pairDifferences } from "./_graph.ts";

/** A dense layer's variables: weight `[in, out]`, optional bias `[out]`. */
export interface DenseVariables {
  readonly w: Variable;
  readonly b?: Variable;
}

/** Parameters of one E_GCL_vel layer. */
export interface EgclParams {
  /** φ_e's first Linear, split by input block: receiver `[H, H]`, sender `[H, H]`, distance
   * `[1, H]`, edge attributes `[A, H]` (absent when A = 0), bias `[H]`. */
  readonly edgeIn: {
    readonly receiver: Variable;
    readonly sender: Variable;
    readonly distance: Variable;
    readonly attr?: Variable;
    readonly bias: Variable;
  };
  /** φ_e's second Linear `[H, H]`. */
  readonly edgeOut: DenseVariables;
  /** φ_x's first Linear `[H, H]`. */
  readonly coordIn: DenseVariables;
  /** φ_x's output weight `[H, 1]`, no bias. */
  readonly coordOut: Variable;
  /** φ_v, when the model has a velocity: `[H, H]` then `[H, 1]`. */
  readonly vel?: { readonly in: DenseVariables; readonly out: DenseVariables };
  /** φ_h, absent in a final layer whose h is never read: `[2H, H]` then `[H, H]`. */
  readonly node?: { readonly in: DenseVariables; readonly out: DenseVariables };
}

/** Sizes and switches of one layer. */
export interface EgclOptions {
  /** Hidden width H (node features and messages). */
  readonly hidden: number;
  /** Number A of edge attributes a_ij (0 for none). */
  readonly edgeAttrs: number;
  /** Whether the layer has the velocity term φ_v. */
  readonly velocity: boolean;
  /** Whether the layer updates h (false for a last layer whose h is unused). */
  readonly nodeUpdate: boolean;
}

/**
 * Creates one layer's parameters (PyTorch default init, φ_x's output xavier-uniform gain 0.001).
 *
 * @param p the model's parameter factory.
 * @param name prefix of the variable names, e.g. `l0`.
 * @param o sizes and switches.
 * @returns the layer's parameters (also registered in `p.variables`).
 */
export function createEgclParams(p: ParamFactory, name: string, o: EgclOptions): EgclParams {
  const h = o.hidden;
  const bound = 1 / Math.sqrt(2 * h + 1 + o.edgeAttrs);
  const edgeIn = {
    receiver: p.uniform(`${name}.edge1.receiver`, [h, h], bound),
    sender: p.uniform(`${name}.edge1.sender`, [h, h], bound),
    distance: p.uniform(`${name}.edge1.distance`, [1, h], bound),
    attr: o.edgeAttrs > 0 ? p.uniform(`${name}.edge1.attr`, [o.edgeAttrs, h], bound) : undefined,
    bias: p.uniform(`${name}.edge1.b`, [h], bound),
  };
  const edgeOut = p.dense(`${name}.edge2`, h, h);
  const coordIn = p.dense(`${name}.coord1`, h, h);
  const coordOut = p.uniform(`${name}.coord2.w`, [h, 1], 0.001 * Math.sqrt(6 / (h + 1)));
  const vel = o.velocity
    ? { in: p.dense(`${name}.vel1`, h, h), out: p.dense(`${name}.vel2`, h, 1) }
    : undefined;
  const node = o.nodeUpdate
    ? { in: p.dense(`${name}.node1`, 2 * h, h), out: p.dense(`${name}.node2`, h, h) }
    : undefined;
  return { edgeIn, edgeOut, coordIn, coordOut, vel, node };
}

/** Inputs of a layer that stay fixed across layers. */
/** The reference's clamp of each edge's translation `(x_i − x_j)·φ_x(m_ij)` to ±100. */
const CLIP = 100;

/**
 * That clamp as one kernel each way on wasm and cpu (tfjs's gradient of `clipByValue` is five
 * kernels: two comparisons, their conjunction, zeros and a select); gradient 1 inside
 * `[−100, 100]`, bounds included, as tfjs's.
 */
export const CLIP_TRANSLATION: FusedUnaryOp = {
  name: "RemulEgnnClip",
  forward(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.min(Math.max(x[i], -CLIP), CLIP);
  },
  backward(x, dy, dx) {
    for (let i = 0; i < x.length; i++) dx[i] = x[i] >= -CLIP && x[i] <= CLIP ? dy[i] : 0;
  },
  composite(x) {
    return tf.clipByValue(x, -CLIP, CLIP);
  },
};

export interface EgclInputs {
  /** The graph (mask and degrees). */
  readonly graph: DenseGraph;
  /** Initial velocities `[B, N, 3]`, rotate with the input; required iff the layer has φ_v. */
  readonly vel?: Tensor;
  /** Edge attributes `[B, N, N, A]`, invariant; required iff A > 0. */
  readonly edgeAttr?: Tensor;
}

/**
 * One E_GCL_vel layer.
 *
 * @param h node features `[B, N, H]`, invariant.
 * @param x positions `[B, N, 3]`, rotate and translate with the input.
 * @param p the layer's parameters.
 * @param inputs graph, velocities and edge attributes.
 * @returns updated `h` `[B, N, H]` (invariant; the input `h` when the layer has no node update)
 *   and `x` `[B, N, 3]` (E(3)-equivariant).
 * @throws Error if the velocity or edge attributes the parameters need are missing.
 */
export function egcl(
  h: Tensor,
  x: Tensor,
  p: EgclParams,
  inputs: EgclInputs,
): { h: Tensor; x: Tensor } {
  if (p.vel && !inputs.vel) throw new Error("egcl: the layer has φ_v but no velocity was given");
  if (p.edgeIn.attr && !inputs.edgeAttr) {
    throw new Error("egcl: the layer expects edge attributes but none were given");
  }
  return tf.tidy(() => {
    const [b, n, hid] = h.shape;
    const flat = h.reshape([b * n, hid]);
    // φ_e's first layer as h_i·W_r + b + h_j·W_s + ‖x_i − x_j‖²·w_d (+ a_ij·W_a), the bias on
    // the receivers' rows
    const { receiver, sender, bias } = p.edgeIn;
    const recv = dense(flat, { w: receiver, b: bias }).reshape([b, n, hid]); // receivers (i)
    const send = tf.matMul(flat, sender).reshape([b, n, hid]); // senders (j)
    const diff = pairDifferences(x); // [B,N,N,3], x_i − x_j
    const radial = diff.square().sum(-1, true); // [B,N,N,1]
    // the pair terms in one kernel: distance and attributes as K edge features
    const edges = p.edgeIn.attr
      ? {
        features: tf.concat([radial, inputs.edgeAttr!], -1),
        weight: tf.concat([p.edgeIn.distance, p.edgeIn.attr], 0),
      }
      : { features: radial, weight: p.edgeIn.distance };
    const pre = pairAdd(recv, send, edges); // [B,N,N,H]
    const m = silu(dense(silu(pre), p.edgeOut)); // [B,N,N,H] messages m_ij
    const weight = dense(silu(dense(m, p.coordIn)), { w: p.coordOut }); // [B,N,N,1]
    const trans = applyFused(CLIP_TRANSLATION, diff.mul(weight)); // [B,N,N,3]
    let xNew = x.add(aggregateMean(trans, inputs.graph)); // [B,N,3]
    if (p.vel) {
      const scale = dense(silu(dense(h, p.vel.in)), p.vel.out); // [B,N,1], invariant
      xNew = xNew.add(scale.mul(inputs.vel!));
    }
    let hNew = h;
    if (p.node) {
      const agg = aggregateSum(m, inputs.graph); // [B,N,H]
      const upd = dense(silu(dense(tf.concat([h, agg], -1), p.node.in)), p.node.out);
      hNew = h.add(upd);
    }
    return { h: hNew, x: xNew };
  });
}
