/**
 * The shorter dispatch path against tfjs-webgpu's own: the same pipeline keys, the same bits, and
 * a training run that ends with the same losses and weights with it on and off. Runs on webgpu
 * (llvmpipe here); skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { probeAdapter } from "./backend.ts";
import {
  DispatchMemo,
  fastDispatchStats,
  installWebGpuFastDispatch,
  shaderKeyOf,
} from "./webgpu_dispatch.ts";
import { LAYER_NORM_KERNEL } from "./webgpu_layer_norm.ts";
import { webgpuOnce } from "../testing/webgpu_once.ts";
import { sameTrainingBits, webgpuChildTest } from "../testing/webgpu_training_run.ts";

const webgpu = await webgpuOnce("the WebGPU dispatch path tests");

Deno.test("shaderKeyOf builds tfjs's key: broadcast dimensions, shape equality, flat dispatch", () => {
  const program = {
    shaderKey: "binary_add",
    workgroupSize: [64, 1, 1],
    variableNames: ["A", "B"],
    dispatch: [4, 1, 1] as [number, number, number],
  };
  const key = shaderKeyOf(
    program,
    [{ shape: [2, 1, 5], dtype: "float32" }, { shape: [3, 5], dtype: "float32" }],
    { shape: [2, 3, 5], dtype: "float32" },
  );
  // ranks and dtypes of A, B and the output; A broadcast on axis 1, B on none; neither equal
  assert.equal(key, "binary_add_64,1,13,2,3float32,float32,float32A,B1;false_falseflatDispatch");
  const key2d = shaderKeyOf({ ...program, dispatch: [4, 2, 1], workgroupSize: undefined }, [
    { shape: [1], dtype: "int32" },
  ], { shape: [7], dtype: "bool" });
  assert.equal(key2d, "binary_add_1,1int32,boolA,B0false");
});

/** Ops that cover broadcasting, matmuls, reductions, bool and int32 buffers, a project kernel. */
function ops(): tf.Tensor[] {
  const a = tf.tensor2d(Array.from({ length: 64 * 80 }, (_, i) => Math.sin(i)), [64, 80]);
  const b = tf.tensor2d(Array.from({ length: 80 * 48 }, (_, i) => Math.cos(i)), [80, 48]);
  const row = tf.tensor1d(Array.from({ length: 80 }, (_, i) => i / 7));
  return [
    a.add(row), // broadcast over rows
    a.mul(a).sum(1),
    tf.matMul(a, b),
    tf.matMul(a, b.transpose(), false, true),
    a.greater(0.5).cast("int32").add(tf.scalar(1, "int32")), // bool, int32
    a.transpose().relu(),
    tf.engine().runKernel(LAYER_NORM_KERNEL, { x: a }) as tf.Tensor, // a project WGSL kernel
    a,
    b,
    row,
  ];
}

Deno.test({
  name: "webgpu: the shorter path reuses tfjs's pipelines and gives the same bits",
  ignore: !(await probeAdapter()),
  fn: async () => {
    if (!(await webgpu())) return;
    const backend = tf.backend() as unknown as { pipelineCache: Record<string, unknown> };
    assert.match(installWebGpuFastDispatch(backend as never), /shorter path/); // installed already
    // under tf.profile every program goes through tfjs's own path, which compiles them
    let reference: Float32Array[] = [];
    await tf.profile(async () => {
      const outs = ops();
      reference = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outs);
    });
    const pipelines = Object.keys(backend.pipelineCache).length;
    const before = { ...fastDispatchStats };
    const outs = ops();
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    assert.equal(Object.keys(backend.pipelineCache).length, pipelines, "no program compiled again");
    assert.ok(fastDispatchStats.fast - before.fast >= 7, JSON.stringify(fastDispatchStats));
    assert.equal(fastDispatchStats.tfjs, before.tfjs, "every program took the shorter path");
    values.forEach((v, i) => assert.deepEqual(v, reference[i], `output ${i}`));
  },
});

Deno.test({
  name: "webgpu: a dispatch remembered by shape is not reused for other uniform values or shapes",
  ignore: !(await probeAdapter()),
  fn: async () => {
    if (!(await webgpu())) return;
    const x = tf.tensor2d([[-2, -0.5, 0.25], [0.75, 1.5, 3]]);
    const wide = tf.tensor2d([[-2, -0.5, 0.25, 4], [0.75, 1.5, 3, -4]]);
    const bits = async (t: tf.Tensor) => {
      const v = await t.data() as Float32Array;
      t.dispose();
      return [...new Uint32Array(v.buffer, v.byteOffset, v.length)];
    };
    const f32 = (values: number[]) => [...new Uint32Array(new Float32Array(values).buffer)];
    const before = { ...fastDispatchStats };
    // the same program and shapes, its uniforms (the bounds) different each time; the first
    // compiles (tfjs's path), the others are remembered dispatches or new ones
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(await bits(x.clipByValue(-1, 1)), f32([-1, -0.5, 0.25, 0.75, 1, 1]));
      assert.deepEqual(await bits(x.clipByValue(0, 2)), f32([0, 0, 0.25, 0.75, 1.5, 2]));
      // -0 is a uniform value of its own (a map would take it for 0)
      assert.deepEqual(await bits(x.clipByValue(-0, 2)), f32([-0, -0, 0.25, 0.75, 1.5, 2]));
      assert.deepEqual(await bits(x.clipByValue(0, 2)), f32([0, 0, 0.25, 0.75, 1.5, 2]));
      // the same uniforms, another shape
      assert.deepEqual(
        await bits(wide.clipByValue(0, 2)),
        f32([0, 0, 0.25, 2, 0.75, 1.5, 2, 0]),
      );
    }
    assert.ok(fastDispatchStats.fast - before.fast >= 5, JSON.stringify(fastDispatchStats));
    tf.dispose([x, wide]);
  },
});

await webgpuChildTest(
  "webgpu: training gives the same bits with the shorter path as with tfjs's",
  async () => {
    await sameTrainingBits({ REMUL_WEBGPU_FAST_DISPATCH: "1" }, {
      REMUL_WEBGPU_FAST_DISPATCH: "0",
    });
  },
);

Deno.test("REMUL_WEBGPU_FAST_DISPATCH: a bad value names the variable", () => {
  Deno.env.set("REMUL_WEBGPU_FAST_DISPATCH", "yes");
  try {
    assert.throws(
      () => installWebGpuFastDispatch({} as never),
      /REMUL_WEBGPU_FAST_DISPATCH: expected 0 or 1, got "yes"/,
    );
  } finally {
    Deno.env.delete("REMUL_WEBGPU_FAST_DISPATCH");
  }
});

Deno.test("DispatchMemo: one leaf per program, shapes, dtypes and uniform values, also after it starts again", () => {
  const memo = new DispatchMemo(3);
  const program = (shaderKey: string) => ({
    shaderKey,
    variableNames: ["A", "B"],
    outputShape: [2, 3],
    dispatch: [1, 1, 1] as [number, number, number],
    dispatchLayout: { x: [0, 1] },
    workgroupSize: [64, 1, 1],
  });
  const t = (shape: number[]) => ({ dataId: {}, shape, dtype: "float32" });
  const leaf = (key: string, shape: number[], value: number) =>
    memo.leaf(program(key), [t(shape), t([3])], ["float32", "float32"], t([2, 3]), [
      { type: "float32", data: [value] },
    ]);
  const a = leaf("add", [2, 3], 1);
  assert.equal(leaf("add", [2, 3], 1), a, "the same dispatch again");
  assert.equal(a.key, shaderKeyOf(program("add"), [t([2, 3]), t([3])], t([2, 3])));
  assert.notEqual(leaf("add", [2, 3], 2), a, "another uniform value");
  assert.notEqual(leaf("add", [2, 3], -0), leaf("add", [2, 3], 0), "-0 is not 0");
  // the fourth dispatch found it full (3 entries): it started again, keeping its strings'
  // numbers; another program with that dispatch's shapes and values gets its own key
  const mulKey = (shape: number[]) => shaderKeyOf(program("mul"), [t(shape), t([3])], t([2, 3]));
  assert.equal(leaf("mul", [2, 3], 0).key, mulKey([2, 3]));
  const again = leaf("mul", [1, 3], 1);
  assert.equal(again.key, mulKey([1, 3]));
  assert.equal(leaf("mul", [1, 3], 1), again);
  assert.notEqual(leaf("add", [2, 3], 1), a, "forgotten when it started again");
  assert.equal(leaf("add", [2, 3], 1).key, a.key);
});
