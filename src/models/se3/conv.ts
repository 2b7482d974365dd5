/**
 * The tensor-field-network convolution of the SE(3)-Transformer (reference notes §4.2): for every
 * edge j → i and output degree d_out, `m_ij = Σ_{d_in} W^{d_in→d_out}(x_ij) f_j^{d_in}` with
 * `W(x) = Σ_J R_J(‖x‖, edge features) ⊗ K_J(x̂)`. Two read-outs:
 *
 * - {@link convEdges} (`GConvSE3Partial`): the per-edge messages, used for keys and values.
 *   With `xij: "add"` the relative vector `x_i − x_j` is added to channel 0 of the source's
 *   degree-1 feature when that degree has more than one channel (as in the reference).
 * - {@link convNodes} (`GConvSE3`): the mean over incoming edges, plus optionally the "skip"
 *   self-interaction `W_self f_i` for degrees present in input and output.
 *
 * Computation order per edge (never materialising the full kernel): contract the basis with the
 * source feature first (`[(2d_out+1)·nJ, 2d_in+1] × [2d_in+1, C_in]`), then mix channels and
 * frequencies with the radial weights (`[2d_out+1, Σ nJ·C_in] × [Σ nJ·C_in, C_out]`), one batched
 * matMul per output degree over all input degrees.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import type { EdgeGeometry } from "./edge_geometry.ts";
import { type Features, type Fiber, fiberDegrees } from "./fiber.ts";
import { kernelFrequencies, pairKey } from "./kernel_basis.ts";
import { createRadial, radialApply, type RadialParams } from "./radial.ts";
import { dense } from "../nn.ts";

/** How the relative position enters the source features (reference `x_ij`). */
export type RelativePositionMode = "add" | "none";

/** Parameters of one convolution. */
export interface ConvParams {
  readonly fin: Fiber;
  readonly fout: Fiber;
  /** `[dIn, dOut]` in the order of the radial networks. */
  readonly pairs: readonly (readonly [number, number])[];
  readonly radial: RadialParams;
  readonly xij: RelativePositionMode;
  /** "skip" self-interaction weights `[C_in, C_out]` per degree (only for {@link convNodes}). */
  readonly selfWeights: Readonly<Record<number, Variable>>;
}

/**
 * Creates a convolution from fibre `fin` to fibre `fout`.
 *
 * @param p parameter factory.
 * @param name variable-name prefix.
 * @param options `edgeDim` edge features (besides distance), `xij` relative-position mode,
 *   `radialWidth` hidden width of the radial nets (32), `selfInteraction` adds the "skip"
 *   self-interaction used by {@link convNodes}.
 */
export function createConv(
  p: ParamFactory,
  name: string,
  options: {
    fin: Fiber;
    fout: Fiber;
    edgeDim: number;
    xij?: RelativePositionMode;
    radialWidth?: number;
    selfInteraction?: boolean;
  },
): ConvParams {
  const { fin, fout, edgeDim } = options;
  const pairs: [number, number][] = [];
  const outSizes: number[] = [];
  for (const dIn of fiberDegrees(fin)) {
    for (const dOut of fiberDegrees(fout)) {
      pairs.push([dIn, dOut]);
      outSizes.push(kernelFrequencies(dIn, dOut).length * fin[dIn] * fout[dOut]);
    }
  }
  const radial = createRadial(p, `${name}.radial`, {
    inDim: edgeDim + 1,
    outSizes,
    width: options.radialWidth,
  });
  const selfWeights: Record<number, Variable> = {};
  if (options.selfInteraction) {
    for (const d of fiberDegrees(fout)) {
      if (!fin[d]) continue;
      selfWeights[d] = p.normal(`${name}.self.${d}`, [fin[d], fout[d]], 1 / Math.sqrt(fin[d]));
    }
  }
  return { fin, fout, pairs, radial, xij: options.xij ?? "none", selfWeights };
}

/**
 * Source features broadcast to every edge (j is the source), with the relative position added to
 * degree-1 channel 0 when `xij` is "add" and there is more than one degree-1 channel.
 */
function sourceFeatures(params: ConvParams, features: Features, geo: EdgeGeometry): Features {
  const { batch: b, nodes: n } = geo;
  const e = b * n * n;
  const out: Features = {};
  for (const d of fiberDegrees(params.fin)) {
    const f = features[d];
    const c = params.fin[d];
    if (!f) throw new Error(`conv: input has no degree-${d} feature`);
    if (f.shape[2] !== 2 * d + 1 || f.shape[3] !== c) {
      throw new Error(
        `conv: degree-${d} feature must be [B, N, ${2 * d + 1}, ${c}], got [${f.shape}]`,
      );
    }
    // Rank-3 tile (tfjs has no tile gradient above rank 4): [B, 1, N·(2d+1)·C] → [B, N, …].
    let s = f.reshape([b, 1, -1]).tile([1, n, 1]).reshape([e, 2 * d + 1, c]); // [E, 2d+1, C]
    if (params.xij === "add" && d === 1 && c > 1) {
      s = s.add(geo.rel.reshape([e, 3, 1]).pad([[0, 0], [0, 0], [0, c - 1]]));
    }
    out[d] = s;
  }
  return out;
}

/**
 * Per-edge messages (`GConvSE3Partial`).
 *
 * @param params from {@link createConv}.
 * @param features node features per degree `[B, N, 2d+1, C_d]` of fibre `fin`; rotate by D^d.
 * @param geo edge geometry of the same batch.
 * @returns per output degree `[B·N·N, 2d+1, C_d]` (edges ordered batch, destination, source);
 *   rotate by D^d, invariant to translations.
 */
export function convEdges(params: ConvParams, features: Features, geo: EdgeGeometry): Features {
  return tf.tidy(() => {
    const e = geo.batch * geo.nodes * geo.nodes;
    const src = sourceFeatures(params, features, geo);
    const radial = radialApply(params.radial, geo.edgeScalars);
    const out: Features = {};
    for (const dOut of fiberDegrees(params.fout)) {
      const ts: Tensor[] = [];
      const rs: Tensor[] = [];
      params.pairs.forEach(([dIn, d], index) => {
        if (d !== dOut) return;
        const basis = geo.bases.get(pairKey(dIn, dOut));
        if (!basis) throw new Error(`conv: edge geometry lacks the (${dIn},${dOut}) basis`);
        const nj = kernelFrequencies(dIn, dOut).length;
        const cIn = params.fin[dIn];
        const t = tf.matMul(basis as tf.Tensor3D, src[dIn] as tf.Tensor3D); // [E,(2do+1)nJ,Cin]
        ts.push(t.reshape([e, 2 * dOut + 1, nj * cIn]));
        rs.push(radial[index].reshape([e, nj * cIn, params.fout[dOut]]));
      });
      const t = ts.length === 1 ? ts[0] : tf.concat(ts, 2); // [E, 2do+1, Σ nJ·Cin]
      const r = rs.length === 1 ? rs[0] : tf.concat(rs, 1); // [E, Σ nJ·Cin, Cout]
      out[dOut] = tf.matMul(t as tf.Tensor3D, r as tf.Tensor3D); // [E, 2do+1, Cout]
    }
    return out;
  });
}

/**
 * The graph convolution (`GConvSE3`): mean of the messages over incoming edges, plus the "skip"
 * self-interaction when the layer was created with it.
 *
 * @param params from {@link createConv}.
 * @param features node features `[B, N, 2d+1, C_d]` of fibre `fin`; rotate by D^d.
 * @param geo edge geometry of the same batch.
 * @returns node features `[B, N, 2d+1, C_d]` of fibre `fout`; rotate by D^d.
 */
export function convNodes(params: ConvParams, features: Features, geo: EdgeGeometry): Features {
  return tf.tidy(() => {
    const { batch: b, nodes: n } = geo;
    const edges = convEdges(params, features, geo);
    const mask = geo.mask.reshape([1, n, n, 1, 1]);
    const count = geo.inDegree.reshape([1, n, 1, 1]);
    const out: Features = {};
    for (const d of fiberDegrees(params.fout)) {
      const c = params.fout[d];
      const m = edges[d].reshape([b, n, n, 2 * d + 1, c]).mul(mask).sum(2).div(count);
      const w = params.selfWeights[d];
      out[d] = w
        ? m.add(
          dense(features[d], { w }).reshape([b, n, 2 * d + 1, c]),
        )
        : m;
    }
    return out;
  });
}
