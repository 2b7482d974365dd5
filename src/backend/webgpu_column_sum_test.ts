/**
 * The WGSL sum over a block of axes against tfjs-webgpu's own `Sum` (values, shapes, what falls
 * back) and a float64 reference, and by the number of GPU programs. Runs in its own process (it
 * switches this process to webgpu); skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { assertCloseToRms } from "../testing/assert_close.ts";
import { dispatchesOf, webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import type { TensorInfo, WebGPUBackend } from "./_webgpu_program.ts";
import {
  columnSumLayout,
  installWebGpuSum,
  rowSumView,
  sumRowsWebGpu,
  uninstallWebGpuSum,
} from "./webgpu_column_sum.ts";

const webgpu = await webgpuOnce("the WGSL column sum tests");

/** `sum(x, axes, keepDims)` with the project's Sum and with tfjs's own; values, shapes, programs. */
async function compare(
  shape: number[],
  axes: number | number[] | undefined,
  keepDims = false,
  seed = 1,
) {
  const label = `sum of [${shape}] over ${JSON.stringify(axes)}${keepDims ? ", keepDims" : ""}`;
  const x = tf.randomNormal(shape, 0, 1, "float32", seed);
  try {
    const ours = tf.sum(x, axes, keepDims);
    const ourPrograms = dispatchesOf(() => tf.sum(x, axes, keepDims));
    uninstallWebGpuSum();
    let theirs: tf.Tensor;
    let theirPrograms: number;
    try {
      theirs = tf.sum(x, axes, keepDims);
      theirPrograms = dispatchesOf(() => tf.sum(x, axes, keepDims));
    } finally {
      installWebGpuSum();
    }
    assert.deepEqual(ours.shape, theirs.shape, `${label}: shape`);
    assertCloseToRms(
      await ours.data() as Float32Array,
      await theirs.data() as Float32Array,
      label,
    );
    tf.dispose([ours, theirs]);
    assertNoGpuErrors(`in the ${label}`);
    return { ours: ourPrograms, theirs: theirPrograms };
  } finally {
    x.dispose();
  }
}

Deno.test("rowSumView takes contiguous blocks of axes before the last, nothing else", () => {
  assert.deepEqual(rowSumView([5, 3, 7], [0, 1]), [1, 15, 7]);
  assert.deepEqual(rowSumView([5, 3, 7], [0]), [1, 5, 21]);
  assert.deepEqual(rowSumView([8, 4, 4, 64], [2]), [32, 4, 64]);
  assert.deepEqual(rowSumView([8, 4, 4, 64], [-3, 1, 2]), [8, 16, 64], "negative, repeated");
  assert.equal(rowSumView([5, 3, 7], [2]), undefined, "the last axis");
  assert.equal(rowSumView([5, 3, 7], [1, 2]), undefined, "a block that ends at the last axis");
  assert.equal(rowSumView([5, 3, 7, 2], [0, 2]), undefined, "not contiguous");
  assert.equal(rowSumView([5, 3, 7], []), undefined, "no axes");
  assert.equal(rowSumView([5, 3, 7], [3]), undefined, "out of range");
  assert.equal(rowSumView([5, 3, 7], [null as unknown as number]), undefined, "not a number");
  // the workgroup: 16 columns × 16 stripes for long sums, narrower or shorter where it fits
  assert.deepEqual(columnSumLayout(20_000, 64), { cols: 16, stripes: 16 });
  assert.deepEqual(columnSumLayout(20_000, 7), { cols: 8, stripes: 32 });
  assert.deepEqual(columnSumLayout(4, 64), { cols: 16, stripes: 4 });
  assert.deepEqual(columnSumLayout(1, 1), { cols: 1, stripes: 1 });
});

webgpuTest(
  webgpu,
  "webgpu: Sum over leading and middle axes equals tfjs's Sum, in one program",
  async () => {
    const cases: [number[], number | number[], boolean][] = [
      [[67, 17], 0, false], // a bias gradient
      [[3, 37, 5], [0, 1], false], // rank 3 over the leading two
      [[3, 37, 5], [0, 1], true],
      [[8, 4, 4, 64], 2, false], // the GNN's sums over neighbours
      [[8, 4, 4, 64], [1], true],
      [[2, 3, 5, 7], [-3, -2], false], // a middle block, negative axes
      [[1, 1], 0, false],
      [[1000, 3], 0, false], // more rows than stripes
    ];
    for (const [i, [shape, axes, keepDims]] of cases.entries()) {
      const { ours, theirs } = await compare(shape, axes, keepDims, 10 + i);
      assert.equal(ours, 1, `[${shape}] over ${axes}: one program`);
      assert.equal(theirs, 2, `[${shape}] over ${axes}: tfjs transposes, then reduces`);
    }
  },
);

webgpuTest(
  webgpu,
  "webgpu: Sum falls back to tfjs's own kernel where the block does not fit",
  async () => {
    const cases: [number[], number | number[] | undefined][] = [
      [[5, 3, 7], 2], // over the last axis: tfjs reduces rows directly
      [[5, 3], undefined], // no axis: every axis
      [[5, 3, 7], [0, 1, 2]], // everything
      [[5, 3, 7, 2], [0, 2]], // not contiguous
    ];
    for (const [i, [shape, axes]] of cases.entries()) {
      const { ours, theirs } = await compare(shape, axes, false, 30 + i);
      assert.equal(ours, theirs, `[${shape}] over ${axes}: tfjs's kernel`);
    }
    const ints = tf.tensor2d([[1, 2], [3, 4]], undefined, "int32");
    const s = tf.sum(ints, 0);
    assert.equal(s.dtype, "int32");
    assert.deepEqual(await s.data(), Int32Array.from([4, 6]));
    tf.dispose([ints, s]);
  },
);

webgpuTest(
  webgpu,
  "webgpu: sums of 20,000 rows equal the float64 sums; no rows give zeros",
  async () => {
    const backend = tf.backend() as unknown as WebGPUBackend;
    // batch 1024 × 20 tokens; an outer axis too
    for (const [outer, rows, inner] of [[1, 20_000, 7], [1, 20_480, 1], [3, 20_000, 67]]) {
      const x = tf.randomNormal([outer, rows, inner], 0.5, 1, "float32", rows + inner);
      const xs = await x.data();
      const info = sumRowsWebGpu(backend, x as unknown as TensorInfo, [outer, rows, inner]);
      const sums = tf.engine().makeTensorFromTensorInfo(info as never);
      assert.deepEqual(sums.shape, [outer, inner]);
      const actual = await sums.data();
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) {
          let [exact, scale] = [0, 0];
          for (let r = 0; r < rows; r++) {
            const v = xs[(o * rows + r) * inner + j];
            exact += v;
            scale += Math.abs(v);
          }
          const a = actual[o * inner + j];
          assert.ok(
            Math.abs(a - exact) <= 1e-6 * scale,
            `[${outer}, ${rows}, ${inner}] (${o}, ${j}): ${a} vs ${exact} (Σ|x| = ${scale})`,
          );
        }
      }
      tf.dispose([x, sums]);
    }
    const empty = tf.zeros([2, 0, 3]);
    const zero = tf.engine().makeTensorFromTensorInfo(
      sumRowsWebGpu(backend, empty as unknown as TensorInfo, [2, 0, 3]) as never,
    );
    assert.deepEqual([...await zero.data()], [0, 0, 0, 0, 0, 0]);
    tf.dispose([empty, zero]);
    assertNoGpuErrors("in the long sums");
  },
);
