/**
 * GradNorm's update as one WGSL program against the composite of tfjs ops it replaces (fused ops
 * off), on webgpu (llvmpipe here); skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { Rng } from "../core/rng.ts";
import { setFusedOps } from "./fused_op.ts";
import { dispatchesOf, webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { gradNormStepTensors, type GradNormTensors } from "../training/gradnorm_device.ts";

const webgpu = await webgpuOnce("the WGSL GradNorm tests");

const CONFIG = { gamma: 1.5, eta: 0.05, minWeight: 1e-3 };

type Observation = { losses: [number, number]; norms: [number, number] };

/** α, β after each observation, with the fused program (on) or the composite (off). */
async function trajectory(
  fused: boolean,
  start: [number, number],
  observations: Observation[],
  config = CONFIG,
): Promise<number[][]> {
  setFusedOps(fused);
  try {
    let state: GradNormTensors = { weights: tf.tensor1d(start) };
    const made: tf.Tensor[] = [state.weights];
    const out: number[][] = [];
    for (const o of observations) {
      const obs = { losses: tf.tensor1d(o.losses), gradNorms: tf.tensor1d(o.norms) };
      state = gradNormStepTensors(state, obs, config);
      made.push(obs.losses, obs.gradNorms, state.weights);
      out.push([...await state.weights.data()]);
    }
    tf.dispose(made);
    return out;
  } finally {
    setFusedOps(true);
  }
}

async function agree(start: [number, number], observations: Observation[], config = CONFIG) {
  const fused = await trajectory(true, start, observations, config);
  const composite = await trajectory(false, start, observations, config);
  fused.forEach((w, i) =>
    w.forEach((x, j) =>
      assert.ok(
        Math.abs(x - composite[i][j]) <= 1e-6 * (1 + Math.abs(x)),
        `step ${i}, weight ${j}: ${x} (fused) vs ${composite[i][j]} (composite)`,
      )
    )
  );
  return fused;
}

webgpuTest(
  webgpu,
  "webgpu: RemulGradNormStep follows the composite over random trajectories",
  async () => {
    const rng = new Rng(11);
    for (const gamma of [1.5, 0.5, 3]) {
      const observations = Array.from({ length: 25 }, (_, t) => ({
        losses: [2 * Math.exp(-0.05 * t) * (1 + 0.2 * rng.normal() ** 2), 0.5 + rng.uniform()] as [
          number,
          number,
        ],
        norms: [Math.exp(rng.normal()), 0.1 * Math.exp(rng.normal())] as [number, number],
      }));
      const before = tf.memory().numTensors;
      const w = await agree([1, 10], observations, { ...CONFIG, gamma });
      assert.equal(tf.memory().numTensors, before);
      assert.notDeepEqual(w.at(-1), [1, 10], "the weights moved");
    }
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulGradNormStep: zero L(0), zero losses, γ = 0 and the floor as the composite",
  async () => {
    await agree([1, 2], [{ losses: [4, 0], norms: [3, 0.5] }, { losses: [2, 1], norms: [1, 1] }]);
    await agree([1, 2], [{ losses: [0, 0], norms: [3, 0.5] }, { losses: [0, 0], norms: [1, 2] }]);
    await agree([1, 2], [{ losses: [4, 2], norms: [3, 0.5] }, { losses: [0, 1], norms: [1, 2] }]);
    await agree([1, 2], [{ losses: [4, 2], norms: [3, 0.5] }, { losses: [1, 3], norms: [2, 2] }], {
      ...CONFIG,
      gamma: 0,
    });
    const floored = await agree([0.01, 1], [{ losses: [1, 1], norms: [100, 0] }], {
      ...CONFIG,
      eta: 1,
    });
    assert.deepEqual(floored[0].map(Math.fround), [Math.fround(1e-3), 1]);
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulGradNormStep is one program where the composite launches dozens",
  () => {
    const weights = tf.tensor1d([1, 10]);
    const obs = { losses: tf.tensor1d([1, 2]), gradNorms: tf.tensor1d([2, 0.1]) };
    const step = () =>
      gradNormStepTensors({ weights, initialLosses: obs.losses }, obs, CONFIG).weights;
    const fused = dispatchesOf(step);
    setFusedOps(false);
    let composite: number;
    try {
      composite = dispatchesOf(step);
    } finally {
      setFusedOps(true);
    }
    assert.equal(fused, 1);
    assert.ok(composite >= 15, `${composite} programs`);
    tf.dispose([weights, obs.losses, obs.gradNorms]);
  },
);
