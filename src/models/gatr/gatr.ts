/**
 * GATr, the Geometric Algebra Transformer (Brehmer et al. 2023), with the N-body wrapper of the
 * reference code (reference notes §2.1–2.8). E(3)-equivariant by construction.
 *
 * Embedding (generalising `NBodyGATrWrapper` to the fields a data set declares, found by kind):
 * multivector channel k of a node is `embed_point(k-th position field) + embed_translation(k-th
 * vector field)`, plus, in channel 0, `embed_scalar(first column of the first scalar field)`; on
 * N-body (`mass`, `pos`, `vel`) that is the reference's single channel `m + p + (1 − ½e0 v)`.
 * All other scalar columns become auxiliary scalar channels; without any, one channel of zeros
 * (as in the reference). Output: multivector channel 0 → `extract_point` = the predicted absolute
 * positions `[B, N, 3]` (no residual), plus one scalar channel used only by the regulariser
 * `auxLoss = 0.01 · mean_batch Σ_nodes[(|mv_e123| − 1)² + s²]`.
 *
 * Two embedding options beyond the reference wrapper, both off by default and both on in the MoCap
 * suite (`bench/mocap.ts`), neither touching the network:
 * - `nodeIdentity`: a one-hot of the node index appended to the auxiliary scalars. Scalars are
 *   E(3)-invariant, so the model stays exactly E(3)-equivariant; what it gives up is permutation
 *   equivariance over nodes, which a skeleton's distinct joints do not have. Without it GATr's
 *   attention cannot tell a knee from an elbow except through the pose, where EMLP and the MLPs
 *   see every joint in its own slot.
 * - `velocityPoint`: per (position, vector) field pair, an extra channel holding the point
 *   `x/L + v/V` (a point: it rotates and translates as `x` does). Predicted points are then affine
 *   combinations of input points away, where `x + c·v` otherwise has to be built from bilinear
 *   products of a point and a translation.
 * On CMU running at 60 epochs (`small`) they took the test MSE from 85.2 to 47.6 (identities) and
 * 46.0 (both) ×10⁻²; the extrapolated point alone made it worse (150.7).
 *
 * Units (`lengthScale`, `vectorScale`; default 1 = the data's own units, the function used
 * before they existed): positions are divided by `lengthScale` and vector fields by `vectorScale`
 * before they are embedded, and the extracted points are multiplied by `lengthScale`, so that the
 * network sees the geometry at order one, as in the reference's N-body data. Fixed positive scales
 * commute with every E(3) element, so the model stays exactly equivariant; the loss stays in the
 * data's units. Why it matters: PGA carries point coordinates and translations in the e0 blades,
 * which the equivariant layer norm does not normalise, and the attention's distance term adds
 * `−‖x_i − x_j‖²` (weight 1 at initialisation) to the logits, so GATr is not scale-invariant. On
 * CMU running data in raw ASF units (joint distances up to ~30; per coordinate RMS of centred
 * positions 5.2, of the 30-frame displacement 9.6, of the velocity 0.34 per frame) it stayed at the
 * identity predictor with erratic gradient norms; positions in units of 10 let it learn, and
 * velocities in units of 10 per ΔT = 30 frames (so that `ΔT·v` is of the same order as the
 * positions) shortened its plateau from ~100 steps to ~20. The MoCap suite sets both (`bench/mocap.ts`); the README gives the measurements.
 *
 * Simplifications relative to the reference: no dropout, no gradient checkpointing, no rotary
 * encoding (all off for N-body); Q/K/V and the four bilinear projections run as fused matMuls
 * (same parameters and initialisation); heads are contiguous channel blocks (see
 * `attention_layer.ts`). Fixed edges of a data set are ignored (attention is over all nodes).
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import type { FieldSpec } from "../../symmetry/field.ts";
import type { Model, ModelContext, ModelDefinition } from "../model.ts";
import { ParamFactory } from "../params.ts";
import { equiLinearVariables } from "./equi_linear_layer.ts";
import {
  embedPoint,
  embedScalar,
  embedTranslation,
  extractPoint,
  pointEmbeddingReg,
} from "./embedding.ts";
import { createGatrNet, gatrNet, gatrNetParamCount } from "./net.ts";
import { constant } from "./_constants.ts";

/** GATr hyperparameters. */
export type GatrConfig = {
  /** Number of GATr blocks. */
  blocks: number;
  /** Hidden multivector channels. */
  mvChannels: number;
  /** Hidden auxiliary scalar channels. */
  sChannels: number;
  /** Attention heads. */
  heads: number;
  /** Unit of positions: input positions are divided by it, predicted positions multiplied. */
  lengthScale: number;
  /** Unit of vector inputs (e.g. velocities): they are divided by it before the embedding. */
  vectorScale: number;
  /**
   * Also embed, per position field k with a vector field k, the point that the (scaled) vector
   * reaches from the (scaled) position, `x/lengthScale + v/vectorScale`, as an extra multivector
   * channel. `false` is the reference N-body wrapper.
   */
  velocityPoint: boolean;
  /**
   * Give each node its index as a one-hot block of auxiliary scalar channels (invariant under
   * E(3), so equivariance is unchanged; only the permutation symmetry over nodes goes). For data
   * whose nodes are distinct parts, such as a skeleton's joints. `false` is the reference.
   */
  nodeIdentity: boolean;
};

/** Weight of the output regulariser in the training loss (reference N-body experiment). */
export const GATR_REG_WEIGHT = 0.01;

/** Input/output channel numbers of the network, derived from a data set's fields. */
export interface GatrIo {
  readonly inMv: number;
  readonly inS: number;
  readonly outMv: number;
  readonly outS: number;
}

/** How the data set's fields map to multivector and scalar channels. */
export interface GatrEmbeddingPlan {
  readonly nodes: number;
  readonly positions: readonly string[];
  readonly vectors: readonly string[];
  /** Field embedded as the scalar of channel 0, if any. */
  readonly scalar?: string;
  /** Scalar fields (name, first column used) feeding the auxiliary channels. */
  readonly aux: readonly { name: string; from: number; width: number }[];
  /**
   * Channels after the field channels that hold `point(x_k/L + v_k/V)`, k = 0 … this − 1
   * (`velocityPoint`; 0 without it).
   */
  readonly velocityPoints: number;
  /** Whether the auxiliary scalars end with a one-hot of the node index (`nodeIdentity`). */
  readonly nodeIdentity: boolean;
  readonly io: GatrIo;
}

/**
 * Works out the embedding of a data set's fields.
 *
 * @param ctx the data set's input and target fields.
 * @returns channel numbers `{ inMv, inS, outMv: 1, outS: 1 }` and the field plan.
 * @throws Error (a stated reason to skip the pairing) when fields are not per-node `[N, k]`, the
 *   node counts differ, there is no position input, or the target is not a position `[N, 3]`.
 */
export function planGatrEmbedding(
  ctx: Pick<ModelContext, "inputs" | "target">,
  options: { velocityPoint?: boolean; nodeIdentity?: boolean } = {},
): GatrEmbeddingPlan {
  const all: FieldSpec[] = [...ctx.inputs, ctx.target];
  const nodes = ctx.target.shape[0];
  for (const f of all) {
    if (f.shape.length !== 2 || f.shape[0] !== nodes) {
      throw new Error(
        `gatr: field "${f.name}" must be per-node [${nodes}, k] like the target, got [${f.shape}]`,
      );
    }
    if (f.kind !== "scalar" && f.shape[1] !== 3) {
      throw new Error(`gatr: ${f.kind} field "${f.name}" must be [N, 3], got [${f.shape}]`);
    }
  }
  if (ctx.target.kind !== "position") {
    throw new Error(
      `gatr: the target must be a position field, "${ctx.target.name}" is a ${ctx.target.kind}`,
    );
  }
  const positions = ctx.inputs.filter((f) => f.kind === "position").map((f) => f.name);
  const vectors = ctx.inputs.filter((f) => f.kind === "vector").map((f) => f.name);
  if (positions.length === 0) {
    throw new Error("gatr: needs at least one position input field (points carry e123)");
  }
  const scalars = ctx.inputs.filter((f) => f.kind === "scalar");
  const aux: { name: string; from: number; width: number }[] = [];
  scalars.forEach((f, i) => {
    const from = i === 0 ? 1 : 0;
    if (f.shape[1] > from) aux.push({ name: f.name, from, width: f.shape[1] - from });
  });
  const auxWidth = aux.reduce((s, a) => s + a.width, 0);
  const identity = options.nodeIdentity ? nodes : 0;
  const inS = Math.max(auxWidth + identity, 1);
  const velocityPoints = options.velocityPoint ? Math.min(positions.length, vectors.length) : 0;
  if (options.velocityPoint && velocityPoints === 0) {
    throw new Error("gatr: velocityPoint needs a vector input field beside the position field");
  }
  return {
    nodes,
    positions,
    vectors,
    scalar: scalars[0]?.name,
    aux,
    velocityPoints,
    nodeIdentity: identity > 0,
    io: {
      inMv: Math.max(positions.length, vectors.length) + velocityPoints,
      inS,
      outMv: 1,
      outS: 1,
    },
  };
}

/**
 * Number of trainable parameters of GATr (closed form).
 *
 * @param config hyperparameters.
 * @param io network input/output channels; N-body: `{ inMv: 1, inS: 1, outMv: 1, outS: 1 }`.
 * @returns the parameter count.
 *
 * @example
 * ```ts
 * import { gatrParamCount } from "./gatr.ts";
 * const n = gatrParamCount({ blocks: 1, mvChannels: 2, sChannels: 4, heads: 1 });
 * if (!(n > 0)) throw new Error();
 * ```
 */
export function gatrParamCount(
  config: Omit<GatrConfig, "lengthScale" | "vectorScale" | "velocityPoint" | "nodeIdentity">,
  io: GatrIo = { inMv: 1, inS: 1, outMv: 1, outS: 1 },
): number {
  const { blocks, mvChannels, sChannels, heads } = config;
  return gatrNetParamCount({ ...io, blocks, mvChannels, sChannels, heads });
}

/**
 * Builds GATr for a data set's fields.
 *
 * @param config hyperparameters.
 * @param ctx fields, seed.
 * @returns a model whose `forward` maps the fields to positions `[B, N, 3]` (rotate and translate
 *   with the input, reflections included) and the regulariser `auxLoss` (scalar).
 * @throws Error when the fields cannot be served (see {@link planGatrEmbedding}).
 */
export function createGatr(config: GatrConfig, ctx: ModelContext): Model {
  const plan = planGatrEmbedding(ctx, {
    velocityPoint: config.velocityPoint,
    nodeIdentity: config.nodeIdentity,
  });
  const { blocks, mvChannels, sChannels, heads, lengthScale, vectorScale } = config;
  for (const [k, v] of Object.entries({ lengthScale, vectorScale })) {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new Error(`gatr: ${k} must be a finite number > 0, got ${v}`);
    }
  }
  const p = new ParamFactory(ctx.seed);
  const net = createGatrNet(p, { ...plan.io, blocks, mvChannels, sChannels, heads });
  const model: Model = {
    params: p.variables,
    lastLayer: equiLinearVariables(net.linearOut),
    forward(inputs) {
      const [prediction, auxLoss] = tf.tidy(() => {
        const [mv, s] = embedGatrInputs(plan, config, inputs);
        const out = gatrNet(net, mv, s);
        const o = out.mv.slice([0, 0, 0, 0], [-1, -1, 1, -1]).squeeze([2]); // [B, N, 16]
        // [B]: Σ_nodes (|e123| − 1)² + s²
        const reg = pointEmbeddingReg(o).square().sum([1, 2]).add(out.s!.square().sum([1, 2]));
        const points = extractPoint(o);
        return [
          lengthScale === 1 ? points : points.mul(lengthScale),
          reg.mean().mul(GATR_REG_WEIGHT),
        ];
      });
      return { prediction, auxLoss };
    },
    dispose() {
      p.variables.forEach((v) => v.dispose());
    },
  };
  // Upload the constant tables now, so that no forward pass ever adds long-lived tensors.
  tf.tidy(() => {
    const fake: Record<string, Tensor> = {};
    for (const f of ctx.inputs) fake[f.name] = tf.zeros([1, ...f.shape]);
    const out = model.forward(fake);
    out.prediction.dispose();
    out.auxLoss?.dispose();
  });
  return model;
}

/**
 * The network's input channels for a batch of fields (module doc): multivector channel k is
 * `point(x_k/L) + translation(v_k/V)` (plus the scalar in channel 0), then, with `velocityPoint`,
 * one channel `point(x_k/L + v_k/V)` per (position, vector) pair.
 *
 * @param plan the embedding plan ({@linkcode planGatrEmbedding}).
 * @param units `lengthScale` L and `vectorScale` V.
 * @param inputs the batch's fields, `[B, N, k]` each.
 * @returns multivectors `[B, N, inMv, 16]` and auxiliary scalars `[B, N, inS]`.
 */
export function embedGatrInputs(
  plan: GatrEmbeddingPlan,
  units: Pick<GatrConfig, "lengthScale" | "vectorScale">,
  inputs: Record<string, Tensor>,
): [Tensor, Tensor] {
  // lengths in units of `lengthScale` (module doc); 1 leaves the graph as it was
  const inUnit = (x: Tensor, unit: number) => unit === 1 ? x : x.div(unit);
  return tf.tidy(() => {
    const positions = plan.positions.map((f) => inUnit(field(inputs, f), units.lengthScale));
    const vectors = plan.vectors.map((f) => inUnit(field(inputs, f), units.vectorScale));
    const channels: Tensor[] = [];
    for (let k = 0; k < plan.io.inMv - plan.velocityPoints; k++) {
      const parts: Tensor[] = [];
      if (k < positions.length) parts.push(embedPoint(positions[k]));
      if (k < vectors.length) parts.push(embedTranslation(vectors[k]));
      if (k === 0 && plan.scalar) {
        const s = field(inputs, plan.scalar);
        parts.push(embedScalar(s.slice([0, 0, 0], [-1, -1, 1])));
      }
      channels.push(parts.length === 1 ? parts[0] : tf.addN(parts)); // [B, N, 16]
    }
    for (let k = 0; k < plan.velocityPoints; k++) {
      channels.push(embedPoint(positions[k].add(vectors[k])));
    }
    const mv = tf.stack(channels, 2); // [B, N, C_in, 16]
    const [b, n] = mv.shape;
    const scalars = plan.aux.map((a) =>
      field(inputs, a.name).slice([0, 0, a.from], [-1, -1, a.width])
    );
    if (plan.nodeIdentity) {
      // uploaded once per backend and node count, not per step
      const eye = constant(`nodeIdentity${n}`, [1, n, n], () => {
        const a = new Float32Array(n * n);
        for (let i = 0; i < n; i++) a[i * n + i] = 1;
        return a;
      });
      scalars.push(eye.broadcastTo([b, n, n]));
    }
    const s = scalars.length === 0
      ? tf.zeros([b, n, 1])
      : scalars.length === 1
      ? scalars[0]
      : tf.concat(scalars, 2);
    return [mv, s];
  });
}

function field(inputs: Record<string, Tensor>, name: string): Tensor {
  const x = inputs[name];
  if (!x) throw new Error(`gatr: batch has no field "${name}"`);
  return x;
}

/** Registry entry for GATr. */
export const gatr: ModelDefinition<GatrConfig> = {
  id: "gatr",
  description: "GATr (Geometric Algebra Transformer), E(3)-equivariant, N-body wrapper",
  equivariance: "exact",
  stepCost: 6,
  defaults: {
    blocks: 10,
    mvChannels: 16,
    sChannels: 128,
    heads: 8,
    lengthScale: 1,
    vectorScale: 1,
    velocityPoint: false,
    nodeIdentity: false,
  },
  smoke: {
    blocks: 1,
    mvChannels: 4,
    sChannels: 8,
    heads: 2,
    lengthScale: 1,
    vectorScale: 1,
    velocityPoint: false,
    nodeIdentity: false,
  },
  ranges: {
    blocks: { integer: true, min: 1, what: "GATr blocks" },
    mvChannels: { integer: true, min: 1, what: "multivector channels" },
    sChannels: { integer: true, min: 1, what: "scalar channels" },
    heads: { integer: true, min: 1, what: "attention heads" },
    lengthScale: { above: 0, what: "unit of positions (inputs ÷, predictions ×)" },
    vectorScale: { above: 0, what: "unit of vector inputs (÷ before embedding)" },
  },
  create: createGatr,
};
