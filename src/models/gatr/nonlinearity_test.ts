await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { gelu } from "../nn.ts";
import { act, ACTIONS, compareWithGradients, randomTensor, relGap } from "./_test_utils.ts";
import { packRows } from "./_layout.ts";
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
  tf.tidy(() => {
    const mv = randomTensor([10, 3, 16], 8, 2);
    const s = randomTensor([10, 4], 9, 2);
    const internal = (v: tf.Tensor, sc: tf.Tensor) => mlpNonlinearityInternal(packRows(v, sc), 4);
    const reference = (v: tf.Tensor, sc: tf.Tensor) => packRows(gatedGelu(v), geluExact(sc));
    const [value, grads] = compareWithGradients(internal, reference, [mv, s]);
    assert.ok(value < 1e-6, `value ${value}`);
    grads.forEach((g, i) => assert.ok(g < 1e-5, `gradient ${i}: ${g}`));
  });
});
