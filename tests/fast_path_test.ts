/**
 * The fast paths change no results: a 20-step REMUL training trajectory of the Transformer, the
 * GNN and EGNN with the project's wasm kernels (SIMD loops included), the fused attention, layer
 * norm, GELU, SiLU, pair kernels and the flat Adam matches tfjs's shipped kernels, the composite
 * ops, tfjs's Adam and per-variable clipping within 1e-4 relative, and the GELU without pow/tanh
 * is the tanh-approximated GELU.
 */
import assert from "node:assert/strict";
import { useTestBackend } from "../src/testing/test_backend.ts";
import { createRegistries } from "../src/registry.ts";
import { createTrainer, type TrainConfig } from "../src/training/train.ts";
import { makeBatch } from "../src/data/dataset.ts";
import { remulLoss } from "../src/training/remul_loss.ts";
import { sampleRotations } from "../src/symmetry/rotation.ts";
import { Rng } from "../src/core/rng.ts";
import { gelu } from "../src/models/nn.ts";
import { setFusedAttention } from "../src/backend/fused_attention.ts";
import { setFusedOps } from "../src/backend/fused_op.ts";
import { setFusedDense } from "../src/backend/fused_dense.ts";
import { tf, type Variable } from "../src/tf.ts";
import { installWasmTranspose, uninstallWasmTranspose } from "../src/backend/wasm_transpose.ts";
import { installWasmSlice, uninstallWasmSlice } from "../src/backend/wasm_slice.ts";
import { installWasmShare, uninstallWasmShare } from "../src/backend/wasm_share.ts";
import { installWasmReduce, uninstallWasmReduce } from "../src/backend/wasm_reduce.ts";
import { installWasmBlasMatMul, uninstallWasmBlasMatMul } from "../src/backend/wasm_blas_matmul.ts";

await useTestBackend();
const onWasm = (Deno.env.get("REMUL_TEST_BACKEND") ?? "wasm") === "wasm";

const CONFIG: TrainConfig = {
  steps: 20,
  batchSize: 16,
  lr: 3e-3,
  gradClip: 1, // small enough that clipping is active
  groupSamples: 1,
  timingWarmup: 0,
  validateEvery: 0,
};

/** The models whose fast kernels the trajectories cover, at small sizes. */
const MODELS: Readonly<Record<string, Record<string, number>>> = {
  transformer: { blocks: 2, channels: 32, heads: 4, mlpRatio: 2 },
  gnn: { layers: 2, hidden: 16 },
  egnn: { layers: 2, hidden: 16 },
};

async function setup(modelId: string) {
  const reg = createRegistries();
  const def = reg.datasets.get("nbody");
  const data = await def.load({ ...def.defaults, train: 32, val: 0, test: 4, ood: 0 }, {
    seed: 7,
    dataDir: ".",
  });
  const model = reg.models.get(modelId).create(MODELS[modelId], { ...data, seed: 11 });
  return { data, model };
}

/** The training step as it was: tfjs's Adam, clipping per variable, tfjs's shipped kernels. */
async function referenceTrajectory(
  modelId: string,
): Promise<{ losses: number[]; params: Float32Array[] }> {
  const { data, model } = await setup(modelId);
  const rng = new Rng(5);
  const optimizer = tf.train.adam(CONFIG.lr);
  const split = data.splits.train;
  const losses: number[] = [];
  let order: number[] = [];
  let cursor = 0;
  for (let step = 0; step < CONFIG.steps; step++) {
    if (cursor + CONFIG.batchSize > order.length) {
      order = rng.permutation(split.size);
      cursor = 0;
    }
    const batch = makeBatch(data, split, order.slice(cursor, cursor + CONFIG.batchSize));
    cursor += CONFIG.batchSize;
    const rotations = tf.tensor(
      sampleRotations(data.trainRotations, rng, CONFIG.batchSize),
      [CONFIG.batchSize, 3, 3],
    );
    const { value, grads } = tf.variableGrads(
      () =>
        remulLoss((f) => model.forward(f), batch, {
          alpha: 1,
          beta: 1,
          inputs: data.inputs,
          target: data.target,
          rotations,
        }).total as tf.Scalar,
      model.params as Variable[],
    );
    const clipped = tf.tidy(() => {
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => grads[n].square().sum())));
      const scale = tf.minimum(1, tf.scalar(CONFIG.gradClip).div(norm.add(1e-12)));
      return names.map((name) => ({ name, tensor: grads[name].mul(scale) }));
    });
    optimizer.applyGradients(clipped);
    losses.push((await value.data())[0]);
    tf.dispose([
      value,
      grads,
      clipped.map((c) => c.tensor),
      rotations,
      batch.target,
      ...Object.values(batch.inputs),
    ]);
  }
  const params = await Promise.all(model.params.map(async (p) => new Float32Array(await p.data())));
  optimizer.dispose();
  model.dispose();
  return { losses, params };
}

async function fastTrajectory(
  modelId: string,
): Promise<{ losses: number[]; params: Float32Array[] }> {
  const { data, model } = await setup(modelId);
  const trainer = createTrainer(model, data, { kind: "constant", alpha: 1, beta: 1 }, CONFIG, 5);
  const losses: number[] = [];
  for (let step = 0; step < CONFIG.steps; step++) losses.push(await trainer.step());
  const params = await Promise.all(model.params.map(async (p) => new Float32Array(await p.data())));
  trainer.dispose();
  model.dispose();
  return { losses, params };
}

for (const modelId of Object.keys(MODELS)) {
  Deno.test(`${modelId}: 20 REMUL steps on the fast kernels and flat Adam match tfjs's kernels and Adam within 1e-4`, async () => {
    if (!onWasm) return; // the comparison is with tfjs-backend-wasm's shipped kernels
    const fast = await fastTrajectory(modelId);
    const uninstall = [
      uninstallWasmTranspose,
      uninstallWasmSlice,
      uninstallWasmShare,
      uninstallWasmReduce,
      uninstallWasmBlasMatMul,
    ];
    uninstall.forEach((f) => f());
    setFusedAttention(false);
    setFusedOps(false);
    setFusedDense(false);
    let reference: { losses: number[]; params: Float32Array[] };
    try {
      reference = await referenceTrajectory(modelId);
    } finally {
      setFusedAttention(true);
      setFusedOps(true);
      setFusedDense(true);
      installWasmTranspose();
      installWasmSlice();
      installWasmShare();
      installWasmReduce();
      installWasmBlasMatMul();
    }
    assert.ok(reference.losses[19] < reference.losses[0], "the reference run learns");
    for (let i = 0; i < CONFIG.steps; i++) {
      const rel = Math.abs(fast.losses[i] - reference.losses[i]) / Math.abs(reference.losses[i]);
      assert.ok(rel < 1e-4, `loss at step ${i + 1}: ${fast.losses[i]} vs ${reference.losses[i]}`);
    }
    let diff = 0;
    let norm = 0;
    fast.params.forEach((p, i) =>
      p.forEach((v, k) => {
        diff += (v - reference.params[i][k]) ** 2;
        norm += reference.params[i][k] ** 2;
      })
    );
    assert.ok(
      Math.sqrt(diff / norm) < 1e-4,
      `weights differ by ${Math.sqrt(diff / norm)} relative`,
    );
  });
}

Deno.test("GELU without pow/tanh is the tanh-approximated GELU, values and gradients", async () => {
  const x = tf.linspace(-6, 6, 241);
  const reference = (t: tf.Tensor) =>
    t.mul(0.5).mul(tf.tanh(t.add(t.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  const [a, b] = await Promise.all([gelu(x).data(), reference(x).data()]);
  const [ga, gb] = await Promise.all([
    tf.grad((t: tf.Tensor) => gelu(t).sum())(x).data(),
    tf.grad((t: tf.Tensor) => reference(t).sum())(x).data(),
  ]);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) < 2e-6 * (1 + Math.abs(b[i])), `gelu at ${i}`);
    assert.ok(Math.abs(ga[i] - gb[i]) < 2e-5, `gelu' at ${i}: ${ga[i]} vs ${gb[i]}`);
  }
  x.dispose();
});
