import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import { countDeviceCalls } from "./webgpu_queue.ts";
import {
  contiguousSlice,
  installWebGpuCopyKernels,
  uninstallWebGpuCopyKernels,
} from "./webgpu_copy_kernels.ts";

Deno.test("contiguousSlice finds the slices that are one range of their input", () => {
  assert.deepEqual(contiguousSlice([4, 3], [1, 0], [2, 3]), { offset: 3, count: 6, shape: [2, 3] });
  assert.deepEqual(contiguousSlice([4, 3], [2, 1], [1, 2]), { offset: 7, count: 2, shape: [1, 2] });
  assert.deepEqual(contiguousSlice([2, 3, 4], [1, 2, 0], [1, 1, -1]), {
    offset: 20,
    count: 4,
    shape: [1, 1, 4],
  });
  assert.deepEqual(contiguousSlice([5], [0], [-1]), { offset: 0, count: 5, shape: [5] });
  assert.deepEqual(contiguousSlice([4, 3], [0, 0], [0, 3]), { offset: 0, count: 0, shape: [0, 3] });
  assert.equal(contiguousSlice([4, 3], [0, 1], [4, 2]), undefined, "columns of several rows");
  assert.equal(contiguousSlice([2, 3, 4], [0, 1, 0], [2, 1, 4]), undefined, "a middle block");
  assert.equal(contiguousSlice([4, 3], 1 as unknown, [1, 3]), undefined, "not arrays");
});

const webgpu = await webgpuOnce("the WebGPU copy kernel tests");

/** Values (exact) and dispatches of `f` with the copy kernels and with tfjs's own. */
async function both(f: () => tf.Tensor | tf.Tensor[]) {
  const run = async () => {
    const calls = countDeviceCalls();
    const out = tf.tidy(f);
    calls.close();
    const list = Array.isArray(out) ? out : [out];
    const values = await Promise.all(list.map(async (t) => ({
      shape: t.shape,
      dtype: t.dtype,
      values: Array.from(await t.data()),
    })));
    tf.dispose(list);
    return { values, dispatches: calls.counts.dispatches };
  };
  uninstallWebGpuCopyKernels();
  const tfjs = await run();
  installWebGpuCopyKernels();
  const ours = await run();
  return { tfjs, ours };
}

webgpuTest(
  webgpu,
  "webgpu: contiguous Slice, Concat and SplitV are copies, equal to tfjs's own bit for bit",
  async () => {
    tf.engine().startScope();
    try {
      // on the GPU (over tfjs's 1,000 elements, below which it computes small tensors on the
      // CPU; an op's result is on the GPU), odd sizes
      const x = tf.randomNormal([6, 70, 5], 0, 1, "float32", 3).add(0);
      const y = tf.randomNormal([3, 70, 5], 0, 1, "float32", 4).add(0);
      const ints = tf.range(0, 4200, 1, "int32").reshape([6, 700]).add(0);
      const row = x.reshape([1, 2100]);
      const row2 = row.mul(2);
      const cases: [string, () => tf.Tensor | tf.Tensor[], boolean][] = [
        ["slice of rows", () => x.slice([2, 0, 0], [3, -1, -1]), true],
        ["slice within one row", () => x.slice([4, 3, 0], [1, 20, 5]), true],
        ["slice of an element run", () => x.slice([1, 2, 1], [1, 1, 3]), true],
        ["slice of int32 rows", () => ints.slice([1, 0], [2, 700]), true],
        ["empty slice", () => x.slice([2, 0, 0], [0, 70, 5]), true],
        ["slice of columns (not contiguous)", () => x.slice([0, 1, 0], [6, 3, 5]), false],
        ["concat on the batch axis", () => tf.concat([x, y, x], 0), true],
        ["concat on axis 1 after a unit axis", () => tf.concat([row, row2], 1), true],
        [
          "empty piece in a concat (tfjs drops it)",
          () => tf.concat([x, x.slice([0, 0, 0], [0, 70, 5])], 0),
          true,
        ],
        ["concat on the last axis (not contiguous)", () => tf.concat([x, x], -1), false],
        ["split in equal parts", () => tf.split(x, 3, 0), true],
        ["split by sizes with -1", () => tf.split(x, [1, -1, 2], 0), true],
        ["split of int32", () => tf.split(ints, [4, 2], 0), true],
        ["split on the last axis (not contiguous)", () => tf.split(x, [2, 3], 2), false],
      ];
      for (const [what, f, copies] of cases) {
        const { tfjs, ours } = await both(f);
        assert.deepEqual(ours.values, tfjs.values, what);
        if (copies) {
          assert.equal(ours.dispatches, 0, `${what}: no program`);
          if (!what.startsWith("empty")) assert.ok(tfjs.dispatches > 0, `${what}: on the GPU`);
        } else assert.equal(ours.dispatches, tfjs.dispatches, `${what}: tfjs's own programs`);
      }
      // small tensors whose values tfjs keeps on the CPU go to tfjs's CPU path, as before
      const small = tf.tensor2d([[1, 2], [3, 4]]);
      const { tfjs, ours } = await both(
        () => [small.slice([1, 0], [1, 2]), tf.concat([small, small])],
      );
      assert.deepEqual(ours.values, tfjs.values, "CPU-resident values");
      // gradients flow through them as through tfjs's kernels
      const g = tf.grad((t: tf.Tensor) =>
        tf.concat([t, t.mul(3)], 0).slice([2, 0, 0], [3, -1, -1]).sum()
      );
      const grads = await both(() => g(y));
      assert.deepEqual(grads.ours.values, grads.tfjs.values, "gradient");
    } finally {
      installWebGpuCopyKernels();
      tf.engine().endScope();
    }
    assertNoGpuErrors("in the copy kernels");
  },
);
