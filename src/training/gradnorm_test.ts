import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { gradNormStep } from "./gradnorm.ts";
import { train } from "./train.ts";
import { Rng } from "../core/rng.ts";
import { HAAR, sampleRotations } from "../symmetry/rotation.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";

await useTestBackend();

Deno.test("gradNormStep follows Algorithm 1 on hand-computed numbers", () => {
  // L(0) recorded at step 0: rates are 1, so both targets equal Ḡ.
  const s0 = gradNormStep({ alpha: 1, beta: 2 }, {
    objective: 4,
    equivariance: 1,
    gradNormObjective: 3,
    gradNormEquivariance: 0.5,
  }, { gamma: 1.5, eta: 0.1, minWeight: 1e-6 });
  // G_obj = 3, G_equi = 1, Ḡ = 2 → α ← 1 − 0.1·3, β ← 2 + 0.1·0.5
  assert.ok(Math.abs(s0.alpha - 0.7) < 1e-12 && Math.abs(s0.beta - 2.05) < 1e-12);
  assert.equal(s0.initialObjective, 4);
  // Next step: L_obj fell to 2 (rate 0.5), L_equi stayed (rate 1): r = 0.75, r_α = 2/3, r_β = 4/3.
  const s1 = gradNormStep(s0, {
    objective: 2,
    equivariance: 1,
    gradNormObjective: 1,
    gradNormEquivariance: 1,
  }, { gamma: 1.5, eta: 0.1, minWeight: 1e-6 });
  const gO = 0.7, gE = 2.05, gBar = (gO + gE) / 2;
  const tO = gBar * (2 / 3) ** 1.5, tE = gBar * (4 / 3) ** 1.5;
  assert.ok(
    Math.abs(s1.targetObjective - tO) < 1e-12 && Math.abs(s1.targetEquivariance - tE) < 1e-12,
  );
  assert.ok(Math.abs(s1.alpha - (0.7 - 0.1 * Math.sign(gO - tO))) < 1e-12);
  assert.ok(Math.abs(s1.beta - (2.05 - 0.1 * Math.sign(gE - tE))) < 1e-12);
  // weights stay positive
  const s2 = gradNormStep({ alpha: 0.01, beta: 1 }, {
    objective: 1,
    equivariance: 1,
    gradNormObjective: 100,
    gradNormEquivariance: 0,
  }, { gamma: 1.5, eta: 1, minWeight: 1e-6 });
  assert.equal(s2.alpha, 1e-6);
});

Deno.test("one GradNorm training step moves α, β as Algorithm 1 prescribes (linear model)", async () => {
  // f(x) = x W with W the only (and last) layer; ∇_W of the MSE is known in closed form.
  const n = 6;
  const rng = new Rng(99);
  const X = Array.from({ length: n }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const Y = X.map((x) => [x[0] + 0.5 * x[1], x[1] - x[2], 2 * x[2]]); // not rotation-equivariant
  const W0 = [[0.2, -0.1, 0.3], [0.05, 0.4, -0.2], [0.1, 0.1, 0.6]];
  const W = tf.variable(tf.tensor2d(W0), true, "gradnorm_test_W");
  const model: Model = {
    params: [W],
    lastLayer: [W],
    forward: (f) => ({ prediction: tf.matMul(f.pos.reshape([-1, 3]), W).reshape(f.pos.shape) }),
    dispose: () => W.dispose(),
  };
  const flat = (a: number[][]) => new Float32Array(a.flat());
  const dataset: Dataset = {
    inputs: [{ name: "pos", kind: "position", shape: [1, 3] }],
    target: { name: "pos", kind: "position", shape: [1, 3] },
    splits: {
      train: { size: n, inputs: { pos: flat(X) }, target: flat(Y) },
      test: { size: n, inputs: { pos: flat(X) }, target: flat(Y) },
    },
    trainRotations: HAAR,
    protocol: {},
  };
  const seed = 7;
  const cfg = { gamma: 1.5, eta: 0.05, minWeight: 1e-6 };
  const history = await train(model, dataset, { kind: "gradnorm", alpha: 1, beta: 3, ...cfg }, {
    steps: 1,
    batchSize: n,
    lr: 1e-3,
    gradClip: 0,
    groupSamples: 1,
    timingWarmup: 0,
    validateEvery: 0,
  }, { seed });
  // Reproduce the batch order and rotations train() drew, then the gradients in float64.
  const r = new Rng(seed);
  const order = r.permutation(n);
  const rot = sampleRotations(HAAR, r, n);
  const grad = (xs: number[][], ys: number[][]) => {
    const g = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    let loss = 0;
    xs.forEach((x, s) => {
      const p = [0, 1, 2].map((j) => x[0] * W0[0][j] + x[1] * W0[1][j] + x[2] * W0[2][j]);
      for (let j = 0; j < 3; j++) {
        const e = p[j] - ys[s][j];
        loss += e * e / (3 * xs.length);
        for (let i = 0; i < 3; i++) g[i][j] += (2 / (3 * xs.length)) * x[i] * e;
      }
    });
    return { loss, norm: Math.hypot(...g.flat()) };
  };
  const rotV = (k: number, v: number[]) =>
    [0, 1, 2].map((i) =>
      rot[9 * k + 3 * i] * v[0] + rot[9 * k + 3 * i + 1] * v[1] + rot[9 * k + 3 * i + 2] * v[2]
    );
  const obj = grad(order.map((i) => X[i]), order.map((i) => Y[i]));
  const equi = grad(order.map((i, k) => rotV(k, X[i])), order.map((i, k) => rotV(k, Y[i])));
  const expected = gradNormStep({ alpha: 1, beta: 3 }, {
    objective: obj.loss,
    equivariance: equi.loss,
    gradNormObjective: obj.norm,
    gradNormEquivariance: equi.norm,
  }, cfg);
  const [, alpha, beta] = history.taskWeights[history.taskWeights.length - 1];
  assert.ok(Math.abs(alpha - expected.alpha) < 1e-5, `α ${alpha} vs ${expected.alpha}`);
  assert.ok(Math.abs(beta - expected.beta) < 1e-5, `β ${beta} vs ${expected.beta}`);
  // and the weights did move: the task with the larger weighted gradient lost weight
  assert.notEqual(alpha, 1);
  assert.equal(Math.sign(alpha - 1), -Math.sign(1 * obj.norm - 3 * equi.norm));
  model.dispose();
});
