/**
 * A short Transformer training run on webgpu that prints what a comparison between two
 * configurations of the backend needs: the losses and the trained weights as exact float32 bit
 * patterns, and the device calls of the last step. Run as a script in a child process, so that
 * each configuration (set through the environment, e.g. `REMUL_WEBGPU_BIND_CACHE=0`) gets a
 * fresh backend: `deno run -A src/testing/webgpu_training_run.ts ['{"steps":6,"model":"gatr","syncEvery":1}']`.
 * Prints one JSON line, or
 * `{"skipped": reason}` where there is no WebGPU adapter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend, probeAdapter } from "../backend/backend.ts";
import { bindCacheStats, resetBindCacheStats } from "../backend/webgpu_bind_cache.ts";
import { countDeviceCalls } from "../backend/webgpu_queue.ts";
import { createTransformer } from "../models/transformer.ts";
import { loadNBody, NBODY_DEFAULTS } from "../data/nbody.ts";
import { disposeBatch, makeBatch } from "../data/dataset.ts";
import { train } from "../training/train.ts";
import { createRegistries } from "../registry.ts";
import type { Model } from "../models/model.ts";
import type { Weighting } from "../training/procedure.ts";

/** What {@linkcode runWebGpuTraining} reports. */
export interface WebGpuTrainingRun {
  /** The loss of every step, as float32 bit patterns (hex). */
  readonly losses: string[];
  /** Every trained weight, as float32 bit patterns (hex), parameters in order. */
  readonly weights: string;
  /**
   * Device calls of one more step after the run: dispatches, bind groups created, queue writes
   * and buffers created.
   */
  readonly lastStep: { dispatches: number; bindGroups: number; writes: number; buffers: number };
  /** The bind-group cache's counters over the run. */
  readonly cache: Record<string, number>;
  /** Steps of the run replayed as recorded WebGPU commands (`webgpu_step_replay.ts`). */
  readonly replayed: number;
}

/** What a child run trains: steps, model (registry id; its smoke config but the Transformer's). */
export interface WebGpuTrainingOptions {
  readonly steps?: number;
  readonly model?: string;
  /** Loss readbacks every this many steps (default 1). */
  readonly syncEvery?: number;
  /**
   * After every step, make and keep a tensor on the GPU per parameter (its shape, every value
   * the step's number), and check them all after training: buffers taken from the pool between
   * steps, which a replayed step must not write (`webgpu_step_replay.ts`).
   */
  readonly churn?: boolean;
  /**
   * Validate every this many steps (the validation split's MSE; the best weights kept and
   * restored at the end, as model selection does); default 0, none.
   */
  readonly validateEvery?: number;
  /** Task weights updated by GradNorm (γ 1.5, η 0.025) instead of constant α = β = 1. */
  readonly gradNorm?: boolean;
}

const hex = (xs: Float32Array) =>
  Array.from(
    new Uint32Array(xs.buffer, xs.byteOffset, xs.length),
    (u) => u.toString(16).padStart(8, "0"),
  ).join("");

/**
 * Trains a model with REMUL (β = 1) and clipping on N-body for `steps` steps on webgpu (by
 * default a 1-block Transformer, 6 steps, a readback every step).
 */
export async function runWebGpuTraining(
  options: WebGpuTrainingOptions = {},
): Promise<WebGpuTrainingRun> {
  const { steps = 6, model: id = "transformer", syncEvery = 1, churn = false } = options;
  const validateEvery = options.validateEvery ?? 0;
  await initBackend("webgpu");
  resetBindCacheStats();
  const data = loadNBody({ ...NBODY_DEFAULTS, train: 32, val: 8, test: 1, ood: 1 }, 6);
  const context = { inputs: data.inputs, target: data.target, seed: 5 };
  let model: Model;
  if (id === "transformer") {
    model = createTransformer({ blocks: 1, channels: 16, heads: 2, mlpRatio: 2 }, context);
  } else {
    const def = createRegistries().models.get(id);
    model = def.create({ ...def.defaults, ...def.smoke } as typeof def.defaults, context);
  }
  const config = {
    steps,
    batchSize: 16,
    lr: 3e-3,
    gradClip: 1,
    groupSamples: 1,
    timingWarmup: 0,
    validateEvery,
    syncEvery,
  };
  const weighting: Weighting = options.gradNorm
    ? { kind: "gradnorm", alpha: 1, beta: 1, gamma: 1.5, eta: 0.025, minWeight: 1e-6 }
    : { kind: "constant", alpha: 1, beta: 1 };
  const kept: { step: number; t: tf.Tensor }[] = [];
  const onProgress = churn
    ? (step: number) => {
      for (const p of model.params) kept.push({ step, t: tf.tidy(() => p.mul(0).add(step)) });
    }
    : undefined;
  const split = data.splits.val!;
  const val = makeBatch(data, split, [...Array(split.size).keys()]);
  const validate = async () => {
    const e = tf.tidy(() => model.forward(val.inputs).prediction.sub(val.target).square().mean());
    const [v] = await e.data();
    e.dispose();
    return v;
  };
  const h = await train(model, data, weighting, config, { seed: 9, onProgress, validate });
  disposeBatch(val);
  const replayed = h.replayedSteps;
  for (const { step, t } of kept) {
    const v = await t.data();
    assert.ok(v.every((x) => x === step), `a tensor made after step ${step} was overwritten`);
  }
  tf.dispose(kept.map((k) => k.t));
  // the losses and, under GradNorm, the task weights of every step
  const losses = h.loss.map(([, l], i) =>
    hex(new Float32Array([l, h.taskWeights[i][1], h.taskWeights[i][2]]))
  );
  const parts = await Promise.all(model.params.map((p) => p.data() as Promise<Float32Array>));
  const weights = parts.map(hex).join("|");
  const w = countDeviceCalls();
  await train(model, data, weighting, { ...config, steps: 1, validateEvery: 0 }, { seed: 10 });
  w.close();
  const { dispatches, bindGroups, writes, buffers } = w.counts;
  const cache = { ...bindCacheStats() } as Record<string, number>;
  model.dispose();
  tf.disposeVariables();
  return {
    losses,
    weights,
    lastStep: { dispatches, bindGroups, writes, buffers },
    cache,
    replayed,
  };
}

/**
 * Runs {@linkcode runWebGpuTraining} in a child process with `env` added to its environment (a
 * fresh backend per configuration), and returns what it printed.
 *
 * @throws Error with the child's standard error when it fails.
 */
export async function runWebGpuTrainingChild(
  env: Record<string, string>,
  options: WebGpuTrainingOptions = {},
): Promise<WebGpuTrainingRun & { skipped?: string }> {
  const out = await new Deno.Command("deno", {
    args: ["run", "-A", new URL(import.meta.url).pathname, JSON.stringify(options)],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`webgpu_training_run.ts: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "");
}

/**
 * Trains in two child processes, one per setting of the backend ({@linkcode runWebGpuTrainingChild}),
 * and asserts what a setting that only changes the host's work must keep: the same losses and
 * trained weights, bit for bit, and the same dispatches in the last step.
 *
 * @returns both runs, for the caller's own assertions on what the setting changes.
 * @throws AssertionError naming what differs.
 */
export async function sameTrainingBits(
  on: Record<string, string>,
  off: Record<string, string>,
  options: WebGpuTrainingOptions = {},
): Promise<{ on: WebGpuTrainingRun; off: WebGpuTrainingRun }> {
  const a = await runWebGpuTrainingChild(on, options);
  const b = await runWebGpuTrainingChild(off, options);
  // a child without an adapter prints no run: nothing to compare, which must not pass as equal
  assert.ok(!a.skipped && !b.skipped, `a child skipped: ${a.skipped ?? b.skipped}`);
  assert.deepEqual(a.losses, b.losses, "losses, bit for bit");
  assert.equal(a.weights, b.weights, "trained weights, bit for bit");
  assert.equal(a.lastStep.dispatches, b.lastStep.dispatches, "dispatches of a step");
  return { on: a, off: b };
}

let adapter: Promise<boolean> | undefined;

/**
 * Registers a test whose WebGPU work runs in child processes ({@linkcode sameTrainingBits}): it
 * needs an adapter, not this process's backend, and is skipped (ignored) where there is none.
 * Await it at the top level of the test module.
 */
export async function webgpuChildTest(name: string, fn: () => Promise<void>): Promise<void> {
  adapter ??= probeAdapter().then((a) => a !== null);
  Deno.test({ name, ignore: !(await adapter), fn });
}

if (import.meta.main) {
  if (!(await probeAdapter())) console.log(JSON.stringify({ skipped: "no WebGPU adapter" }));
  else console.log(JSON.stringify(await runWebGpuTraining(JSON.parse(Deno.args[0] ?? "{}"))));
}
