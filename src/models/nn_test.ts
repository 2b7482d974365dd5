import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { kernelsOf } from "../testing/kernels.ts";
import { tf } from "../tf.ts";
import { GELU, gelu, geluVjp, LAYER_NORM, layerNorm, SILU, silu } from "./nn.ts";
import { setFusedOps } from "../backend/fused_op.ts";
import type { FusedUnaryOp } from "../backend/fused_op.ts";

await useTestBackend();

async function fusedEqualsComposite(
  op: FusedUnaryOp,
  apply: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  tol: number,
) {
  const w = tf.randomNormal(x.shape, 0, 1, "float32", 99);
  const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => f(t).mul(w).sum();
  const composite = (t: tf.Tensor) => op.composite(t);
  const [a, b, ga, gb] = await Promise.all([
    apply(x).data(),
    composite(x).data(),
    tf.grad(loss(apply))(x).data(),
    tf.grad(loss(composite))(x).data(),
  ]);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < tol * (1 + Math.abs(b[i])), `${op.name} value ${i}`);
    assert.ok(
      Math.abs(ga[i] - gb[i]) < 10 * tol * (1 + Math.abs(gb[i])),
      `${op.name} gradient ${i}: ${ga[i]} vs ${gb[i]}`,
    );
  }
  w.dispose();
}

Deno.test("fused layer norm equals the composite (tf.moments), values and gradients", async () => {
  const x = tf.randomNormal([6, 4, 64], 0.5, 2, "float32", 1);
  await fusedEqualsComposite(LAYER_NORM, layerNorm, x, 2e-5);
  await fusedEqualsComposite(
    LAYER_NORM,
    layerNorm,
    tf.randomNormal([3, 5], 0, 1, "float32", 2),
    2e-5,
  );
  // rows are normalised: mean 0, variance 1 (up to ε)
  const y = await layerNorm(x).reshape([-1, 64]).mean(-1).abs().max().data();
  assert.ok(y[0] < 1e-5);
  x.dispose();
});

Deno.test("fused GELU equals the tanh-approximated GELU, values and gradients", async () => {
  const x = tf.linspace(-8, 8, 401).reshape([401, 1]);
  await fusedEqualsComposite(GELU, gelu, x, 2e-6);
  const reference = (t: tf.Tensor) =>
    t.mul(0.5).mul(tf.tanh(t.add(t.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  const [a, b] = await Promise.all([gelu(x).data(), reference(x).data()]);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 2e-6 * (1 + Math.abs(b[i])));
  x.dispose();
});

Deno.test("fused SiLU equals x·sigmoid(x), values and gradients, and runs as one kernel each way", async () => {
  const x = tf.linspace(-12, 12, 481).reshape([481, 1]);
  await fusedEqualsComposite(SILU, silu, x, 2e-6);
  const big = tf.randomNormal([4, 5, 5, 32], 0, 3, "float32", 3);
  await fusedEqualsComposite(SILU, silu, big, 2e-6);
  // σ(x) ≈ 1 for large x, ≈ 0 for very negative: silu(20) = 20, silu(−20) ≈ −4e-8
  const [hi, lo] = await silu(tf.tensor1d([20, -20])).data();
  assert.ok(Math.abs(hi - 20) < 1e-5 && Math.abs(lo) < 1e-7);
  if (["wasm", "cpu"].includes(tf.getBackend())) {
    const seen = await kernelsOf(() => tf.grad((t: tf.Tensor) => silu(t).sum())(big));
    assert.ok(seen.includes("RemulSilu") && seen.includes("RemulSiluGrad"), seen.join());
    assert.ok(!seen.includes("Sigmoid"), `no separate Sigmoid in ${seen.join()}`);
  }
  tf.dispose([x, big]);
});

Deno.test("the fused ops' array loops equal the composite on every backend (GELU's too, which wasm does not run)", async () => {
  for (const [op, shape] of [[GELU, [7, 40]], [LAYER_NORM, [5, 64]], [SILU, [6, 33]]] as const) {
    const x = tf.randomNormal([...shape], 0.3, 2, "float32", 5);
    const dy = tf.randomNormal([...shape], 0, 1, "float32", 6);
    const xs = await x.data() as Float32Array;
    const out = new Float32Array(xs.length);
    const dx = new Float32Array(xs.length);
    op.forward(xs, out, shape[1]);
    op.backward(
      xs,
      await dy.data() as Float32Array,
      dx,
      shape[1],
      op.backwardReadsOutput ? out : undefined,
    );
    const [ref, refGrad] = await Promise.all([
      op.composite(x).data(),
      tf.grad((t: tf.Tensor) => op.composite(t).mul(dy).sum())(x).data(),
    ]);
    for (let i = 0; i < xs.length; i++) {
      assert.ok(Math.abs(out[i] - ref[i]) < 2e-5 * (1 + Math.abs(ref[i])), `${op.name} value ${i}`);
      assert.ok(
        Math.abs(dx[i] - refGrad[i]) < 2e-4 * (1 + Math.abs(refGrad[i])),
        `${op.name} gradient ${i}: ${dx[i]} vs ${refGrad[i]}`,
      );
    }
    tf.dispose([x, dy]);
  }
});

Deno.test("geluVjp is dy·GELU'(x), by the gradient kernel and by its composite fallback", async () => {
  const x = tf.linspace(-7, 7, 57).reshape([3, 19]);
  const dy = tf.randomNormal([3, 19], 0, 1, "float32", 4);
  const [ref] = await Promise.all([
    tf.grad((t: tf.Tensor) => GELU.composite(t).mul(dy).sum())(x).data(),
  ]);
  for (const fused of [true, false]) {
    setFusedOps(fused);
    try {
      const got = await geluVjp(x, dy).data();
      for (let i = 0; i < got.length; i++) {
        assert.ok(
          Math.abs(got[i] - ref[i]) < 1e-5 * (1 + Math.abs(ref[i])),
          `fused ${fused}, ${i}`,
        );
      }
    } finally {
      setFusedOps(true);
    }
  }
  tf.dispose([x, dy]);
});
