/**
 * The WGSL block linear map against tfjs's composite on the webgpu backend, values and every
 * gradient. Runs in its own process (it switches this process to webgpu); skips with a note
 * where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { countDeviceCalls } from "./webgpu_queue.ts";
import { tf } from "../tf.ts";
import { compositeBlockLinear } from "../testing/block_linear_reference.ts";
import { assertCloseToRms } from "../testing/assert_close.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import {
  BLOCK_LINEAR,
  BLOCK_LINEAR_GRAD,
  blockLinear,
  blockLinearAvailable,
  blockLinearGrad,
  setBlockLinear,
} from "./block_linear.ts";

const webgpu = await webgpuOnce("the WGSL block linear tests");

type Reference = "composite" | "host";

/**
 * The block map and its gradients in float64 on the host, for shapes with a block of width zero:
 * there tfjs-webgpu's own matMul (inner dimension 0) binds an empty buffer, WebGPU rejects the
 * command buffer, and the composite cannot serve as the reference.
 */
async function hostReference(
  [x, m0, m1, b, dy]: tf.Tensor[],
  repeats: number,
): Promise<Float32Array[]> {
  const [t, wIn] = x.shape;
  const [[k0, n0], [k1, n1]] = [m0.shape, m1.shape];
  const wOut = n0 + repeats * n1;
  const [xs, m0s, m1s, bs, dys] = await Promise.all([x, m0, m1, b, dy].map((v) => v.data()));
  const [y, dx, dm0, dm1, db] = [t * wOut, t * wIn, k0 * n0, k1 * n1, n0].map((n) =>
    new Float64Array(n)
  );
  // each block: its first input and output columns, sizes, matrix and the matrix's gradient
  const blocks = [
    { xi: 0, yj: 0, k: k0, n: n0, m: m0s, dm: dm0 },
    ...Array.from({ length: repeats }, (_, r) => ({
      xi: k0 + r * k1,
      yj: n0 + r * n1,
      k: k1,
      n: n1,
      m: m1s,
      dm: dm1,
    })),
  ];
  for (let row = 0; row < t; row++) {
    for (const { xi, yj, k, n, m, dm } of blocks) {
      for (let j = 0; j < n; j++) {
        const g = dys[row * wOut + yj + j];
        for (let i = 0; i < k; i++) {
          const xv = xs[row * wIn + xi + i];
          y[row * wOut + yj + j] += xv * m[i * n + j];
          dx[row * wIn + xi + i] += g * m[i * n + j];
          dm[i * n + j] += xv * g;
        }
      }
    }
    for (let j = 0; j < n0; j++) {
      y[row * wOut + j] += bs[j];
      db[j] += dys[row * wOut + j];
    }
  }
  return [y, dx, dm0, dm1, db].map((a) => Float32Array.from(a));
}

/** Values and the gradients of `sum(y·dy)` against the composite's (or the host's), one shape. */
async function compare(
  [t, k0, n0, k1, n1, repeats]: [number, number, number, number, number, number],
  reference: Reference = "composite",
) {
  const label = `T=${t} [${k0}→${n0}] + ${repeats} × [${k1}→${n1}]`;
  tf.engine().startScope();
  try {
    const seed = 1 + t + 7 * k0 + 13 * n1 + 31 * repeats;
    const x = tf.randomNormal([t, k0 + repeats * k1], 0, 1, "float32", seed);
    const m0 = tf.randomNormal([k0, n0], 0, 1, "float32", seed + 1);
    const m1 = tf.randomNormal([k1, n1], 0, 1, "float32", seed + 2);
    const b = tf.randomNormal([n0], 0, 1, "float32", seed + 3);
    const dy = tf.randomNormal([t, n0 + repeats * n1], 0, 1, "float32", seed + 4);
    const [dx, dm0, dm1, db] = blockLinearGrad(x, m0, m1, dy, repeats);
    const actual = [blockLinear(x, m0, m1, b, repeats), dx, dm0, dm1, db];
    let expected: Float32Array[];
    if (reference === "composite") {
      const grads = tf.grads((x, m0, m1, b) =>
        compositeBlockLinear(x, m0, m1, b, repeats).mul(dy).sum()
      );
      const tensors = [compositeBlockLinear(x, m0, m1, b, repeats), ...grads([x, m0, m1, b])];
      tensors.forEach((e, i) => assert.deepEqual(actual[i].shape, e.shape, `${label}: shape`));
      expected = await Promise.all(tensors.map((e) => e.data() as Promise<Float32Array>));
    } else {
      expected = await hostReference([x, m0, m1, b, dy], repeats);
    }
    const names = ["value", "dx", "dM0", "dM1", "db"];
    const shapes = [[t, n0 + repeats * n1], x.shape, m0.shape, m1.shape, b.shape];
    for (const [i, a] of actual.entries()) {
      assert.deepEqual(a.shape, shapes[i], `${label}: ${names[i]} shape`);
      assertCloseToRms(await a.data() as Float32Array, expected[i], `${label}: ${names[i]}`);
    }
  } finally {
    tf.engine().endScope();
  }
  assertNoGpuErrors(`in ${BLOCK_LINEAR} ${label}`);
}

webgpuTest(
  webgpu,
  "webgpu: RemulBlockLinear equals split·matMul·concat, values and every gradient",
  async () => {
    assert.ok(blockLinearAvailable(), "the webgpu kernels are registered");
    await compare([320, 64, 64, 32, 32, 3]); // GATr's blocks on N-body small (32 + 8 × 16 wide)
    await compare([512, 36, 48, 16, 32, 3]); // with scalars in and out
    await compare([64, 16, 4, 16, 4, 3]); // 4 → 1 channels, no scalars out
    await compare([97, 5, 7, 3, 6, 3]); // sizes no multiple of the tile (4) or the workgroup (64)
    await compare([5, 1, 1, 1, 1, 3]); // one channel
    await compare([3, 2, 3, 4, 5, 1]); // one repeated block
    await compare([70, 6, 2, 9, 3, 1]);
    // sums over rows in many parts of 64 rows (65 and 193, the last ones short), added up
    await compare([4100, 8, 8, 4, 4, 3]);
    await compare([6000, 4, 4, 4, 36, 3]);
    // blocks of width zero, against the host (see hostReference)
    await compare([70, 5, 7, 3, 6, 3], "host"); // the host reference itself, on a plain shape
    await compare([9, 0, 5, 4, 4, 3], "host"); // no head inputs: the head is the bias
    await compare([9, 6, 5, 0, 3, 3], "host"); // no repeated inputs: their outputs are zero
    await compare([9, 0, 3, 0, 2, 3], "host"); // no inputs at all
    await compare([11, 4, 0, 3, 2, 3], "host"); // no head outputs (and no bias)
    await compare([11, 4, 3, 3, 0, 3], "host"); // repeated blocks with no outputs
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulBlockLinear with no rows gives empty outputs and zero matrix gradients",
  async () => {
    tf.engine().startScope();
    const x = tf.zeros([0, 8]);
    const [m0, m1, b] = [tf.ones([2, 3]), tf.ones([2, 2]), tf.ones([3])];
    assert.deepEqual(blockLinear(x, m0, m1, b, 3).shape, [0, 9]);
    const grads = blockLinearGrad(x, m0, m1, tf.zeros([0, 9]), 3);
    assert.deepEqual(grads.map((g) => g.shape), [[0, 8], [2, 3], [2, 2], [3]]);
    for (const g of grads.slice(1)) assert.ok((await g.data()).every((v) => v === 0));
    tf.engine().endScope();
    assertNoGpuErrors("in RemulBlockLinear with no rows");
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulBlockLinear is one kernel each way, and refuses rows that do not split",
  async () => {
    tf.engine().startScope();
    const [x, m0, m1, b] = [tf.ones([4, 7]), tf.ones([1, 2]), tf.ones([2, 3]), tf.ones([2])];
    const forward = await tf.profile(() => blockLinear(x, m0, m1, b, 3));
    assert.deepEqual(forward.kernelNames, [BLOCK_LINEAR]);
    const dy = tf.ones([4, 11]);
    const backward = await tf.profile(() => blockLinearGrad(x, m0, m1, dy, 3));
    assert.deepEqual(backward.kernelNames, [BLOCK_LINEAR_GRAD]);
    // programs: dx, [dM0; db], dM1 (4 rows: each sum in one part, nothing to add up; dM0 and db
    // copied out of one array)
    const calls = countDeviceCalls();
    tf.dispose(blockLinearGrad(x, m0, m1, dy, 3));
    calls.close();
    assert.equal(calls.counts.dispatches, 3);
    assert.throws(
      () => blockLinear(tf.ones([2, 7]), tf.ones([2, 2]), tf.ones([2, 2]), tf.ones([2]), 3),
      /rows of 7 columns do not split into 2 \+ 3 × 2/,
    );
    setBlockLinear(false);
    try {
      assert.equal(blockLinearAvailable(), false, "turned off: callers compose");
    } finally {
      setBlockLinear(true);
    }
    tf.engine().endScope();
    assertNoGpuErrors("in RemulBlockLinear's kernel count");
  },
);
