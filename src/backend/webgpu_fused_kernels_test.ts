/**
 * The WGSL kernels against the composite forms on the webgpu backend, values and gradients.
 * Runs in its own process (it switches this process to webgpu); skips with a note where there
 * is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend, probeAdapter } from "./backend.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import { applyFused, type FusedUnaryOp } from "./fused_op.ts";
import { fusedAttention } from "./fused_attention.ts";
import { LAYER_NORM_KERNEL } from "./webgpu_layer_norm.ts";
import { GELU_KERNEL } from "./webgpu_gelu.ts";
import { attentionComposite, GELU, LAYER_NORM } from "../models/nn.ts";

const adapter = await probeAdapter();
let started: Promise<unknown> | undefined;

/** Starts webgpu once; false (with a note) where there is no adapter. */
async function webgpu(): Promise<boolean> {
  if (!adapter) {
    console.warn("no WebGPU adapter here: the WGSL kernel tests are skipped");
    return false;
  }
  started ??= initBackend("webgpu");
  await started;
  assert.equal(tf.getBackend(), "webgpu");
  return true;
}

/** Largest |a − b| / (1 + |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= w)) w = Number.isNaN(e) ? Infinity : e;
  }
  return w;
}

/**
 * Compares `fused` with `composite` on `x`: values, and gradients of `sum(f(x)·w)` for a random
 * `w`; returns the worst relative errors.
 */
async function compare(
  x: tf.Tensor,
  fused: (t: tf.Tensor) => tf.Tensor,
  composite: (t: tf.Tensor) => tf.Tensor,
  seed: number,
): Promise<{ value: number; grad: number }> {
  const shape = fused(x).shape;
  const w = tf.randomNormal(shape, 0, 1, "float32", seed);
  const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => f(t).mul(w).sum();
  const [a, b, ga, gb] = await Promise.all([
    fused(x).data(),
    composite(x).data(),
    tf.grad(loss(fused))(x).data(),
    tf.grad(loss(composite))(x).data(),
  ]);
  tf.dispose(w);
  return { value: worst(a, b), grad: worst(ga, gb) };
}

/** Names of the kernels `f` launches. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  return (await tf.profile(f)).kernelNames;
}

/** Runs `f` in a scope and checks that WebGPU reported no error. */
async function scoped(where: string, f: () => Promise<void>): Promise<void> {
  tf.engine().startScope();
  try {
    await f();
  } finally {
    tf.engine().endScope();
  }
  assertNoGpuErrors(where);
}

async function checkUnary(op: FusedUnaryOp, kernel: string, cases: [number[], number][]) {
  assert.equal(op.name, kernel, "the WGSL kernel runs under the fused op's name");
  const x0 = tf.ones([2, 3]);
  assert.deepEqual(await kernelsOf(() => applyFused(op, x0)), [kernel]);
  assert.ok(
    (await kernelsOf(() => tf.grad((t) => applyFused(op, t).sum())(x0))).includes(`${kernel}Grad`),
  );
  x0.dispose();
  for (const [i, [shape, scale]] of cases.entries()) {
    await scoped(`in ${kernel} ${shape}`, async () => {
      const x = tf.randomNormal(shape, 0.3, scale, "float32", 10 + i);
      const e = await compare(x, (t) => applyFused(op, t), (t) => op.composite(t), 20 + i);
      assert.ok(e.value < 2e-5, `${kernel} ${shape} ×${scale}: values differ by ${e.value}`);
      assert.ok(e.grad < 1e-4, `${kernel} ${shape} ×${scale}: gradients differ by ${e.grad}`);
    });
  }
}

Deno.test({
  name: "webgpu: RemulLayerNorm equals the composite layer norm, values and gradients",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!(await webgpu())) return;
    await checkUnary(LAYER_NORM, LAYER_NORM_KERNEL, [
      [[8, 4, 64], 1], // the N-body Transformer's rows
      [[3, 384], 2], // wide rows
      [[2, 5, 7], 1], // a width that is no multiple of the workgroup
      [[1, 1, 64], 1], // one row
      [[6, 3], 1],
      [[4, 64], 0.01], // small variance: ε matters
      [[70], 1], // rank 1
    ]);
  },
});

Deno.test({
  name: "webgpu: RemulGelu equals the composite GELU, values and gradients",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!(await webgpu())) return;
    await checkUnary(GELU, GELU_KERNEL, [
      [[8, 4, 128], 1],
      [[3, 384], 4], // tails: σ saturates
      [[7], 1],
      [[1, 1, 64], 1],
      [[300, 1000], 1], // more elements than one row of workgroups… and a partial one
    ]);
  },
});

Deno.test({
  name: "webgpu: RemulFusedAttention equals the composite attention, values and gradients",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!(await webgpu())) return;
    const cases: [[number, number, number], number][] = [
      [[8, 4, 3 * 64], 4], // the N-body Transformer
      [[3, 31, 3 * 24], 8], // MoCap-sized
      [[2, 1, 3 * 8], 2], // one token
      [[5, 7, 3 * 6], 1], // one head
      [[2, 64, 3 * 32], 2], // the longest sequence the kernel takes
      [[1, 3, 3 * 384], 8], // wide heads
    ];
    const qkv0 = tf.ones([1, 2, 6]);
    assert.deepEqual(await kernelsOf(() => fusedAttention(qkv0, 1)!), ["RemulFusedAttention"]);
    assert.ok(
      (await kernelsOf(() => tf.grad((t) => fusedAttention(t, 1)!.sum())(qkv0)))
        .includes("RemulFusedAttentionGrad"),
    );
    qkv0.dispose();
    for (const [i, [shape, heads]] of cases.entries()) {
      await scoped(`in attention ${shape}`, async () => {
        const qkv = tf.randomNormal(shape, 0, 1.5, "float32", 30 + i);
        const fused = (t: tf.Tensor) => {
          const y = fusedAttention(t, heads);
          assert.ok(y, "the webgpu kernel is used");
          return y;
        };
        const e = await compare(qkv, fused, (t) => attentionComposite(t, heads), 40 + i);
        assert.ok(e.value < 2e-5, `attention ${shape}/${heads}: values differ by ${e.value}`);
        assert.ok(e.grad < 1e-4, `attention ${shape}/${heads}: gradients differ by ${e.grad}`);
      });
    }
    assert.equal(fusedAttention(tf.zeros([1, 65, 6]), 1), undefined, "N > 64: composite");
  },
});
