/**
 * The WGSL sparse linear map and its adjoint against a float64 reference on the host and against
 * tfjs's composite (a dense matrix times the concatenated inputs, differentiated by tfjs), on
 * the webgpu backend: several inputs and outputs, repeated targets, empty plans and tensors, and
 * sources packed when they exceed the bindings. Runs in its own process (it switches this
 * process to webgpu); skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { countDeviceCalls } from "./webgpu_queue.ts";
import { tf } from "../tf.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import { Rng } from "../core/rng.ts";
import {
  setSparseLinear,
  SPARSE_LINEAR,
  SPARSE_LINEAR_ADJOINT,
  sparseLinear,
  sparseLinearAdjoint,
  sparseLinearAvailable,
  type SparseLinearPlan,
  SparseLinearPlanBuilder,
} from "./sparse_linear.ts";
import { gatherIndex, setWebGpuSparseLinearBindings } from "./webgpu_sparse_linear.ts";

const webgpu = await webgpuOnce("the WGSL sparse linear tests");

const sizeOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

/** A plan of `count` random entries (every entry's target and source non-empty). */
function randomPlan(
  inShapes: number[][],
  outShapes: number[][],
  count: number,
  seed: number,
): SparseLinearPlan {
  const rng = new Rng(seed);
  const b = new SparseLinearPlanBuilder(inShapes, outShapes);
  const pick = (n: number) => Math.min(n - 1, Math.floor(rng.uniform(0, n)));
  const outs = outShapes.map((_, k) => k).filter((k) => sizeOf(outShapes[k]) > 0);
  const ins = inShapes.map((_, k) => k).filter((k) => sizeOf(inShapes[k]) > 0);
  for (let e = 0; e < count; e++) {
    const out = outs[pick(outs.length)];
    const src = ins[pick(ins.length)];
    const [pos, idx] = [pick(sizeOf(outShapes[out])), pick(sizeOf(inShapes[src]))];
    const coef = rng.uniform(-2, 2);
    b.add(out, pos, src, idx, coef);
    // the same target again, from the same and from another source element
    if (e % 5 === 0) b.add(out, pos, src, idx, 0.5);
    if (e % 7 === 0) b.add(out, pos, src, pick(sizeOf(inShapes[src])), -1);
  }
  return b.build();
}

/** The map and its adjoint in float64, with each element's sum of |terms| (its error scale). */
function hostReference(plan: SparseLinearPlan, xs: Float32Array[], dys: Float32Array[]) {
  const ys = plan.outputShapes.map((s) => new Float64Array(sizeOf(s)));
  const yScale = ys.map((y) => new Float64Array(y.length));
  const dxs = plan.inputSizes.map((n) => new Float64Array(n));
  const dxScale = dxs.map((d) => new Float64Array(d.length));
  for (let e = 0; e < plan.out.length; e++) {
    const [o, p, s, i, c] = [plan.out[e], plan.pos[e], plan.src[e], plan.idx[e], plan.coef[e]];
    ys[o][p] += c * xs[s][i];
    yScale[o][p] += Math.abs(c * xs[s][i]);
    dxs[s][i] += c * dys[o][p];
    dxScale[s][i] += Math.abs(c * dys[o][p]);
  }
  return { ys, yScale, dxs, dxScale };
}

/**
 * The map from tfjs's own ops: a dense `[outputs, inputs]` matrix (repeated entries added up)
 * times the concatenated inputs, split into the outputs. Its gradient is tfjs's.
 */
function composite(plan: SparseLinearPlan, xs: tf.Tensor[]): tf.Tensor[] {
  const outSizes = plan.outputShapes.map(sizeOf);
  const [totalIn, totalOut] = [plan.inputSizes, outSizes].map((s) => s.reduce((a, n) => a + n));
  const inOffsets = plan.inputSizes.map((_, k) => plan.inputSizes.slice(0, k).reduce(sum, 0));
  const outOffsets = outSizes.map((_, k) => outSizes.slice(0, k).reduce(sum, 0));
  const dense = new Float64Array(totalOut * totalIn);
  for (let e = 0; e < plan.out.length; e++) {
    const row = outOffsets[plan.out[e]] + plan.pos[e];
    dense[row * totalIn + inOffsets[plan.src[e]] + plan.idx[e]] += plan.coef[e];
  }
  const a = tf.tensor2d(Float32Array.from(dense), [totalOut, totalIn]);
  const x = tf.concat(xs.map((t) => t.reshape([-1, 1])), 0); // [totalIn, 1]
  const y = tf.matMul(a, x); // [totalOut, 1]
  return plan.outputShapes.map((s, k) =>
    y.slice([outOffsets[k], 0], [outSizes[k], 1]).reshape([...s])
  );
}

const sum = (a: number, b: number) => a + b;

/** |actual − expected| within float32 rounding of each element's terms. */
function close(actual: Float32Array, expected: Float64Array, scale: Float64Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 4e-6 * scale[i] + 1e-30;
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}

/**
 * The kernels' values and adjoint against the float64 reference and, with `withComposite`,
 * against the composite's values and tfjs's gradients of `Σ_k sum(y_k·dy_k)`.
 */
async function compare(plan: SparseLinearPlan, label: string, withComposite = true) {
  tf.engine().startScope();
  try {
    const xs = plan.inputShapes.map((s, k) => tf.randomNormal([...s], 0, 1, "float32", 11 + k));
    const dys = plan.outputShapes.map((s, k) => tf.randomNormal([...s], 0, 1, "float32", 51 + k));
    const ys = sparseLinear(xs, plan);
    const dxs = sparseLinearAdjoint(dys, plan);
    assert.deepEqual(ys.map((t) => t.shape), plan.outputShapes, `${label}: output shapes`);
    assert.deepEqual(dxs.map((t) => t.shape), plan.inputShapes, `${label}: gradient shapes`);
    const read = (ts: tf.Tensor[]) => Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
    const [xv, dyv, yv, dxv] = await Promise.all([read(xs), read(dys), read(ys), read(dxs)]);
    const ref = hostReference(plan, xv, dyv);
    yv.forEach((y, k) => close(y, ref.ys[k], ref.yScale[k], `${label}: output ${k}`));
    dxv.forEach((d, k) => close(d, ref.dxs[k], ref.dxScale[k], `${label}: gradient ${k}`));
    if (withComposite) {
      const loss = (...inputs: tf.Tensor[]) =>
        composite(plan, inputs).map((y, k) => y.mul(dys[k]).sum()).reduce((a, b) => a.add(b));
      const [cy, cdx] = await Promise.all([read(composite(plan, xs)), read(tf.grads(loss)(xs))]);
      yv.forEach((y, k) => close(y, Float64Array.from(cy[k]), ref.yScale[k], `${label}: y ${k}`));
      dxv.forEach((d, k) =>
        close(d, Float64Array.from(cdx[k]), ref.dxScale[k], `${label}: composite grad ${k}`)
      );
    }
  } finally {
    tf.engine().endScope();
  }
  assertNoGpuErrors(`in ${SPARSE_LINEAR} ${label}`);
}

/** Several inputs (of ranks 1 to 3) and outputs, repeated targets. */
const SEVERAL = () => randomPlan([[3, 4], [5], [2, 2, 2]], [[2, 3], [7], [4]], 60, 3);
/** More sources than a program binds on llvmpipe (16): packed even at the device's limit. */
const MANY = () =>
  randomPlan(
    Array.from({ length: 20 }, (_, k) => [k + 1]),
    [[9], [33], [2, 5]],
    300,
    5,
  );
/** Some 10,000 entries over a few thousand elements (many workgroups, long entry lists). */
const LARGE = () => randomPlan([[64, 9], [40], [300]], [[48, 48], [700], [64]], 10_000, 9);

Deno.test("webgpu sparse linear: the index groups entries by target element, in plan order", () => {
  const f32 = (i: number) => new Float32Array(new Int32Array([i]).buffer)[0];
  // targets of sizes 2 and 1; sources of sizes 3 and 4; entries (t, p) ← (s, i) · c
  const { index, bases } = gatherIndex([2, 1], [3, 4], {
    target: Int32Array.from([1, 0, 0, 1]),
    targetPos: Int32Array.from([0, 1, 1, 0]),
    source: Int32Array.from([0, 1, 0, 1]),
    sourcePos: Int32Array.from([2, 3, 0, 1]),
    coef: Float64Array.from([0.5, 2, -1, 3]),
  });
  assert.deepEqual(bases, [3, 6]);
  // source offsets, target 0's starts (element 0 none, element 1 two), target 1's starts
  assert.deepEqual([...index.slice(0, 8)], [0, 3, 7, 8, 8, 14, 14, 20]);
  const entries = [...index.slice(8)].map((v, k) => k % 3 === 2 ? f32(v) : v);
  assert.deepEqual(entries, [1, 3, 2, 0, 0, -1, 0, 2, 0.5, 1, 1, 3]);
});

webgpuTest(
  webgpu,
  "webgpu: RemulSparseLinear and its adjoint equal a float64 reference and the composite",
  async () => {
    assert.ok(sparseLinearAvailable(), "the webgpu kernels are registered");
    await compare(SEVERAL(), "several inputs and outputs");
    await compare(randomPlan([[6]], [[6]], 40, 4), "one input, one output");
    await compare(LARGE(), "10,000 entries");
    await compare(MANY(), "20 inputs (packed)");
    await compare(new SparseLinearPlanBuilder([[3], [2, 2]], [[2], [2, 2]]).build(), "empty");
    // tensors of size zero, against the host only (tfjs-webgpu's own ops reject them)
    await compare(randomPlan([[0], [4]], [[3], [0, 2]], 12, 6), "empty tensors", false);
    const none = new SparseLinearPlanBuilder([[0]], [[0], [2]]).build();
    await compare(none, "nothing to read", false);
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulSparseLinear packs its sources when they exceed the bindings",
  async () => {
    try {
      // 4 bindings: the index, the target and two sources; past that, copies of 3 sources each
      setWebGpuSparseLinearBindings(4);
      await compare(SEVERAL(), "several inputs, 4 bindings");
      await compare(MANY(), "20 inputs, 4 bindings (7 copies)");
      await compare(LARGE(), "10,000 entries, 4 bindings");
      setWebGpuSparseLinearBindings(3);
      await compare(MANY(), "20 inputs, 3 bindings (10 copies)");
      // a copy of two empty sources is skipped
      await compare(randomPlan([[0], [0], [4]], [[3]], 12, 7), "3 bindings, empty", false);
      await compare(randomPlan([[0], [0]], [[3]], 0, 8), "3 bindings, all empty", false);
      assert.throws(() => setWebGpuSparseLinearBindings(2), /a program needs 3/);
    } finally {
      setWebGpuSparseLinearBindings(undefined);
    }
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulSparseLinear is one kernel each way and uploads its index once per plan",
  async () => {
    tf.engine().startScope();
    const plan = SEVERAL();
    const xs = plan.inputShapes.map((s) => tf.ones([...s]));
    const dys = plan.outputShapes.map((s) => tf.ones([...s]));
    const backend = tf.engine().backend;
    const dataIds = () => backend.numDataIds();
    // a new plan: its outputs and its index (kept after the outputs are disposed)
    let before = dataIds();
    const forward = await tf.profile(() => tf.dispose(sparseLinear(xs, plan)));
    assert.deepEqual(forward.kernelNames, [SPARSE_LINEAR]);
    assert.equal(dataIds(), before + 1, "the forward index");
    before = dataIds();
    const adjoint = await tf.profile(() => tf.dispose(sparseLinearAdjoint(dys, plan)));
    assert.deepEqual(adjoint.kernelNames, [SPARSE_LINEAR_ADJOINT]);
    assert.equal(dataIds(), before + 1, "the adjoint index");
    // the same plan again: nothing new
    before = dataIds();
    for (let i = 0; i < 3; i++) {
      tf.dispose(sparseLinear(xs, plan));
      tf.dispose(sparseLinearAdjoint(dys, plan));
    }
    assert.equal(dataIds(), before, "the indices are cached");
    // one program a call, whatever the number of targets (three outputs, three inputs here)
    const calls = countDeviceCalls();
    tf.dispose(sparseLinear(xs, plan));
    tf.dispose(sparseLinearAdjoint(dys, plan));
    calls.close();
    assert.equal(calls.counts.dispatches, 2, "one program each way");
    setSparseLinear(false);
    try {
      assert.equal(sparseLinearAvailable(), false, "turned off: callers compose");
    } finally {
      setSparseLinear(true);
    }
    tf.engine().endScope();
    assertNoGpuErrors("in RemulSparseLinear's kernel count");
  },
);
