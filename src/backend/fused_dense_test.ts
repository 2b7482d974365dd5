import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { FUSED_DENSE, fusedDense } from "./fused_dense.ts";
import { denseComposite } from "../models/nn.ts";

await useTestBackend();

/** Values and gradients (x, w, b) of the fused kernel against tfjs's own ops. */
async function compare(xShape: number[], n: number, bias: boolean, seed: number) {
  const k = xShape[xShape.length - 1];
  const x = tf.randomNormal(xShape, 0, 1.5, "float32", seed);
  const w = tf.randomNormal([k, n], 0, 1, "float32", seed + 1);
  const b = bias ? tf.randomNormal([n], 0, 1, "float32", seed + 2) : undefined;
  const r = tf.randomNormal([...xShape.slice(0, -1), n], 0, 1, "float32", seed + 3);
  const paths = {
    fused: (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => fusedDense(x, w, b)!,
    composite: (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => denseComposite(x, { w, b }),
  };
  const results: Record<string, Float32Array[]> = {};
  for (const [name, f] of Object.entries(paths)) {
    const args = b ? [x, w, b] : [x, w];
    const grads = tf.grads((...a: tf.Tensor[]) => f(a[0], a[1], a[2]).mul(r).sum())(args);
    results[name] = await Promise.all(
      [f(x, w, b), ...grads].map((t) => t.data() as Promise<Float32Array>),
    );
    tf.dispose(grads);
  }
  const labels = ["value", "dx", "dw", "db"];
  results.fused.forEach((a, j) => {
    const e = results.composite[j];
    assert.equal(a.length, e.length, labels[j]);
    for (let i = 0; i < a.length; i++) {
      assert.ok(
        Math.abs(a[i] - e[i]) <= 1e-5 * (1 + Math.abs(e[i])),
        `${labels[j]} ${i} of ${JSON.stringify(xShape)}·[${k}, ${n}]: ${a[i]} vs ${e[i]}`,
      );
    }
  });
  tf.dispose([x, w, r, ...(b ? [b] : [])]);
}

Deno.test("fused dense equals reshape·matMul·add, values and gradients", async () => {
  if (!tf.getKernel(FUSED_DENSE, tf.getBackend())) {
    // no OpenBLAS (or not wasm): the caller composes
    assert.equal(fusedDense(tf.ones([2, 3]), tf.ones([3, 4])), undefined);
    return;
  }
  await compare([64, 4, 64], 192, true, 1); // the N-body Transformer's qkv
  await compare([128, 4, 4, 32], 32, true, 2); // an edge MLP of the graph models
  await compare([7, 3], 5, false, 3); // no bias, tiny
  await compare([1, 1], 1, true, 4); // one element
  await compare([12, 2048], 3, true, 5); // many inputs (a column sum of 36 numbers)
});

Deno.test("fused dense leaves no tensor behind, with and without a gradient", () => {
  if (!tf.getKernel(FUSED_DENSE, tf.getBackend())) return;
  const x = tf.randomNormal([5, 4, 6], 0, 1, "float32", 7);
  const w = tf.variable(tf.randomNormal([6, 3], 0, 1, "float32", 8));
  const b = tf.variable(tf.zeros([3]));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    fusedDense(x, w, b)!.sum();
  });
  const { value, grads } = tf.variableGrads(() => fusedDense(x, w, b)!.square().sum() as tf.Scalar);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, w, b]);
});

Deno.test("fused dense declines what it does not cover", () => {
  if (!tf.getKernel(FUSED_DENSE, tf.getBackend())) return;
  const x = tf.ones([2, 3]);
  assert.equal(fusedDense(x, tf.ones([4, 5])), undefined, "inner sizes differ");
  assert.equal(fusedDense(x, tf.ones([3, 5]), tf.ones([4])), undefined, "bias of the wrong size");
  assert.equal(fusedDense(x.toInt(), tf.ones([3, 5])), undefined, "int input");
});

Deno.test("fused dense declines on a backend without the kernel (cpu composes)", async () => {
  const previous = tf.getBackend();
  await tf.setBackend("cpu");
  try {
    assert.equal(tf.getKernel(FUSED_DENSE, "cpu"), undefined);
    assert.equal(fusedDense(tf.ones([2, 3]), tf.ones([3, 4]), tf.zeros([4])), undefined);
  } finally {
    await tf.setBackend(previous);
  }
});
