import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { fusedAttention, installFusedAttention } from "./fused_attention.ts";
import { setSimdKernels, simdBound } from "./simd_kernels.ts";
import { attentionComposite } from "../models/nn.ts";

await useTestBackend();
installFusedAttention();

async function compare(shape: [number, number, number], heads: number, seed: number) {
  const qkv = tf.randomNormal(shape, 0, 1.5, "float32", seed);
  const w = tf.randomNormal([shape[0], shape[1], shape[2] / 3], 0, 1, "float32", seed + 1);
  const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => f(t).mul(w).sum();
  const fused = (t: tf.Tensor) => fusedAttention(t, heads)!;
  const composite = (t: tf.Tensor) => attentionComposite(t, heads);
  const [a, b, ga, gb] = await Promise.all([
    fused(qkv).data(),
    composite(qkv).data(),
    tf.grad(loss(fused))(qkv).data(),
    tf.grad(loss(composite))(qkv).data(),
  ]);
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) < 1e-5 * (1 + Math.abs(b[i])),
      `value ${i}: ${a[i]} vs ${b[i]}`,
    );
  }
  for (let i = 0; i < ga.length; i++) {
    assert.ok(
      Math.abs(ga[i] - gb[i]) < 1e-4 * (1 + Math.abs(gb[i])),
      `grad ${i}: ${ga[i]} vs ${gb[i]}`,
    );
  }
  tf.dispose([qkv, w]);
}

Deno.test("fused attention equals the composite attention, values and gradients", async () => {
  if (!tf.getKernel("RemulFusedAttention", tf.getBackend())) {
    assert.equal(
      fusedAttention(tf.zeros([1, 2, 6]), 1),
      undefined,
      "no kernel: the caller composes",
    );
    return;
  }
  await compare([8, 4, 3 * 64], 4, 1); // the N-body Transformer
  await compare([3, 31, 3 * 24], 8, 2); // MoCap-sized
  await compare([2, 1, 3 * 8], 2, 3); // one token
  await compare([5, 7, 3 * 6], 1, 4); // one head
  await compare([4, 20, 3 * 168], 8, 5); // the cost suite's Transformer: heads of width 21
});

Deno.test("head widths that are not a multiple of 4 run the SIMD loops on padded copies", async () => {
  if (!simdBound()) return; // the cpu backend: float64 loops only
  for (const [shape, heads] of [[[3, 20, 3 * 168], 8], [[2, 5, 3 * 6], 2]] as const) {
    const qkv = tf.randomNormal([...shape], 0, 1.5, "float32", 11);
    const w = tf.randomNormal([shape[0], shape[1], shape[2] / 3], 0, 1, "float32", 12);
    const run = async (simd: boolean) => {
      setSimdKernels(simd);
      try {
        const y = fusedAttention(qkv, heads)!;
        const g = tf.grad((t: tf.Tensor) => fusedAttention(t, heads)!.mul(w).sum())(qkv);
        const out = [await y.data(), await g.data()];
        tf.dispose([y, g]);
        return out;
      } finally {
        setSimdKernels(true);
      }
    };
    const [[y32, g32], [y64, g64]] = [await run(true), await run(false)];
    // float32 accumulation against the float64 loop: close, and not the same bits (so the SIMD
    // loop ran; it would equal the float64 loop if the kernel had fallen back to it)
    let differ = 0;
    for (const [a, b, tol] of [[y32, y64, 1e-5], [g32, g64, 1e-4]] as const) {
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) < tol * (1 + Math.abs(b[i])), `${i}: ${a[i]} vs ${b[i]}`);
        if (a[i] !== b[i]) differ++;
      }
    }
    assert.ok(differ > 0, "the SIMD loop ran");
    tf.dispose([qkv, w]);
  }
});

Deno.test("fused attention is permutation-equivariant over tokens", async () => {
  if (!tf.getKernel("RemulFusedAttention", tf.getBackend())) return;
  const qkv = tf.randomNormal([2, 5, 12], 0, 1, "float32", 9);
  const perm = tf.tensor1d([3, 0, 4, 1, 2], "int32");
  const a = await tf.gather(fusedAttention(qkv, 2)!, perm, 1).data();
  const b = await fusedAttention(tf.gather(qkv, perm, 1), 2)!.data();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
  tf.dispose([qkv, perm]);
});
