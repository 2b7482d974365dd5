/**
 * Step replay on webgpu (llvmpipe here): training is bit-identical with it on and off for every
 * N-body model, with tensors taken from the pool between steps left untouched; a recording is
 * dropped when a parameter's data is shared, and never used when a step uploads a value it did
 * not declare or reads back. Runs in its own process; skips with a note where there is no WebGPU
 * adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { describeStepReplay, type ReplayStatus, StepReplay } from "./webgpu_step_replay.ts";
import { submitPending } from "./webgpu_queue.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { sameTrainingBits, webgpuChildTest } from "../testing/webgpu_training_run.ts";
import { loadNBody, NBODY_DEFAULTS } from "../data/nbody.ts";
import { createRegistries } from "../registry.ts";
import { createTrainer } from "../training/train.ts";

const webgpu = await webgpuOnce("the step replay tests");

Deno.test("REMUL_WEBGPU_REPLAY: a bad value names the variable", () => {
  try {
    Deno.env.set("REMUL_WEBGPU_REPLAY", "yes");
    assert.throws(() => describeStepReplay(), /REMUL_WEBGPU_REPLAY: expected 0 or 1, got "yes"/);
    Deno.env.set("REMUL_WEBGPU_REPLAY", "0");
    assert.match(describeStepReplay(), /every step through tfjs \(REMUL_WEBGPU_REPLAY\)/);
  } finally {
    Deno.env.delete("REMUL_WEBGPU_REPLAY");
  }
  assert.match(describeStepReplay(), /replayed as recorded commands, bit-identical \(default\)/);
});

Deno.test("off webgpu a step replay never records", () => {
  const r = new StepReplay(undefined);
  assert.deepEqual(r.status, { state: "off", reason: "not on webgpu" });
  r.begin([]);
  assert.equal(r.replay([], []), undefined);
});

// every N-body model but the SE(3)-Transformer (its 24 steps on llvmpipe take two minutes; checked
// by hand: the same bits, 8 of 12 steps replayed), 12 steps, the loss read every 5 steps, a tensor
// per parameter made and kept after every step
for (const model of ["transformer", "gatr", "gnn", "mlp", "egnn"]) {
  await webgpuChildTest(
    `webgpu: ${model} trains to the same bits with steps replayed`,
    async () => {
      const { on, off } = await sameTrainingBits(
        { REMUL_WEBGPU_REPLAY: "1" },
        { REMUL_WEBGPU_REPLAY: "0" },
        // validation every 4 steps (the best weights copied and restored) for the two largest
        {
          steps: 12,
          model,
          syncEvery: 5,
          churn: true,
          validateEvery: ["transformer", "gatr"].includes(model) ? 4 : 0,
        },
      );
      // 2 through tfjs, then recorded pairs until two ask the same of the device, then replayed
      assert.ok(on.replayed >= 5, `${on.replayed} of 12 steps replayed`);
      assert.equal(off.replayed, 0);
    },
  );
}

await webgpuChildTest(
  "webgpu: GradNorm's steps (task weights updated in place) replay to the same bits",
  async () => {
    const { on, off } = await sameTrainingBits(
      { REMUL_WEBGPU_REPLAY: "1" },
      { REMUL_WEBGPU_REPLAY: "0" },
      { steps: 12, model: "transformer", syncEvery: 5, churn: true, gradNorm: true },
    );
    assert.ok(on.replayed >= 5, `${on.replayed} of 12 steps replayed`);
    assert.equal(off.replayed, 0);
    // the task weights moved (each loss entry carries the step's loss, α and β)
    assert.notEqual(on.losses[0].slice(8), on.losses.at(-1)!.slice(8));
  },
);

/** A small MLP on N-body, and a trainer with constant weights. */
function mlpTrainer() {
  const data = loadNBody({ ...NBODY_DEFAULTS, train: 32, val: 1, test: 1, ood: 1 }, 6);
  const def = createRegistries().models.get("mlp");
  const model = def.create({ ...def.defaults, ...def.smoke } as typeof def.defaults, {
    inputs: data.inputs,
    target: data.target,
    seed: 5,
  });
  const trainer = createTrainer(model, data, { kind: "constant", alpha: 1, beta: 1 }, {
    steps: 100,
    batchSize: 8,
    lr: 1e-3,
    gradClip: 1,
    groupSamples: 1,
    timingWarmup: 0,
    validateEvery: 0,
  }, 3);
  const step = async () => {
    const q = trainer.stepQueued();
    const [loss] = await q.data();
    q.dispose();
    assert.ok(Number.isFinite(loss));
  };
  return { model, trainer, step };
}

webgpuTest(
  webgpu,
  "webgpu: a parameter that shares its data drops the recording; the share is left as it was",
  async () => {
    const { model, trainer, step } = mlpTrainer();
    try {
      // recorded pairs compared until two ask the same of the device (the first steps create
      // uniform blocks and buffers that later steps reuse)
      for (let i = 0; i < 8 && trainer.replayedSteps === 0; i++) await step();
      assert.equal(trainer.replay.state, "replaying");
      const replayed = trainer.replayedSteps;
      assert.ok(replayed > 0);
      const p = model.params[0];
      const clone = p.clone(); // shares the variable's data
      const before = await tf.tidy(() => clone.add(0)).data();
      await step();
      assert.equal(trainer.replayedSteps, replayed, "not replayed while the data is shared");
      const status = trainer.replay as ReplayStatus;
      assert.ok(
        status.state === "warming" && /state tensor 0 shares its data/.test(status.dropped ?? ""),
        JSON.stringify(status),
      );
      assert.deepEqual(await tf.tidy(() => clone.add(0)).data(), before, "the clone was written");
      assert.notEqual(p.dataId, clone.dataId, "the variable got new data");
      clone.dispose();
      // recorded again: two steps through tfjs, recorded pairs, then replayed
      for (let i = 0; i < 10 && trainer.replayedSteps === replayed; i++) await step();
      assert.ok(trainer.replayedSteps > replayed, `${trainer.replayedSteps} steps replayed`);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  },
);

/**
 * Runs a toy step through `replay` eight times: `x · w` summed, `x` declared, `extra(i)` added
 * (a value made on the host each step, not declared) and `during` awaited inside the step.
 */
async function toySteps(
  extra: (i: number) => number,
  during?: (y: tf.Tensor) => Promise<unknown>,
  hog = false,
): Promise<StepReplay> {
  const replay = new StepReplay(tf.backend(), { warmup: 0, attempts: 2 });
  const initial = tf.ones([2000]);
  const w = tf.variable(initial);
  initial.dispose(); // the variable alone refers to its data, as in the models
  // with `hog`, a 7-element constant joins the sum, and before each step every free buffer of its
  // size is taken by a kept tensor: the pool must create one for it in every step (a buffer that
  // tfjs would fill while mapped, with no queue write a recording could see)
  const hogs: tf.Tensor[] = [];
  const upload = (t: tf.Tensor) =>
    (tf.backend() as unknown as { uploadToGPU(d: object): void }).uploadToGPU(t.dataId);
  try {
    for (let i = 0; i < 8; i++) {
      if (hog) {
        for (let j = 0; j < 2; j++) {
          const h = tf.tensor1d(new Float32Array(7));
          upload(h);
          hogs.push(h);
        }
      }
      const x = tf.tensor1d(new Float32Array(2000).fill(i + 1)); // on the host
      const c = tf.tensor1d(new Float32Array(2000).fill(extra(i)));
      let out = replay.replay([x], [w]);
      if (!out) {
        replay.begin([x], [w]);
        const y = tf.tidy(() => {
          const s = x.mul(w).add(c);
          return (hog ? tf.concat([s, tf.tensor1d(new Float32Array(7).fill(0.25))]) : s).sum();
        });
        if (during) await during(y);
        tf.dispose([x, c]);
        submitPending();
        out = replay.end(y, [w]);
      } else {
        tf.dispose([x, c]);
      }
      const [got] = await (out as tf.Tensor).data();
      assert.equal(got, 2000 * (i + 1 + extra(i)) + (hog ? 1.75 : 0), `step ${i}`);
      (out as tf.Tensor).dispose();
    }
  } finally {
    replay.dispose();
    w.dispose();
    tf.dispose(hogs);
  }
  return replay;
}

webgpuTest(webgpu, "webgpu: a toy step with declared inputs only is replayed, right", async () => {
  const r = await toySteps(() => 0.5);
  // each step's sum checked; the first pair recorded may differ (a uniform block written once)
  assert.ok(r.replayedSteps >= 4, `${r.replayedSteps} of 8 steps replayed`);
});

webgpuTest(
  webgpu,
  "webgpu: a constant uploaded into a buffer the pool creates in every step is replayed",
  async () => {
    // each step's sum is checked: a replay that missed the upload would add stale values
    const r = await toySteps(() => 0.5, undefined, true);
    assert.ok(r.replayedSteps >= 4, `${r.replayedSteps} of 8 steps replayed`);
  },
);

webgpuTest(
  webgpu,
  "webgpu: a step that uploads an undeclared value made each step is never replayed",
  async () => {
    const r = await toySteps((i) => i * 0.25);
    assert.equal(r.replayedSteps, 0);
    const s = r.status;
    assert.ok(
      s.state === "off" && /not from a declared input/.test(s.reason),
      JSON.stringify(s),
    );
  },
);

webgpuTest(webgpu, "webgpu: a step that reads back is never replayed", async () => {
  const r = await toySteps(() => 0, (y) => y.data());
  assert.equal(r.replayedSteps, 0);
  const s = r.status;
  assert.ok(s.state === "off" && /a buffer is read back/.test(s.reason), JSON.stringify(s));
});
