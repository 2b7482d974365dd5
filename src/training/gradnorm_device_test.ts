import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { Rng } from "../core/rng.ts";
import { type GradNormState, gradNormStep } from "./gradnorm.ts";
import { gradNormStepTensors, type GradNormTensors } from "./gradnorm_device.ts";

await useTestBackend();

const CONFIG = { gamma: 1.5, eta: 0.05, minWeight: 1e-3 };

/** Runs the same observations through both steps and compares α, β after each. */
async function compare(
  start: [number, number],
  observations: { losses: [number, number]; norms: [number, number] }[],
  config = CONFIG,
) {
  let host: GradNormState = { alpha: start[0], beta: start[1] };
  let device: GradNormTensors = { weights: tf.tensor1d(start) };
  const made: tf.Tensor[] = [device.weights];
  for (const [i, o] of observations.entries()) {
    host = gradNormStep(host, {
      objective: o.losses[0],
      equivariance: o.losses[1],
      gradNormObjective: o.norms[0],
      gradNormEquivariance: o.norms[1],
    }, config);
    const obs = { losses: tf.tensor1d(o.losses), gradNorms: tf.tensor1d(o.norms) };
    made.push(obs.losses, obs.gradNorms);
    device = gradNormStepTensors(device, obs, config);
    made.push(device.weights);
    const [alpha, beta] = await device.weights.data();
    const tol = (x: number) => 1e-5 * (1 + Math.abs(x));
    assert.ok(
      Math.abs(alpha - host.alpha) < tol(host.alpha),
      `step ${i}: α ${alpha} vs ${host.alpha}`,
    );
    assert.ok(Math.abs(beta - host.beta) < tol(host.beta), `step ${i}: β ${beta} vs ${host.beta}`);
    // L(0) is the first step's losses, kept as they were given
    assert.deepEqual(
      [...await device.initialLosses!.data()],
      observations[0].losses.map(Math.fround),
    );
  }
  tf.dispose(made);
}

Deno.test("gradNormStepTensors follows gradNormStep over a random trajectory", async () => {
  const rng = new Rng(5);
  // losses falling at different rates, norms spread over two decades, targets on both sides
  const observations = Array.from({ length: 30 }, (_, t) => ({
    losses: [
      2 * Math.exp(-0.05 * t) * (1 + 0.2 * rng.normal() ** 2),
      0.5 + 0.1 * rng.normal() ** 2,
    ] as [
      number,
      number,
    ],
    norms: [Math.exp(rng.normal()), 0.1 * Math.exp(rng.normal())] as [number, number],
  }));
  const before = tf.memory().numTensors;
  await compare([1, 10], observations);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("gradNormStepTensors: the edge cases of gradNormStep (zero L(0), zero losses, the floor)", async () => {
  // L_equi(0) = 0: its rate is 1; both zero: the targets are Ḡ
  await compare([1, 2], [
    { losses: [4, 0], norms: [3, 0.5] },
    { losses: [2, 1], norms: [1, 1] },
  ]);
  await compare([1, 2], [
    { losses: [0, 0], norms: [3, 0.5] },
    { losses: [0, 0], norms: [1, 2] },
  ]);
  // a weight driven below the floor stops at it
  await compare([0.01, 1], [{ losses: [1, 1], norms: [100, 0] }], { ...CONFIG, eta: 1 });
});
