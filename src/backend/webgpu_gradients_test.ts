/**
 * The webgpu gradients of Sum, Mean and Tile against tfjs's own: the pure forms on cpu and wasm,
 * the installed gradients on webgpu (llvmpipe here) against tfjs's own on cpu; and the Tile
 * gradient's kernel count does not depend on the repetitions. Runs in its own process (it
 * switches backends); the webgpu part skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { type Tensor, tf } from "../tf.ts";
import { initBackend, probeAdapter } from "./backend.ts";
import { meanGradient, sumGradient, tileGradient } from "./webgpu_gradients.ts";

const SUMS: { shape: number[]; axis?: number[]; keepDims?: boolean }[] = [
  { shape: [3, 4, 5], axis: [1] },
  { shape: [3, 4, 5], axis: [0, 2] },
  { shape: [3, 4, 5], axis: [-1], keepDims: true },
  { shape: [2, 3], axis: undefined },
  { shape: [6], axis: [0] },
  // past rank 4 (SE(3)-Transformer's sums): runs of axes merged, or ones made on the GPU
  { shape: [2, 3, 2, 4, 3], axis: [1, 2] },
  { shape: [2, 3, 2, 4, 3, 2], axis: [1, 3, 5] },
  { shape: [2, 3, 2, 4, 3], axis: [0, 2, 4], keepDims: true },
];
const TILES: { shape: number[]; reps: number[] }[] = [
  { shape: [5], reps: [3] },
  { shape: [2, 3], reps: [4, 1] },
  { shape: [2, 3], reps: [2, 3] },
  { shape: [2, 1, 3], reps: [1, 5, 2] },
  { shape: [2, 2, 1, 3], reps: [3, 1, 4, 2] },
];

function input(shape: number[], seed: number): Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}

/** tfjs's own gradient of `sum(op(x) · w)` (on a backend where the override falls back). */
async function reference(op: (x: Tensor) => Tensor, shape: number[], seed: number) {
  const x = input(shape, seed);
  const w = input(op(x).shape, seed + 1);
  const g = tf.grad((t: Tensor) => op(t).mul(w).sum())(x);
  const out = await g.data();
  tf.dispose([x, w, g]);
  return out;
}

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}

/** The pure forms against tfjs's gradFunc on the active backend. */
async function checkForms(backend: string) {
  for (const [i, c] of SUMS.entries()) {
    for (const kind of ["Sum", "Mean"] as const) {
      const x = input(c.shape, 10 + i);
      const y = kind === "Sum" ? tf.sum(x, c.axis, c.keepDims) : tf.mean(x, c.axis, c.keepDims);
      const dy = input(y.shape, 20 + i);
      y.dispose();
      const axes = c.axis ?? [...c.shape.keys()];
      const own = tf.getGradient(kind)!.gradFunc(dy, [x], {
        axis: axes,
        keepDims: c.keepDims ?? false,
      })
        .x() as Tensor;
      const ours = (kind === "Sum" ? sumGradient : meanGradient)(dy, c.shape, axes);
      assert.deepEqual(ours.shape, own.shape);
      // dy · 1 = dy: the same bits
      assert.deepEqual(await ours.data(), await own.data(), `${backend} ${kind} ${i}`);
      tf.dispose([x, y, dy, own, ours]);
    }
  }
  for (const [i, c] of TILES.entries()) {
    const x = input(c.shape, 30 + i);
    const tiled = tf.tile(x, c.reps);
    const dy = input(tiled.shape, 40 + i);
    tiled.dispose();
    const own = tf.tidy(() =>
      tf.getGradient("Tile")!.gradFunc(dy, [x], { reps: c.reps }).x() as Tensor
    );
    const n = tf.memory().numTensors;
    const ours = tileGradient(dy, c.shape, c.reps);
    assert.equal(tf.memory().numTensors, n + 1, "only the gradient is kept");
    assert.deepEqual(ours.shape, own.shape);
    assert.ok(worst(await ours.data(), await own.data()) < 1e-6, `${backend} Tile ${i}`);
    tf.dispose([x, dy, own, ours]);
  }
}

Deno.test("Sum, Mean, Tile gradient forms equal tfjs's own on cpu and wasm", async () => {
  for (const backend of ["cpu", "wasm"] as const) {
    await initBackend(backend);
    await checkForms(backend);
  }
});

const adapter = await probeAdapter();

Deno.test("on webgpu the installed gradients equal tfjs's own (on cpu); Tile's kernels stay few", async () => {
  if (!adapter) {
    console.warn("no WebGPU adapter here: the webgpu gradient checks are skipped");
    return;
  }
  const ops: { name: string; op: (x: Tensor) => Tensor; shape: number[]; exact: boolean }[] = [
    ...SUMS.flatMap((c, i) => [
      { name: `Sum ${i}`, op: (x: Tensor) => tf.sum(x, c.axis, c.keepDims), ...c, exact: true },
      { name: `Mean ${i}`, op: (x: Tensor) => tf.mean(x, c.axis, c.keepDims), ...c, exact: true },
    ]),
    ...TILES.map((c, i) => ({
      name: `Tile ${i}`,
      op: (x: Tensor) => tf.tile(x, c.reps),
      shape: c.shape,
      exact: false,
    })),
  ];
  await initBackend("cpu");
  const want = [];
  for (const [i, o] of ops.entries()) want.push(await reference(o.op, o.shape, 100 + 2 * i));
  await initBackend("webgpu");
  for (const [i, o] of ops.entries()) {
    const got = await reference(o.op, o.shape, 100 + 2 * i);
    if (o.exact) assert.deepEqual(got, want[i], o.name);
    else assert.ok(worst(got, want[i]) < 1e-6, o.name);
  }
  // Tile's gradient: the same kernels for 2 and for 16 repetitions (tfjs's own: 2 per repetition)
  const count = async (reps: number) => {
    const x = input([3, 4], 7);
    const info = await tf.profile(() => tf.grad((t: Tensor) => tf.tile(t, [reps, 1]).sum())(x));
    tf.dispose(x);
    return info.kernels.length;
  };
  assert.equal(await count(16), await count(2));
});
