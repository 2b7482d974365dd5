/**
 * Self-interaction: per-node, per-degree channel mixing with no spatial part (reference notes
 * §4.2).
 *
 * - {@link linear1x1} (`G1x1SE3`): `out_d = f_d W_d`, no bias (a bias would break equivariance
 *   for d > 0). Init `N(0, 1/C_in)`. Used for queries and for the "1x1" projection after the
 *   attention skip connection.
 * - {@link attentiveSelfInteraction} (`GAttentiveSelfInt`, the "att" projection of the last
 *   block): channel-mixing weights are predicted per node from the invariant channel Gram matrix
 *   `G = f_dᵀ f_d` (sign-preserving clamp |G| ≥ 1e-12) through LayerNorm → LeakyReLU(0.01) →
 *   Linear(C_in² → C_out·C_in), then softmax over input channels: `out_d = f_d softmax(A)ᵀ`.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { ParamFactory } from "../params.ts";
import { describeFiber, type Features, type Fiber, fiberDegrees } from "./fiber.ts";
import { dense, layerNorm } from "../nn.ts";

/** Weights of a 1×1 self-interaction: `[C_in, C_out]` per output degree. */
export interface Linear1x1Params {
  readonly fin: Fiber;
  readonly fout: Fiber;
  readonly weights: Readonly<Record<number, Variable>>;
}

function featureOf(features: Features, d: number, what: string): Tensor {
  const f = features[d];
  if (!f) throw new Error(`${what}: input has no degree-${d} feature`);
  return f;
}

function checkDegrees(fin: Fiber, fout: Fiber, what: string): void {
  for (const d of fiberDegrees(fout)) {
    if (!fin[d]) {
      throw new Error(
        `${what}: output degree ${d} is not in the input fibre ${describeFiber(fin)}`,
      );
    }
  }
}

/**
 * Creates a 1×1 self-interaction from `fin` to `fout`.
 *
 * @throws Error when an output degree is missing from the input fibre.
 */
export function createLinear1x1(
  p: ParamFactory,
  name: string,
  options: { fin: Fiber; fout: Fiber },
): Linear1x1Params {
  const { fin, fout } = options;
  checkDegrees(fin, fout, "linear1x1");
  const weights: Record<number, Variable> = {};
  for (const d of fiberDegrees(fout)) {
    weights[d] = p.normal(`${name}.${d}`, [fin[d], fout[d]], 1 / Math.sqrt(fin[d]));
  }
  return { fin, fout, weights };
}

/**
 * Applies a 1×1 self-interaction.
 *
 * @param features `[..., 2d+1, C_in]` per degree (nodes or edges); rotate by D^d.
 * @returns `[..., 2d+1, C_out]` per output degree; rotate by D^d.
 */
export function linear1x1(params: Linear1x1Params, features: Features): Features {
  return tf.tidy(() => {
    const out: Features = {};
    for (const d of fiberDegrees(params.fout)) {
      const f = featureOf(features, d, "linear1x1");
      out[d] = dense(f, { w: params.weights[d] }); // [..., fout]
    }
    return out;
  });
}

/** Parameters of the attentive self-interaction, per output degree. */
export interface AttentiveSelfInteractionParams {
  readonly fin: Fiber;
  readonly fout: Fiber;
  readonly nets: Readonly<
    Record<number, { gamma: Variable; beta: Variable; w: Variable; b: Variable }>
  >;
}

/**
 * Creates an attentive self-interaction from `fin` to `fout` (reference init: LayerNorm γ = 1,
 * β = 0; Kaiming-uniform weight, PyTorch-default bias).
 *
 * @throws Error when an output degree is missing from the input fibre.
 */
export function createAttentiveSelfInteraction(
  p: ParamFactory,
  name: string,
  options: { fin: Fiber; fout: Fiber },
): AttentiveSelfInteractionParams {
  const { fin, fout } = options;
  checkDegrees(fin, fout, "attentiveSelfInteraction");
  const nets: Record<number, { gamma: Variable; beta: Variable; w: Variable; b: Variable }> = {};
  for (const d of fiberDegrees(fout)) {
    const cin = fin[d];
    const g = cin * cin;
    nets[d] = {
      gamma: p.constant(`${name}.${d}.ln.g`, [g], 1),
      beta: p.constant(`${name}.${d}.ln.b`, [g], 0),
      w: p.uniform(`${name}.${d}.w`, [g, fout[d] * cin], Math.sqrt(6 / g)),
      b: p.uniform(`${name}.${d}.b`, [fout[d] * cin], 1 / Math.sqrt(g)),
    };
  }
  return { fin, fout, nets };
}

/**
 * Applies the attentive self-interaction.
 *
 * @param features `[..., 2d+1, C_in]` per degree; rotate by D^d.
 * @returns `[..., 2d+1, C_out]` per output degree, each a convex combination of input channels;
 *   rotate by D^d.
 */
export function attentiveSelfInteraction(
  params: AttentiveSelfInteractionParams,
  features: Features,
): Features {
  return tf.tidy(() => {
    const out: Features = {};
    for (const d of fiberDegrees(params.fout)) {
      const f = featureOf(features, d, "attentiveSelfInteraction");
      const lead = f.shape.slice(0, -2);
      const [cin, cout, m] = [params.fin[d], params.fout[d], 2 * d + 1];
      const net = params.nets[d];
      const v = f.reshape([-1, m, cin]); // [K, 2d+1, Cin]
      const k = v.shape[0];
      let g: Tensor = tf.matMul(v, v, true, false).reshape([k, cin * cin]); // invariant Gram
      g = g.sign().mul(g.abs().maximum(1e-12));
      g = layerNorm(g).mul(net.gamma).add(net.beta); // ε 1e-5, biased variance, affine
      g = tf.leakyRelu(g, 0.01);
      const logits = dense(g, { w: net.w, b: net.b }).reshape([k, cout, cin]);
      const att = tf.softmax(logits, -1); // [K, Cout, Cin]
      const y = tf.matMul(v, att, false, true); // [K, 2d+1, Cout]
      out[d] = y.reshape([...lead, m, cout]);
    }
    return out;
  });
}
