/**
 * GATr primitives: the scalar-gated GELU for multivectors and the plain GELU for auxiliary
 * scalars (reference notes §2.4).
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { gelu, geluVjp } from "../nn.ts";
import { component } from "./embedding.ts";
import { constant } from "./_constants.ts";
import { customOp } from "./_custom_op.ts";
import { gatrGate, gatrGateGrad, gatrRowsAvailable } from "../../backend/gatr_rows.ts";

/**
 * Scalar-gated GELU: `GELU_tanh(x_0) · x` per multivector (its own scalar component is the gate).
 *
 * @param x `[..., 16]` multivectors.
 * @returns `[..., 16]`, equivariant (the gate is invariant).
 */
export function gatedGelu(x: Tensor): Tensor {
  return tf.tidy(() => gelu(component(x, 0)).mul(x));
}

/**
 * Exact GELU `x·Φ(x)` (PyTorch's default, used by GATr on auxiliary scalars).
 *
 * @param x any shape, invariant.
 * @returns same shape.
 */
export function geluExact(x: Tensor): Tensor {
  return tf.tidy(() => x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5));
}

/**
 * The MLP's nonlinearities on packed internal rows (`_layout.ts`): {@link geluExact} on the
 * scalars and {@link gatedGelu} on the multivectors (gate: their component 1, the first C columns
 * of the multivectors), as one op with a hand-written gradient (`_custom_op.ts`). Where the
 * backend has them (`gatrRowsAvailable`: wasm, webgpu) the op is one kernel each way
 * (`RemulGatrGate`, `RemulGatrGateGrad`, `src/backend/gatr_rows.ts`); the tfjs composite below is
 * the reference and runs elsewhere.
 *
 * @param x `[T, S + 16·C]`: scalars, then multivectors in the internal layout.
 * @param sChannels S.
 * @returns `[T, S + 16·C]`, invariant scalars and equivariant multivectors.
 */
export function mlpNonlinearityInternal(x: Tensor, sChannels: number): Tensor {
  const c = (x.shape[1]! - sChannels) / 16;
  if (gatrRowsAvailable()) {
    const attrs = { sChannels };
    return customOp("GatrMlpNonlinearity", [x], ([x], save) => {
      save([x]);
      return {
        value: gatrGate(x, attrs),
        gradient: (dy, [x]) => [gatrGateGrad(x, dy, attrs)],
      };
    });
  }
  return customOp("GatrMlpNonlinearity", [x], ([x], save) => {
    // tiles a gate [T, C] over the 16 components: [C, 16·C] of identity blocks
    const tile = constant(`gateTile:${c}`, [c, 16 * c], () => {
      const m = new Float32Array(16 * c * c);
      for (let p = 0; p < 16; p++) for (let k = 0; k < c; k++) m[k * 16 * c + p * c + k] = 1;
      return m;
    });
    const [s, mv] = tf.split(x, [sChannels, 16 * c], 1);
    const x0 = mv.slice([0, 0], [-1, c]); // component 1 of each channel
    const gates = tf.matMul(gelu(x0) as tf.Tensor2D, tile as tf.Tensor2D); // [T, 16·C]
    const e = tf.erf(s.mul(Math.SQRT1_2));
    save([mv, s, x0, gates, e]);
    return {
      value: tf.concat([s.mul(e.add(1)).mul(0.5), mv.mul(gates)], 1),
      gradient(dy, [mv, s, x0, gates, e]) {
        const [dS, dMv] = tf.split(dy, [sChannels, 16 * c], 1);
        const dGate = tf.matMul(dMv.mul(mv) as tf.Tensor2D, tile as tf.Tensor2D, false, true);
        const dx0 = geluVjp(x0, dGate).pad([[0, 0], [0, 15 * c]]);
        // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
        const phi = s.square().mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI));
        const dGelu = e.add(1).mul(0.5).add(s.mul(phi));
        return [tf.concat([dS.mul(dGelu), dMv.mul(gates).add(dx0)], 1)];
      },
    };
  });
}
