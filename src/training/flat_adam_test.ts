import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { FlatAdam } from "./flat_adam.ts";

await useTestBackend();

Deno.test("FlatAdam (fused kernel on wasm/cpu) equals tfjs's Adam with per-variable clipping", async () => {
  const shapes = [[3, 4], [4], [2, 2, 2]];
  const init = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", i));
  const ours = init.map((t) => tf.variable(t.clone()));
  const theirs = init.map((t) => tf.variable(t.clone()));
  const flat = new FlatAdam(ours, { lr: 0.01, clipNorm: 0.5 });
  const adam = tf.train.adam(0.01);
  const before = tf.memory().numTensors;
  for (let step = 0; step < 6; step++) {
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 2, "float32", 100 * step + i));
    // the second variable gets no gradient in odd steps: it counts as zero
    const named = Object.fromEntries(
      ours.map((v, i) => [v.name, grads[i]]).filter((_, i) => i !== 1 || step % 2 === 0),
    );
    flat.apply(named);
    const clipped = tf.tidy(() => {
      const g = theirs.map((
        _,
        i,
      ) => (i !== 1 || step % 2 === 0 ? grads[i] : tf.zerosLike(grads[i])));
      const norm = tf.sqrt(tf.addN(g.map((x) => x.square().sum())));
      const scale = tf.minimum(1, tf.scalar(0.5).div(norm.add(1e-12)));
      return theirs.map((v, i) => ({ name: v.name, tensor: g[i].mul(scale) }));
    });
    adam.applyGradients(clipped);
    tf.dispose([...grads, ...clipped.map((c) => c.tensor)]);
  }
  assert.equal(flat.iterations, 6);
  // kept since `before`: our two moment vectors, and tfjs's Adam's two moments per variable
  assert.equal(tf.memory().numTensors, before + 2 + 2 * shapes.length, "nothing else is kept");
  for (let i = 0; i < shapes.length; i++) {
    const [a, b] = await Promise.all([ours[i].data(), theirs[i].data()]);
    for (let k = 0; k < a.length; k++) {
      assert.ok(
        Math.abs(a[k] - b[k]) < 1e-5 * (1 + Math.abs(b[k])),
        `var ${i}[${k}]: ${a[k]} vs ${b[k]}`,
      );
    }
  }
  flat.dispose();
  adam.dispose();
  tf.dispose([...init, ...ours, ...theirs]);
});

Deno.test("FlatAdam never writes into a weight's memory that a copy shares", async () => {
  const w = tf.variable(tf.tensor1d([1, 2, 3]));
  const snapshot = w.clone(); // shares memory on wasm (Identity is a reference count there)
  const flat = new FlatAdam([w], { lr: 0.1, clipNorm: 0 });
  flat.apply({ [w.name]: tf.tensor1d([1, 1, 1]) });
  assert.deepEqual(await snapshot.data(), Float32Array.from([1, 2, 3]));
  assert.notDeepEqual(await w.data(), Float32Array.from([1, 2, 3]));
  flat.dispose();
  tf.dispose([w, snapshot]);
});
