/**
 * The profiler's counts on the cpu backend: a Transformer REMUL step launches the same kernels at
 * batch 1 and batch 8, its readbacks follow the readback interval (GradNorm's too), and the
 * side-by-side comparison names a kernel whose count changes with the batch.
 */
import assert from "node:assert/strict";
import { initBackend } from "../backend/backend.ts";
import { tf } from "../tf.ts";
import { createRegistries } from "../registry.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Weighting } from "../training/procedure.ts";
import {
  compareBatches,
  formatBatchComparison,
  formatProfile,
  type ModelProfile,
  type PassProfile,
  profileModel,
} from "./kernel_profile.ts";

await initBackend("cpu");
const reg = createRegistries();
const nbody = reg.datasets.get("nbody");
const data: Dataset = await nbody.load({ ...nbody.defaults, train: 8, val: 0, test: 2, ood: 0 }, {
  seed: 1,
  dataDir: ".",
});
const TRAIN = {
  steps: 1,
  batchSize: 1,
  lr: 1e-3,
  gradClip: 10,
  groupSamples: 1,
  timingWarmup: 0,
  validateEvery: 0,
};

const GRADNORM: Weighting = {
  kind: "gradnorm",
  alpha: 1,
  beta: 1,
  gamma: 1.5,
  eta: 0.025,
  minWeight: 1e-6,
};

async function profileTransformer(
  batchSize: number,
  syncEvery: number,
  repeats = 4,
  weighting: Weighting = { kind: "constant", alpha: 1, beta: 1 },
) {
  const model = reg.models.get("transformer").create(
    { blocks: 1, channels: 16, heads: 2, mlpRatio: 2 },
    { ...data, seed: 2 },
  );
  try {
    return await profileModel(model, data, {
      weighting,
      train: { ...TRAIN, batchSize, syncEvery },
      seed: 3,
      warmup: 1,
      repeats,
    });
  } finally {
    model.dispose();
  }
}

Deno.test("a Transformer REMUL step launches the same kernels at batch 1 and batch 8", async () => {
  const before = tf.memory().numTensors;
  const p1 = await profileTransformer(1, 1);
  const p8 = await profileTransformer(8, 1);
  assert.equal(tf.memory().numTensors, before, "the profiler leaks no tensors");
  assert.ok(p1.train.kernels > p1.infer.kernels && p1.infer.kernels > 0);
  const c = compareBatches([{ batchSize: 1, profile: p1 }, { batchSize: 8, profile: p8 }]);
  assert.deepEqual(c.train.kernels, [p1.train.kernels, p1.train.kernels]);
  assert.deepEqual(c.infer.kernels, [p1.infer.kernels, p1.infer.kernels]);
  assert.deepEqual(c.growing, { train: [], infer: [] });
  assert.match(formatBatchComparison(c), /no kernel count changes with the batch/);
  // cpu: no GPU, no submits, host kernel times
  assert.equal(p1.timing, "host");
  assert.equal(p1.train.gpuMs, null);
  assert.equal(p1.submitBatch, null);
  assert.equal(p1.train.submitsPerPass, 0);
  assert.match(formatProfile(p1), /host wall time around each kernel/);
});

Deno.test("readbacks per step follow the readback interval; an inference reads once", async () => {
  const every1 = await profileTransformer(2, 1, 4);
  assert.equal(every1.syncEvery, 1);
  assert.equal(every1.train.readbacksPerPass, 1);
  assert.equal(every1.infer.readbacksPerPass, 1);
  const every4 = await profileTransformer(2, 4, 8);
  assert.equal(every4.syncEvery, 4);
  assert.equal(every4.train.readbacksPerPass, 0.25);
  // the kernel count of a step does not depend on when the loss is read
  assert.equal(every4.train.kernels, every1.train.kernels);
});

Deno.test("a GradNorm step reads nothing back between readbacks, at any batch", async () => {
  const before = tf.memory().numTensors;
  const g1 = await profileTransformer(1, 4, 8, GRADNORM);
  const g8 = await profileTransformer(8, 4, 8, GRADNORM);
  assert.equal(tf.memory().numTensors, before, "the profiler leaks no tensors");
  assert.equal(g1.syncEvery, 4);
  assert.equal(g1.train.readbacksPerPass, 0.25);
  assert.equal(g8.train.readbacksPerPass, 0.25);
  assert.equal(g8.train.kernels, g1.train.kernels);
  // two tasks' passes: more kernels than a constant-weight step
  const constant = await profileTransformer(1, 4, 8);
  assert.ok(g1.train.kernels > 1.5 * constant.train.kernels);
});

function pass(rows: Record<string, number>): PassProfile {
  const byKernel = Object.entries(rows).map(([name, calls]) => ({ name, calls, ms: calls }));
  const kernels = byKernel.reduce((s, r) => s + r.calls, 0);
  return {
    kernels,
    wallMs: 1,
    hostMs: 1,
    hostIqrMs: 0,
    kernelMs: kernels,
    gpuMs: null,
    readbacksPerPass: 0,
    submitsPerPass: 0,
    mapsPerPass: 0,
    bindGroupsPerPass: 0,
    dispatchesPerPass: 0,
    writesPerPass: 0,
    copiesPerPass: 0,
    computePassesPerPass: 0,
    submitMs: 0,
    readWaitMs: 0,
    hostOutsideSubmitMs: 1,
    buffersPerPass: 0,
    peakBytes: 0,
    byKernel: [...byKernel, { name: "Composite", calls: 7, ms: 9, composite: true }],
  };
}

Deno.test("compareBatches names kernels whose count changes with the batch", () => {
  const profile = (slices: number): ModelProfile => ({
    train: pass({ Slice: slices, Add: 3 }),
    infer: pass({ MatMul: 2 }),
    syncEvery: 1,
    timing: "host",
    submitBatch: null,
  });
  const c = compareBatches([
    { batchSize: 1, profile: profile(1) },
    { batchSize: 4, profile: profile(4) },
    { batchSize: 16, profile: profile(16) },
  ]);
  assert.deepEqual(c.batchSizes, [1, 4, 16]);
  assert.deepEqual(c.train.kernels, [4, 7, 19]);
  assert.deepEqual(c.growing, { train: ["Slice"], infer: [] });
  // a kernel that runs at one batch size only is listed with 0 at the others
  const d = compareBatches([
    { batchSize: 1, profile: { ...profile(1), infer: pass({ MatMul: 2 }) } },
    { batchSize: 2, profile: { ...profile(1), infer: pass({ MatMul: 2, Tile: 1 }) } },
  ]);
  assert.deepEqual(d.infer.rows.find((r) => r.name === "Tile")?.calls, [0, 1]);
  assert.deepEqual(d.growing.infer, ["Tile"]);
  // composite ops are not kernels
  assert.ok(!c.train.rows.some((r) => r.name === "Composite"));
  const text = formatBatchComparison(c);
  assert.match(text, /GROWS WITH THE BATCH: Slice/);
  assert.match(text, /\| Slice ⚠ \| 1 \| 4 \| 16 \|/);
  assert.throws(() => compareBatches([{ batchSize: 1, profile: profile(1) }]), /two or more/);
  // the same total with a kernel swapped for another (Identity at batch 1, Tile above) is a shift
  const e = compareBatches([
    { batchSize: 1, profile: { ...profile(1), train: pass({ Identity: 1, Tile: 3 }) } },
    { batchSize: 2, profile: { ...profile(1), train: pass({ Tile: 4 }) } },
  ]);
  assert.deepEqual(e.growing.train, ["Identity", "Tile"]);
  assert.match(formatBatchComparison(e), /same total; counts by name shift: Identity, Tile/);
  assert.doesNotMatch(formatBatchComparison(e), /GROWS/);
});
