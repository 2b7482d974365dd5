import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { fusedAttention, installFusedAttention } from "./fused_attention.ts";
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
