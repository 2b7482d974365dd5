await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { gelu } from "../nn.ts";
import { act, ACTIONS, compareWithGradients, randomTensor, relGap } from "./_test_utils.ts";
import { fromBladeMajor, toBladeMajor } from "./_layout.ts";
import { gatedGelu, geluExact, mlpNonlinearityInternal } from "./nonlinearity.ts";

Deno.test("gatedGelu: scales each multivector by GELU of its scalar, equivariantly", () => {
  tf.tidy(() => {
    const x = randomTensor([4, 3, 16], 1);
    const gate = gelu(x.slice([0, 0, 0], [-1, -1, 1]));
    assert.ok(relGap(gatedGelu(x), x.mul(gate)) < 1e-6);
    for (const { name, m } of ACTIONS) {
      const gap = relGap(gatedGelu(act(x, m)), act(gatedGelu(x), m));
      assert.ok(gap < 1e-5, `${name}: ${gap}`);
    }
  });
});

Deno.test("geluExact: matches known values", () => {
  tf.tidy(() => {
    const y = geluExact(tf.tensor1d([-1, 0, 1, 2])).dataSync();
    const want = [-0.158655, 0, 0.841345, 1.954500];
    want.forEach((w, i) => assert.ok(Math.abs(y[i] - w) < 1e-5, `${i}: ${y[i]}`));
  });
});

Deno.test("MLP nonlinearity: the packed internal form equals the composite, values and gradients", () => {
  const [t, c, sc] = [10, 3, 4];
  const reference = (x: tf.Tensor) => {
    const [mv, s] = tf.split(x, [16 * c, sc], 1);
    const gated = toBladeMajor(gatedGelu(fromBladeMajor(mv.reshape([t, 16, c]))));
    return tf.concat([gated.reshape([t, 16 * c]), geluExact(s)], 1);
  };
  tf.tidy(() => {
    const x = randomTensor([t, 16 * c + sc], 8, 2);
    const [value, [grad]] = compareWithGradients((v) => mlpNonlinearityInternal(v, c), reference, [
      x,
    ]);
    assert.ok(value < 1e-6 && grad < 1e-5, `${value} ${grad}`);
  });
});
