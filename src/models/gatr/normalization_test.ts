await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { act, ACTIONS, compareWithGradients, randomTensor, relGap } from "./_test_utils.ts";
import { packRows } from "./_layout.ts";
import { layerNorm } from "../nn.ts";
import { equiLayerNorm, innerProduct, normalizeInternal } from "./normalization.ts";

Deno.test("innerProduct: sums the 8 components without e0 and is invariant", () => {
  tf.tidy(() => {
    const e0 = tf.oneHot([1], 16).toFloat();
    assert.equal(innerProduct(e0, e0).dataSync()[0], 0);
    const e123 = tf.oneHot([14], 16).toFloat();
    assert.equal(innerProduct(e123, e123).dataSync()[0], 1);
    const x = randomTensor([5, 16], 1);
    const y = randomTensor([5, 16], 2);
    for (const { name, m } of ACTIONS) {
      const gap = relGap(innerProduct(act(x, m), act(y, m)), innerProduct(x, y));
      assert.ok(gap < 1e-5, `${name}: ${gap}`);
    }
  });
});

Deno.test("equiLayerNorm: unit mean squared norm, eps clamp, equivariance", () => {
  tf.tidy(() => {
    const x = randomTensor([3, 4, 6, 16], 3, 5);
    const y = equiLayerNorm(x);
    const ms = innerProduct(y, y).mean(-2).arraySync() as number[][][];
    for (const v of ms.flat(2)) assert.ok(Math.abs(v - 1) < 1e-4);
    const tiny = randomTensor([1, 2, 16], 4, 1e-3);
    assert.ok(relGap(equiLayerNorm(tiny), tiny.mul(10)) < 1e-5, "clamped at eps = 0.01");
    for (const { name, m } of ACTIONS) {
      const gap = relGap(equiLayerNorm(act(x, m)), act(y, m));
      assert.ok(gap < 1e-5, `${name}: ${gap}`);
    }
  });
});

Deno.test("pre-norm on packed rows equals equiLayerNorm and layerNorm, values and gradients", () => {
  tf.tidy(() => {
    // rows of growing scale: some below the eps clamp
    const x = randomTensor([12, 5, 16], 7).mul(tf.linspace(0.001, 2, 12).reshape([12, 1, 1]));
    const s = randomTensor([12, 6], 8, 3);
    const internal = (v: tf.Tensor, sc: tf.Tensor) => normalizeInternal(packRows(v, sc), 6);
    const reference = (v: tf.Tensor, sc: tf.Tensor) => packRows(equiLayerNorm(v), layerNorm(sc));
    const [value, grads] = compareWithGradients(internal, reference, [x, s]);
    assert.ok(value < 1e-6, `value ${value}`);
    grads.forEach((g, i) => assert.ok(g < 1e-5, `gradient ${i}: ${g}`));
  });
});
