/**
 * EGNN with velocities (Satorras et al. 2021, `EGNN_vel`; reference notes §5), the E(3)-equivariant
 * baseline of the N-body and MD17 experiments: a linear embedding of invariant node features,
 * `layers` E_GCL_vel layers (see `egnn_layer.ts`), and the final coordinates as the prediction.
 *
 * How the data set's fields are used (found by kind, not by name):
 * - the one `position` field (`[N, 3]`) is the initial x;
 * - the one `vector` field, if any (`[N, 3]`), is the velocity v of the φ_v(h_i)·v_i term;
 * - node features h⁰ = Linear([all scalar fields (`[N, k]` each, in input order), ‖v_i‖]).
 *   The reference feeds ‖v‖ on N-body and [‖v‖, z/max z] on MD17, so ‖v‖ is included by
 *   default (`velocityNorm`); with `velocityNorm: false` it is used only when there are no
 *   scalar fields. With neither scalars nor a velocity, h⁰ embeds a constant 1 (the reference's
 *   plain EGNN);
 * - edge attributes a_ij = [s_i·s_j, ‖x⁰_i − x⁰_j‖²]: s is the first channel of the first scalar
 *   field (the reference multiplies charges on N-body; here it is the mass on GATr N-body and the
 *   atom type on MD17), the second term is the input distance the reference appends
 *   (`inputDistance`, default on). Each part is absent when it does not apply.
 *
 * The graph is fully connected without self-loops, or `ctx.edges` (directed `[src, dst]`).
 * Coordinates are aggregated with the mean over each node's senders, node messages with the sum.
 *
 * Simplifications: the final layer has no node update φ_h, because its output h is never read
 * (the reference creates those weights but they get no gradient), so the parameter count is
 * lower than the reference's by one φ_h (2H² + H + H² + H = 12 416 at H = 64). Dense `[B, N, N, ·]`
 * pair tensors replace edge lists: exact for the fixed small graphs of N-body and MD17.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import { declineWhenThrows, type Model, type ModelContext, type ModelDefinition } from "./model.ts";
import { ParamFactory } from "./params.ts";
import { dense } from "./nn.ts";
import { createEgclParams, egcl, type EgclParams } from "./egnn_layer.ts";
import { denseGraph, disposeGraph, pairProducts, pairSquaredDistances } from "./_graph.ts";

/** EGNN hyperparameters (paper: 4 layers, hidden 64). */
export type EgnnConfig = {
  /** Number of E_GCL_vel layers. */
  layers: number;
  /** Hidden width H. */
  hidden: number;
  /** Include ‖v_i‖ in the node features even when there are scalar fields. */
  velocityNorm: boolean;
  /** Append the input squared distance ‖x⁰_i − x⁰_j‖² to the edge attributes. */
  inputDistance: boolean;
};

/** What the model reads from a data set, found by field kind. */
export interface GraphFields {
  /** Number of nodes N. */
  readonly nodes: number;
  /** The position field `[N, 3]`. */
  readonly position: FieldSpec;
  /** The velocity (vector) field `[N, 3]`, if any. */
  readonly velocity?: FieldSpec;
  /** Scalar fields `[N, k]`, in input order. */
  readonly scalars: readonly FieldSpec[];
}

/**
 * Finds the position, velocity and scalar fields of a per-node data set.
 *
 * @param ctx the model context.
 * @param model names the model in error messages.
 * @returns the fields by role.
 * @throws Error if there is not exactly one position field, more than one vector field, a field
 *   that is not per-node `[N, k]`, or a target that is not a position `[N, 3]`.
 */
export function graphFields(
  ctx: Pick<ModelContext, "inputs" | "target">,
  model: string,
): GraphFields {
  const positions = ctx.inputs.filter((f) => f.kind === "position");
  const vectors = ctx.inputs.filter((f) => f.kind === "vector");
  if (positions.length !== 1) {
    throw new Error(
      `${model}: needs exactly one position input field, got ${positions.length} (${
        positions.map((f) => f.name).join(", ") || "none"
      })`,
    );
  }
  if (vectors.length > 1) {
    throw new Error(
      `${model}: accepts at most one vector input (the velocity), got ${
        vectors.map((f) => f.name).join(", ")
      }`,
    );
  }
  const position = positions[0];
  const n = position.shape[0];
  for (const f of ctx.inputs) {
    const ok = f.shape.length === 2 && f.shape[0] === n &&
      (f.kind === "scalar" || f.shape[1] === 3);
    if (!ok) {
      throw new Error(
        `${model}: input field "${f.name}" must be per-node [${n}, ${
          f.kind === "scalar" ? "k" : 3
        }], got [${f.shape}]`,
      );
    }
  }
  const t = ctx.target;
  if (t.kind !== "position" || t.shape.length !== 2 || t.shape[0] !== n || t.shape[1] !== 3) {
    throw new Error(
      `${model}: predicts positions [${n}, 3], but the target "${t.name}" is a ${t.kind} [${t.shape}]`,
    );
  }
  return {
    nodes: n,
    position,
    velocity: vectors[0],
    scalars: ctx.inputs.filter((f) => f.kind === "scalar"),
  };
}

function checkSizes(config: { layers: number; hidden: number }, model: string): void {
  for (const key of ["layers", "hidden"] as const) {
    const v = config[key];
    if (!(Number.isInteger(v) && v >= 1)) {
      throw new Error(`${model}: ${key} must be a positive integer, got ${v}`);
    }
  }
}

/**
 * Builds an EGNN for a per-node data set predicting positions.
 *
 * @param config layers, hidden width and feature switches.
 * @param ctx input fields (positions `[N, 3]`; optional velocity `[N, 3]`; scalars `[N, k]`),
 *   target (positions `[N, 3]`), seed, optional edges.
 * @returns the model; `forward` maps fields `[B, ...]` to positions `[B, N, 3]` that rotate,
 *   reflect and translate with the input positions.
 * @throws Error if the fields do not fit (see {@link graphFields}) or the config is invalid.
 *
 * @example
 * ```ts
 * import { createEgnn } from "./egnn.ts";
 * import { tf } from "../tf.ts";
 * const model = createEgnn({ layers: 2, hidden: 8, velocityNorm: true, inputDistance: true }, {
 *   inputs: [
 *     { name: "pos", kind: "position", shape: [4, 3] },
 *     { name: "vel", kind: "vector", shape: [4, 3] },
 *   ],
 *   target: { name: "pos", kind: "position", shape: [4, 3] },
 *   seed: 1,
 * });
 * const y = model.forward({ pos: tf.zeros([2, 4, 3]), vel: tf.ones([2, 4, 3]) }).prediction;
 * if (y.shape.join() !== "2,4,3") throw new Error();
 * model.dispose();
 * ```
 */
export function createEgnn(config: EgnnConfig, ctx: ModelContext): Model {
  checkSizes(config, "egnn");
  const f = graphFields(ctx, "egnn");
  const { hidden, layers } = config;
  const useVelNorm = f.velocity !== undefined && (config.velocityNorm || f.scalars.length === 0);
  const scalarDim = f.scalars.reduce((s, x) => s + x.shape[1], 0);
  const inDim = scalarDim + (useVelNorm ? 1 : 0);
  const productAttr = f.scalars.length > 0;
  const edgeAttrs = (productAttr ? 1 : 0) + (config.inputDistance ? 1 : 0);
  const p = new ParamFactory(ctx.seed);
  const embed = p.dense("embed", Math.max(inDim, 1), hidden);
  const blocks: EgclParams[] = [];
  for (let l = 0; l < layers; l++) {
    blocks.push(createEgclParams(p, `l${l}`, {
      hidden,
      edgeAttrs,
      velocity: f.velocity !== undefined,
      nodeUpdate: l < layers - 1,
    }));
  }
  const last = blocks[layers - 1];
  const graph = denseGraph(f.nodes, ctx.edges, "egnn");
  return {
    params: p.variables,
    lastLayer: last.vel ? [last.coordOut, last.vel.out.w, last.vel.out.b!] : [last.coordOut],
    forward(inputs) {
      const prediction = tf.tidy(() => {
        const x0 = inputs[f.position.name]; // [B,N,3]
        const [b, n] = x0.shape;
        const vel = f.velocity ? inputs[f.velocity.name] : undefined; // [B,N,3]
        const feats = f.scalars.map((s) => inputs[s.name]); // [B,N,k] each
        if (useVelNorm) feats.push(vel!.square().sum(-1, true).sqrt()); // [B,N,1], ‖v_i‖
        const h0 = feats.length ? tf.concat(feats, -1) : tf.ones([b, n, 1]); // [B,N,inDim]
        const attrs = [];
        if (productAttr) attrs.push(pairProducts(feats[0].slice([0, 0, 0], [b, n, 1])));
        if (config.inputDistance) attrs.push(pairSquaredDistances(x0)); // [B,N,N,1]
        const edgeAttr = attrs.length ? tf.concat(attrs, -1) : undefined; // [B,N,N,A]
        let h = dense(h0, embed); // [B,N,H]
        let x = x0;
        for (const blk of blocks) ({ h, x } = egcl(h, x, blk, { graph, vel, edgeAttr }));
        return x; // [B,N,3], E(3)-equivariant
      });
      return { prediction };
    },
    dispose() {
      p.variables.forEach((v) => v.dispose());
      disposeGraph(graph);
    },
  };
}

/** Registry entry for EGNN (velocity variant). */
export const egnn: ModelDefinition<EgnnConfig> = {
  id: "egnn",
  description: "EGNN with velocities (Satorras et al. 2021): E(3)-equivariant message passing",
  equivariance: "exact",
  stepCost: 1.4,
  defaults: { layers: 4, hidden: 64, velocityNorm: true, inputDistance: true },
  smoke: { layers: 2, hidden: 16 },
  ranges: {
    layers: { integer: true, min: 1, what: "EGCL layers" },
    hidden: { integer: true, min: 1, what: "hidden width" },
  },
  decline: declineWhenThrows((ctx) => graphFields(ctx, "egnn")),
  create: createEgnn,
};
