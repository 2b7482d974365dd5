import assert from "node:assert/strict";
import { tf } from "../src/tf.ts";
import { type BackendName, initBackend, probeAdapter } from "../src/backend/backend.ts";
import { assertNoGpuErrors } from "../src/backend/gpu_errors.ts";
import { createTransformer } from "../src/models/transformer.ts";
import { createGatr, gatr } from "../src/models/gatr/gatr.ts";
import { BLOCK_LINEAR, BLOCK_LINEAR_GRAD, setBlockLinear } from "../src/backend/block_linear.ts";
import {
  setSparseLinear,
  SPARSE_LINEAR,
  SPARSE_LINEAR_ADJOINT,
} from "../src/backend/sparse_linear.ts";
import {
  GATR_GATE,
  GATR_GATE_GRAD,
  GATR_NORM,
  GATR_NORM_GRAD,
  setGatrRows,
} from "../src/backend/gatr_rows.ts";
import { setGatrAttention } from "../src/backend/gatr_attention.ts";
import { ATTENTION_KERNELS } from "../src/testing/gatr_attention_reference.ts";
import { setGatrBilinear } from "../src/backend/gatr_bilinear.ts";
import { BILINEAR_KERNELS } from "../src/testing/gatr_bilinear_reference.ts";
import { equivarianceGapAsync, TEST_ELEMENTS } from "../src/testing/equivariance.ts";
import { loadNBody, NBODY_DEFAULTS } from "../src/data/nbody.ts";
import { makeBatch } from "../src/data/dataset.ts";
import { train } from "../src/training/train.ts";
import type { Weighting } from "../src/training/procedure.ts";
import { remulLoss } from "../src/training/remul_loss.ts";
import { sampleRotations } from "../src/symmetry/rotation.ts";
import { Rng } from "../src/core/rng.ts";
import {
  FUSED_DENSE,
  FUSED_DENSE_GRAD_BIAS,
  FUSED_DENSE_GRAD_INPUT,
  FUSED_DENSE_GRAD_WEIGHT,
  setFusedDense,
} from "../src/backend/fused_dense.ts";

const adapter = await probeAdapter();

Deno.test({
  name: "a Transformer forward agrees across cpu, wasm and webgpu to 1e-4",
  // WebGPU on a software adapter compiles shaders slowly (10–25 s on first use).
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const data = loadNBody({ ...NBODY_DEFAULTS, train: 8, val: 1, test: 8, ood: 1 }, 5);
    const backends: BackendName[] = ["cpu", "wasm", ...(adapter ? ["webgpu" as const] : [])];
    const outputs: Record<string, Float32Array> = {};
    for (const name of backends) {
      await initBackend(name);
      const model = createTransformer({ blocks: 2, channels: 32, heads: 4, mlpRatio: 2 }, {
        inputs: data.inputs,
        target: data.target,
        seed: 11,
      });
      const batch = makeBatch(data, data.splits.test, [0, 1, 2, 3, 4, 5, 6, 7]);
      const y = model.forward(batch.inputs).prediction;
      outputs[name] = (await y.data()) as Float32Array;
      tf.dispose([y, batch.target, ...Object.values(batch.inputs)]);
      model.dispose();
    }
    const ref = outputs.cpu;
    for (const name of backends) {
      const out = outputs[name];
      let worst = 0;
      for (let i = 0; i < ref.length; i++) {
        worst = Math.max(worst, Math.abs(out[i] - ref[i]) / (1 + Math.abs(ref[i])));
      }
      assert.ok(worst < 1e-4, `${name} differs from cpu by ${worst}`);
    }
    if (!adapter) console.warn("no WebGPU adapter here: compared cpu and wasm only");
    await initBackend("wasm");
  },
});

Deno.test({
  name:
    "training steps agree across cpu, wasm and webgpu (plain, REMUL and GradNorm, with clipping)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const data = loadNBody({ ...NBODY_DEFAULTS, train: 32, val: 1, test: 1, ood: 1 }, 6);
    const backends: BackendName[] = ["cpu", "wasm", ...(adapter ? ["webgpu" as const] : [])];
    const curves: Record<string, number[]> = {};
    // plain, REMUL β = 1, GradNorm from β₀ = 1 (its α, β updated on each backend's device)
    const weightings: Weighting[] = [
      { kind: "constant", alpha: 1, beta: 0 },
      { kind: "constant", alpha: 1, beta: 1 },
      { kind: "gradnorm", alpha: 1, beta: 1, gamma: 1.5, eta: 0.025, minWeight: 1e-6 },
    ];
    for (const name of backends) {
      await initBackend(name);
      for (const [w, weighting] of weightings.entries()) {
        const model = createTransformer({ blocks: 1, channels: 16, heads: 2, mlpRatio: 2 }, {
          inputs: data.inputs,
          target: data.target,
          seed: 5,
        });
        const h = await train(model, data, weighting, {
          steps: 5,
          batchSize: 16,
          lr: 3e-3,
          gradClip: 1, // small: the clipping path (AddN over every gradient) is exercised
          groupSamples: 1,
          timingWarmup: 0,
          validateEvery: 0,
        }, { seed: 9 });
        // the losses, then the task weights after the last step
        const [, alpha, beta] = h.taskWeights[h.taskWeights.length - 1];
        curves[`${name}:${w}`] = [...h.loss.map(([, l]) => l), alpha, beta];
        model.dispose();
      }
    }
    assert.notEqual(curves["cpu:2"].at(-1), 1, "GradNorm moved β");
    for (const name of backends) {
      for (const w of weightings.keys()) {
        const a = curves[`cpu:${w}`];
        const b = curves[`${name}:${w}`];
        a.forEach((v, i) =>
          assert.ok(
            Math.abs(v - b[i]) < 1e-4 * (1 + Math.abs(v)),
            `${name} ${JSON.stringify(weightings[w])} value ${i + 1}: ${b[i]} vs cpu ${v}`,
          )
        );
      }
    }
    await initBackend("wasm");
  },
});

/**
 * One REMUL training step of a small Transformer on webgpu (the loss and the gradient of every
 * weight), with the dense layers as `RemulDense` or composed (`setFusedDense(false)`); with the
 * kernel names of the step.
 */
async function transformerRemulStep(fused: boolean) {
  setFusedDense(fused);
  try {
    const data = loadNBody({ ...NBODY_DEFAULTS, train: 16, val: 1, test: 1, ood: 1 }, 8);
    const model = createTransformer({ blocks: 2, channels: 16, heads: 2, mlpRatio: 2 }, {
      inputs: data.inputs,
      target: data.target,
      seed: 12,
    });
    const rows = [...Array(16).keys()];
    const batch = makeBatch(data, data.splits.train, rows);
    const rotations = tf.tensor(sampleRotations(data.trainRotations, new Rng(3), 16), [16, 3, 3]);
    const loss = () =>
      remulLoss((f) => model.forward(f), batch, {
        alpha: 1,
        beta: 1,
        inputs: data.inputs,
        target: data.target,
        rotations,
      }).total as tf.Scalar;
    let value: tf.Tensor | undefined;
    let grads: Record<string, tf.Tensor> = {};
    const profile = await tf.profile(() => {
      ({ value, grads } = tf.variableGrads(loss, [...model.params]));
    });
    const values = await Promise.all(
      [value!, ...model.params.map((p) => grads[p.name])].map((t) =>
        t.data() as Promise<Float32Array>
      ),
    );
    tf.dispose([value!, rotations, batch.target, ...Object.values(batch.inputs)]);
    tf.dispose(Object.values(grads));
    model.dispose();
    assertNoGpuErrors(`in the Transformer REMUL step (fused dense: ${fused})`);
    return { values, kernels: profile.kernelNames };
  } finally {
    setFusedDense(true);
  }
}

Deno.test({
  name: "webgpu: a Transformer REMUL step with the dense kernels equals the composed one",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await initBackend("webgpu");
    const fused = await transformerRemulStep(true);
    const composed = await transformerRemulStep(false);
    for (const k of [FUSED_DENSE, FUSED_DENSE_GRAD_INPUT, FUSED_DENSE_GRAD_WEIGHT]) {
      assert.ok(fused.kernels.includes(k), `fused: the step launches ${k}`);
      assert.ok(!composed.kernels.includes(k), `composed: no ${k}`);
    }
    assert.ok(fused.kernels.includes(FUSED_DENSE_GRAD_BIAS), "fused: bias gradients");
    for (const [i, expected] of composed.values.entries()) {
      const actual = fused.values[i];
      assert.equal(actual.length, expected.length);
      const rms = Math.sqrt(expected.reduce((s, v) => s + v * v, 0) / expected.length);
      for (let j = 0; j < expected.length; j++) {
        const what = i === 0 ? "loss" : `gradient of weight ${i - 1}`;
        assert.ok(
          Math.abs(actual[j] - expected[j]) <= 1e-5 * (Math.abs(expected[j]) + rms),
          `${what} [${j}]: ${actual[j]} with the dense kernels, ${expected[j]} composed`,
        );
      }
    }
    await initBackend("wasm");
  },
});

/**
 * A tiny GATr's prediction and the gradients of `sum(prediction·w)` for its every weight, end to
 * end (its equivariant linear maps run `RemulBlockLinear` on wasm with OpenBLAS and on webgpu,
 * and assemble their weights with `RemulSparseLinear` on cpu, wasm and webgpu; its pre-norms and
 * MLP nonlinearities run `RemulGatrNorm` and `RemulGatrGate`, its attention the `RemulGatrAttn*`
 * kernels and its bilinear products `RemulGatrBilinear*`, on wasm and webgpu; all compose
 * elsewhere or with `compose`); with the kernel names of the gradient pass and, on request, the
 * equivariance gaps. Reads back asynchronously (webgpu has no synchronous read).
 */
async function gatrRun(name: BackendName, { compose = false, gaps = false } = {}) {
  await initBackend(name);
  setBlockLinear(!compose);
  setSparseLinear(!compose);
  setGatrRows(!compose);
  setGatrAttention(!compose);
  setGatrBilinear(!compose);
  try {
    const data = loadNBody({ ...NBODY_DEFAULTS, train: 1, val: 1, test: 6, ood: 1 }, 7);
    const model = createGatr({ ...gatr.defaults, ...gatr.smoke }, {
      inputs: data.inputs,
      target: data.target,
      seed: 3,
    });
    const batch = makeBatch(data, data.splits.test, [0, 1, 2, 3, 4, 5]);
    const w = tf.randomNormal(batch.target.shape, 0, 1, "float32", 4);
    const loss = () => tf.tidy(() => model.forward(batch.inputs).prediction.mul(w).sum());
    let grads: Record<string, tf.Tensor> = {};
    const profile = await tf.profile(() => {
      grads = tf.variableGrads(loss as () => tf.Scalar, [...model.params]).grads;
    });
    const prediction = tf.tidy(() => model.forward(batch.inputs).prediction);
    const values = await Promise.all(
      [prediction, ...model.params.map((p) => grads[p.name])].map((t) => t.data()),
    );
    const equivariance: Record<string, number> = {};
    if (gaps) {
      const f = (x: Record<string, tf.Tensor>) => model.forward(x).prediction;
      for (const [element, g] of Object.entries(TEST_ELEMENTS)) {
        equivariance[element] = await equivarianceGapAsync(
          f,
          batch.inputs,
          data.inputs,
          "position",
          g,
        );
      }
    }
    tf.dispose([prediction, w, batch.target, ...Object.values(batch.inputs)]);
    tf.dispose(Object.values(grads));
    model.dispose();
    if (name === "webgpu") assertNoGpuErrors(`in the GATr run (compose: ${compose})`);
    return { values, kernels: profile.kernelNames, equivariance };
  } finally {
    setBlockLinear(true);
    setSparseLinear(true);
    setGatrRows(true);
    setGatrAttention("auto");
    setGatrBilinear("auto");
  }
}

Deno.test({
  name:
    "a GATr's prediction and gradients agree across cpu, wasm and webgpu (block and sparse linear, norm, gate, attention and bilinear kernels)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cpu = await gatrRun("cpu");
    for (
      const k of [BLOCK_LINEAR, GATR_NORM, GATR_GATE, ...ATTENTION_KERNELS, ...BILINEAR_KERNELS]
    ) {
      assert.ok(!cpu.kernels.includes(k), `cpu composes: no ${k}`);
    }
    const runs = { wasm: await gatrRun("wasm") } as Record<
      string,
      Awaited<ReturnType<typeof gatrRun>>
    >;
    const rowKernels = [GATR_NORM, GATR_NORM_GRAD, GATR_GATE, GATR_GATE_GRAD];
    for (const k of [...rowKernels, ...ATTENTION_KERNELS, ...BILINEAR_KERNELS]) {
      assert.ok(runs.wasm.kernels.includes(k), `wasm launches ${k}`);
    }
    if (adapter) {
      runs.webgpu = await gatrRun("webgpu", { gaps: true });
      runs["webgpu composed"] = await gatrRun("webgpu", { compose: true });
      const kernels = runs.webgpu.kernels;
      const fused = [BLOCK_LINEAR, BLOCK_LINEAR_GRAD, SPARSE_LINEAR, SPARSE_LINEAR_ADJOINT];
      fused.push(...rowKernels, ...ATTENTION_KERNELS, ...BILINEAR_KERNELS);
      for (const k of fused) {
        assert.ok(kernels.includes(k), `webgpu launches ${k}`);
        assert.ok(!runs["webgpu composed"].kernels.includes(k), `composed: no ${k}`);
      }
      for (const [element, gap] of Object.entries(runs.webgpu.equivariance)) {
        assert.ok(gap < 1e-4, `webgpu: equivariance gap under ${element}: ${gap}`);
      }
    } else {
      console.warn("no WebGPU adapter here: compared cpu and wasm only");
    }
    for (const [name, run] of Object.entries(runs)) {
      for (const [i, expected] of cpu.values.entries()) {
        let worst = 0;
        for (let j = 0; j < expected.length; j++) {
          const e = Math.abs(run.values[i][j] - expected[j]) / (1 + Math.abs(expected[j]));
          worst = Math.max(worst, e);
        }
        const what = i === 0 ? "prediction" : `gradient ${i - 1}`;
        assert.ok(worst < 1e-4, `${name}: ${what} differs from cpu by ${worst}`);
      }
    }
    await initBackend("wasm");
  },
});

Deno.test({
  name: "webgpu: AddN over many inputs is correct and leaves no GPU error",
  ignore: !adapter,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await initBackend("webgpu");
    for (const n of [2, 7, 8, 9, 16, 37]) {
      const parts = Array.from({ length: n }, (_, i) => tf.fill([3, 5], i + 1).square().sum());
      const expected = Array.from({ length: n }, (_, i) => 15 * (i + 1) ** 2).reduce((a, b) =>
        a + b
      );
      const got = (await tf.addN(parts).data())[0];
      const chained = (await parts.reduce((a, b) => a.add(b)).data())[0];
      assert.equal(got, expected, `addN of ${n}`);
      assert.equal(chained, expected, `chained add of ${n}`);
    }
    assertNoGpuErrors("in the AddN test");
    await initBackend("wasm");
  },
});
