/**
 * The non-equivariant GNN baseline of the EGNN and GMN papers (reference notes §5.2, GMN's
 * `main_md17.py`): raw per-node inputs, including absolute positions and velocities, are node
 * features, so the model is permutation-equivariant over nodes but not rotation- or
 * translation-equivariant.
 *
 * - h⁰ = Linear(concat of all input fields per node, in input order): `[x, v]` as in the
 *   reference, plus any scalar fields (mass on GATr N-body, atom type on MD17; the reference's
 *   N-body data has charges only on the edges, GATr's N-body has a per-body mass, so scalars are
 *   node features here);
 * - `layers` GCL layers: `m_ij = φ_e([h_i, h_j, a_ij])` (Linear → SiLU → Linear → SiLU),
 *   `h_i ← h_i + φ_h([h_i, Σ_j m_ij])` (Linear → SiLU → Linear; sum aggregation, residual as
 *   the reference runs it with `recurrent=True`); a_ij = s_i·s_j for the first channel of the
 *   first scalar field (the reference's product of charges), absent without scalar fields;
 * - decoder Linear(H → H) → SiLU → Linear(H → k): the target (positions) **directly**, as the
 *   reference does (not x + Δ).
 *
 * The graph is fully connected without self-loops, or `ctx.edges` (directed `[src, dst]`), on
 * dense `[B, N, N, ·]` tensors like the EGNN. φ_e's first Linear is applied per node before
 * broadcasting over pairs (same function, less work), initialised over the full fan-in.
 *
 * @module
 */
import { tf, type Variable } from "../tf.ts";
import { declineWhenThrows, type Model, type ModelContext, type ModelDefinition } from "./model.ts";
import { ParamFactory } from "./params.ts";
import { pairAdd } from "../backend/graph_pairs.ts";
import { dense, type DenseParams, silu } from "./nn.ts";
import { aggregateSum, denseGraph, disposeGraph, pairProducts } from "./_graph.ts";

/** GNN hyperparameters (paper: 4 layers, hidden 64). */
export type GnnConfig = {
  /** Number of GCL layers. */
  layers: number;
  /** Hidden width H. */
  hidden: number;
};

interface GclParams {
  edgeIn: { receiver: Variable; sender: Variable; attr?: Variable; bias: Variable };
  edgeOut: DenseParams;
  nodeIn: DenseParams;
  nodeOut: DenseParams;
}

/**
 * Checks that the model can serve these fields: at least one input, every field per-node `[N, k]`.
 *
 * @throws Error naming the first field that is not.
 */
function checkGnnFields(ctx: Pick<ModelContext, "inputs" | "target">): void {
  if (ctx.inputs.length === 0) throw new Error("gnn: needs at least one input field");
  const n = ctx.inputs[0].shape[0];
  for (const f of [...ctx.inputs, ctx.target]) {
    if (f.shape.length !== 2 || f.shape[0] !== n) {
      throw new Error(`gnn: field "${f.name}" must be per-node [${n}, k], got [${f.shape}]`);
    }
  }
}

/**
 * Builds the GNN baseline for per-node fields predicting a per-node target.
 *
 * @param config layers and hidden width.
 * @param ctx input fields (each per-node `[N, k]`), target `[N, k]`, seed, optional edges.
 * @returns the model; `forward` maps fields `[B, N, ·]` to the target `[B, N, k]`.
 * @throws Error if a field is not per-node, node counts differ, or the config is invalid.
 *
 * @example
 * ```ts
 * import { createGnn } from "./gnn.ts";
 * import { tf } from "../tf.ts";
 * const model = createGnn({ layers: 1, hidden: 8 }, {
 *   inputs: [{ name: "pos", kind: "position", shape: [3, 3] }],
 *   target: { name: "pos", kind: "position", shape: [3, 3] },
 *   seed: 1,
 * });
 * const y = model.forward({ pos: tf.zeros([2, 3, 3]) }).prediction;
 * if (y.shape.join() !== "2,3,3") throw new Error();
 * model.dispose();
 * ```
 */
export function createGnn(config: GnnConfig, ctx: ModelContext): Model {
  const { layers, hidden: h } = config;
  for (const key of ["layers", "hidden"] as const) {
    if (!(Number.isInteger(config[key]) && config[key] >= 1)) {
      throw new Error(`gnn: ${key} must be a positive integer, got ${config[key]}`);
    }
  }
  checkGnnFields(ctx);
  const n = ctx.inputs[0].shape[0];
  const inDim = ctx.inputs.reduce((s, f) => s + f.shape[1], 0);
  const outDim = ctx.target.shape[1];
  const scalar = ctx.inputs.find((f) => f.kind === "scalar");
  const edgeAttrs = scalar ? 1 : 0;
  const p = new ParamFactory(ctx.seed);
  const embed = p.dense("embed", inDim, h);
  const blocks: GclParams[] = [];
  for (let l = 0; l < layers; l++) {
    const bound = 1 / Math.sqrt(2 * h + edgeAttrs);
    blocks.push({
      edgeIn: {
        receiver: p.uniform(`l${l}.edge1.receiver`, [h, h], bound),
        sender: p.uniform(`l${l}.edge1.sender`, [h, h], bound),
        attr: edgeAttrs ? p.uniform(`l${l}.edge1.attr`, [edgeAttrs, h], bound) : undefined,
        bias: p.uniform(`l${l}.edge1.b`, [h], bound),
      },
      edgeOut: p.dense(`l${l}.edge2`, h, h),
      nodeIn: p.dense(`l${l}.node1`, 2 * h, h),
      nodeOut: p.dense(`l${l}.node2`, h, h),
    });
  }
  const dec1 = p.dense("dec1", h, h);
  const dec2 = p.dense("dec2", h, outDim);
  const graph = denseGraph(n, ctx.edges, "gnn");
  const names = ctx.inputs.map((f) => f.name);
  return {
    params: p.variables,
    lastLayer: [dec2.w, dec2.b!],
    forward(inputs) {
      const prediction = tf.tidy(() => {
        const raw = names.map((k) => inputs[k]); // [B,N,k_i] each
        const b = raw[0].shape[0];
        const x = raw.length === 1 ? raw[0] : tf.concat(raw, -1); // [B,N,inDim]
        const attr = scalar
          ? pairProducts(inputs[scalar.name].slice([0, 0, 0], [b, n, 1])) // [B,N,N,1]
          : undefined;
        let hid = dense(x, embed); // [B,N,H]
        for (const blk of blocks) {
          const flat = hid.reshape([b * n, h]);
          // the edge MLP's first layer on [h_i, h_j] as h_i·W_r + b + h_j·W_s: two node-level
          // products (the bias added to the receivers' rows) broadcast over the pairs
          const { receiver, sender, bias } = blk.edgeIn;
          const recv = dense(flat, { w: receiver, b: bias }).reshape([b, n, h]);
          const send = tf.matMul(flat, sender).reshape([b, n, h]);
          const edges = attr ? { features: attr, weight: blk.edgeIn.attr! } : undefined;
          const pre = pairAdd(recv, send, edges); // [B,N,N,H]
          const m = silu(dense(silu(pre), blk.edgeOut)); // [B,N,N,H]
          const agg = aggregateSum(m, graph); // [B,N,H]
          hid = hid.add(dense(silu(dense(tf.concat([hid, agg], -1), blk.nodeIn)), blk.nodeOut));
        }
        return dense(silu(dense(hid, dec1)), dec2); // [B,N,k], the target directly
      });
      return { prediction };
    },
    dispose() {
      p.variables.forEach((v) => v.dispose());
      disposeGraph(graph);
    },
  };
}

/** Registry entry for the GNN baseline. */
export const gnn: ModelDefinition<GnnConfig> = {
  id: "gnn",
  description: "GNN baseline (EGNN/GMN papers): message passing on raw positions and velocities",
  equivariance: "none",
  stepCost: 0.8,
  defaults: { layers: 4, hidden: 64 },
  smoke: { layers: 2, hidden: 16 },
  ranges: {
    layers: { integer: true, min: 1, what: "message-passing layers" },
    hidden: { integer: true, min: 1, what: "hidden width" },
  },
  decline: declineWhenThrows(checkGnnFields),
  create: createGnn,
};
