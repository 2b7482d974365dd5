/**
 * Kernel profile of one training step and one inference of a model: how many tfjs kernels run,
 * the time by kernel name (GPU timestamps on WebGPU where the adapter has `timestamp-query`), the
 * wall and host time of a pass (measured without the profiler's own overhead), and per pass the
 * readbacks and, on WebGPU, the queue submits, buffer maps and bind groups; and the kernel counts
 * of the same case at several batch sizes side by side. What `deno task profile` prints and the
 * README's performance tables are built from.
 *
 * GPU time is tfjs-webgpu's per-kernel timing summed: while profiling, each kernel runs in its own
 * compute pass and command buffer, so it measures the kernels' own work, not the unprofiled step's
 * overlap (on llvmpipe it can exceed the unprofiled wall time).
 *
 * @module
 */
import { disposeBatch, makeBatch } from "../data/dataset.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import {
  attributeDispatches,
  countDeviceCalls,
  drainQueue,
  kernelTiming,
  webGpuSubmitBatch,
} from "../backend/webgpu_queue.ts";
import { assertNoGpuErrors } from "../backend/gpu_errors.ts";
import { tf } from "../tf.ts";
import type { Weighting } from "../training/procedure.ts";
import {
  createTrainer,
  type QueuedStep,
  readQueuedSteps,
  resolveSyncEvery,
  type TrainConfig,
} from "../training/train.ts";
import { summarizeTimes } from "./timing.ts";

/** Time and calls of one kernel name within a profiled pass. */
export interface KernelRow {
  /** tfjs kernel name (`BatchMatMul`, `Transpose`, …). */
  readonly name: string;
  /** Launches in the pass. */
  readonly calls: number;
  /** Summed kernel time, ms (wall time per kernel on wasm/cpu; GPU time where tfjs measures it). */
  readonly ms: number;
  /**
   * GPU programs these calls dispatched, on webgpu (a kernel may run several programs or none,
   * e.g. a reshape); absent off webgpu.
   */
  readonly dispatches?: number;
  /**
   * A composite op (`tf.customGrad`), not a kernel of the backend: its time includes the kernels
   * it ran, which are listed too, so it is left out of the kernel count and the total.
   */
  readonly composite?: boolean;
}

/** The profile of one pass (a training step or an inference). */
export interface PassProfile {
  /** Kernels launched in one pass. */
  readonly kernels: number;
  /**
   * Wall time per pass, ms: the timed passes run back to back as training runs them (the loss read
   * back every `syncEvery` steps), the device queue drained at the end, divided by the passes.
   * On wasm and cpu, where kernels have run when they return, the mean of the host times.
   */
  readonly wallMs: number;
  /**
   * Median host time of a pass, ms: until the call returns (on WebGPU: the kernels recorded and
   * submitted, not necessarily run; a pass that reads back waits for the GPU).
   */
  readonly hostMs: number;
  /** Inter-quartile range of the host times, ms. */
  readonly hostIqrMs: number;
  /** Sum of the kernel times of the profiled pass, ms (see {@linkcode ModelProfile.timing}). */
  readonly kernelMs: number;
  /**
   * GPU time of the profiled pass, ms: the kernels' GPU timestamps summed (`timestamp-query`,
   * each kernel in its own compute pass); null off WebGPU or where the adapter has no timestamps.
   */
  readonly gpuMs: number | null;
  /** Tensor reads (`data()`/`dataSync()`) per pass over the timed passes. */
  readonly readbacksPerPass: number;
  /** `GPUQueue.submit` calls per pass over the timed passes (0 off WebGPU). */
  readonly submitsPerPass: number;
  /** `GPUBuffer.mapAsync` calls per pass over the timed passes (0 off WebGPU). */
  readonly mapsPerPass: number;
  /**
   * Bind groups created per pass over the timed passes (0 off WebGPU; with the bind-group cache,
   * its misses only).
   */
  readonly bindGroupsPerPass: number;
  /** Compute dispatches per pass over the timed passes: kernels that reach the GPU (0 off WebGPU). */
  readonly dispatchesPerPass: number;
  /** `GPUQueue.writeBuffer` calls per pass (uniform blocks and uploads; 0 off WebGPU). */
  readonly writesPerPass: number;
  /** Buffer-to-buffer copies recorded per pass (0 off WebGPU). */
  readonly copiesPerPass: number;
  /** Compute passes begun per pass (a copy ends one; 0 off WebGPU). */
  readonly computePassesPerPass: number;
  /**
   * Host time per pass inside `GPUQueue.submit`, ms, a mean over the timed passes (0 off WebGPU).
   * On a software adapter the kernels run there.
   */
  readonly submitMs: number;
  /** Time per pass waiting for readbacks (`data()`), ms, a mean over the timed passes. */
  readonly readWaitMs: number;
  /**
   * Host time per pass outside `GPUQueue.submit` and readback waits, ms (mean over the timed
   * passes): what tfjs and the WebGPU calls cost the host, which a real GPU's host pays too.
   */
  readonly hostOutsideSubmitMs: number;
  /** `createBuffer` calls per pass over the timed passes (0 off WebGPU; 0 once pools are warm). */
  readonly buffersPerPass: number;
  /** Peak bytes allocated during the profiled pass. */
  readonly peakBytes: number;
  /** By kernel name, most time first. */
  readonly byKernel: readonly KernelRow[];
}

/** Options of {@linkcode profileModel}. */
export interface ProfileOptions {
  /** How the step weighs its terms (plain, augmentation, REMUL, GradNorm). */
  readonly weighting: Weighting;
  /** Training settings; `batchSize` sets the batch of both passes, `syncEvery` the readbacks. */
  readonly train: TrainConfig;
  /** Seed of batch order and group elements. */
  readonly seed: number;
  /** Unprofiled passes before measuring (Adam's slots, caches, shader compilation). */
  readonly warmup: number;
  /** Timed passes; the median is reported. */
  readonly repeats: number;
}

/** A training step's and an inference's profile. */
export interface ModelProfile {
  /**
   * One optimiser step as `train()` runs it: batch, forward, backward, clipping, Adam update; the
   * loss read back every `syncEvery` steps.
   */
  readonly train: PassProfile;
  /** One forward pass of a batch of the same size, read back. */
  readonly infer: PassProfile;
  /** Loss readback interval of the training steps (steps per readback). */
  readonly syncEvery: number;
  /**
   * What the kernel times are: `gpu-timestamps` (WebGPU with `timestamp-query`), `unavailable`
   * (WebGPU without it: kernel times are 0), `host` (wasm, cpu: wall time around each kernel).
   */
  readonly timing: "gpu-timestamps" | "unavailable" | "host";
  /** WebGPU's submit batch in force (kernels per command buffer); null off WebGPU. */
  readonly submitBatch: number | null;
  /**
   * Training steps replayed as recorded WebGPU commands (`webgpu_step_replay.ts`), of those run
   * (warm-up, timed and profiled; the profiled pass, which names kernels, runs through tfjs), and
   * where the replay stood at the end; absent off WebGPU.
   */
  readonly replay?: { readonly replayed: number; readonly of: number; readonly status: string };
}

function tabulate(
  kernels: readonly { name: string; kernelTimeMs: unknown }[],
  dispatches?: ReadonlyMap<string, number>,
): KernelRow[] {
  const backend = tf.getBackend();
  const rows = new Map<string, { calls: number; ms: number; composite?: boolean }>();
  for (const k of kernels) {
    const row = rows.get(k.name) ??
      (tf.getKernel(k.name, backend) ? { calls: 0, ms: 0 } : { calls: 0, ms: 0, composite: true });
    row.calls++;
    const t = k.kernelTimeMs;
    row.ms += typeof t === "number" && Number.isFinite(t) ? t : 0;
    rows.set(k.name, row);
  }
  return [...rows].map(([name, r]) => ({
    name,
    ...r,
    ...(dispatches && !r.composite ? { dispatches: dispatches.get(name) ?? 0 } : {}),
  })).sort((a, b) => b.ms - a.ms);
}

/** A pass to profile: `run` one pass; `settle` reads back what is queued and drains the device. */
interface Pass {
  run(): Promise<void>;
  settle(): Promise<void>;
}

async function profilePass(
  what: string,
  pass: Pass,
  options: Pick<ProfileOptions, "warmup" | "repeats">,
): Promise<PassProfile> {
  for (let i = 0; i < options.warmup; i++) await pass.run();
  await pass.settle();
  const host: number[] = [];
  const window = countDeviceCalls();
  let wall: number;
  // the submits and readback waits inside the timed passes, without the final settle's (whose
  // submit, on a software adapter, is where the last pass's kernels run)
  let inRuns = { submitMs: 0, readWaitMs: 0 };
  try {
    const t0 = performance.now();
    for (let i = 0; i < options.repeats; i++) {
      const t = performance.now();
      await pass.run();
      host.push(performance.now() - t);
    }
    inRuns = { submitMs: window.counts.submitMs, readWaitMs: window.counts.readWaitMs };
    await pass.settle();
    wall = performance.now() - t0;
  } finally {
    window.close();
  }
  const timing = kernelTiming();
  const attributed = attributeDispatches();
  let info;
  try {
    info = await tf.profile(() => pass.run());
  } finally {
    attributed.close();
  }
  // tfjs resolves each kernel's time asynchronously; wait for all of them.
  const kernels = await Promise.all(
    info.kernels.map(async (k) => ({ name: k.name, kernelTimeMs: await k.kernelTimeMs })),
  );
  await pass.settle();
  // an invalid command makes WebGPU drop its whole command buffer: the pass would look fast and
  // compute nothing
  assertNoGpuErrors(`while profiling ${what}`);
  const byKernel = tabulate(kernels, timing === "host" ? undefined : attributed.byKernel);
  const s = summarizeTimes(host);
  const real = byKernel.filter((r) => !r.composite);
  const kernelMs = real.reduce((sum, r) => sum + r.ms, 0);
  const per = (n: number) => n / options.repeats;
  return {
    kernels: real.reduce((sum, r) => sum + r.calls, 0),
    wallMs: wall / options.repeats,
    hostMs: s.median,
    hostIqrMs: s.iqr,
    kernelMs,
    gpuMs: timing === "gpu-timestamps" ? kernelMs : null,
    readbacksPerPass: per(window.counts.reads),
    submitsPerPass: per(window.counts.submits),
    mapsPerPass: per(window.counts.maps),
    bindGroupsPerPass: per(window.counts.bindGroups),
    dispatchesPerPass: per(window.counts.dispatches),
    writesPerPass: per(window.counts.writes),
    copiesPerPass: per(window.counts.copies),
    computePassesPerPass: per(window.counts.passes),
    submitMs: per(window.counts.submitMs),
    readWaitMs: per(window.counts.readWaitMs),
    hostOutsideSubmitMs: per(
      host.reduce((a, b) => a + b, 0) - inRuns.submitMs - inRuns.readWaitMs,
    ),
    buffersPerPass: per(window.counts.buffers),
    peakBytes: info.peakBytes,
    byKernel,
  };
}

/**
 * Profiles one training step and one inference of `model` on `dataset`'s training split.
 *
 * @param model trained in place by the warm-up and timed steps.
 * @returns kernel counts, wall times and time by kernel name for both passes.
 *
 * @example
 * ```ts
 * import { createRegistries } from "../registry.ts";
 * import { profileModel } from "./kernel_profile.ts";
 * const reg = createRegistries();
 * const def = reg.datasets.get("nbody");
 * const data = await def.load({ ...def.defaults, train: 8, val: 0, test: 4, ood: 0 }, {
 *   seed: 1,
 *   dataDir: ".",
 * });
 * const model = reg.models.get("mlp").create({ hidden: 8, layers: 2 }, { ...data, seed: 2 });
 * const p = await profileModel(model, data, {
 *   weighting: { kind: "constant", alpha: 1, beta: 1 },
 *   train: {
 *     steps: 1, batchSize: 4, lr: 1e-3, gradClip: 10, groupSamples: 1, timingWarmup: 0,
 *     validateEvery: 0,
 *   },
 *   seed: 3,
 *   warmup: 1,
 *   repeats: 2,
 * });
 * model.dispose();
 * if (p.train.kernels <= p.infer.kernels) throw new Error("a step runs more kernels");
 * ```
 */
export async function profileModel(
  model: Model,
  dataset: Dataset,
  options: ProfileOptions,
): Promise<ModelProfile> {
  const trainer = createTrainer(model, dataset, options.weighting, options.train, options.seed);
  const syncEvery = resolveSyncEvery(options.train);
  const queued: QueuedStep[] = [];
  let steps = 0;
  let ran = 0;
  // Reads the queued losses in one readback, as train() does, and checks them.
  const readLosses = async () => {
    if (queued.length === 0) return;
    const all = queued.splice(0);
    try {
      const values = (await readQueuedSteps(all, options.weighting)).map((v) => v.loss);
      if (!values.every(Number.isFinite)) {
        throw new Error(`profile: a training step's loss is not finite (${values.join(", ")})`);
      }
    } finally {
      tf.dispose(all);
    }
  };
  let train: PassProfile;
  let replay: ModelProfile["replay"];
  try {
    train = await profilePass("the training step", {
      async run() {
        queued.push(trainer.stepQueued());
        ran++;
        if (++steps % syncEvery === 0) await readLosses();
      },
      async settle() {
        await readLosses();
        steps = 0; // the next readback comes syncEvery steps from here, as in train()
        await drainQueue();
      },
    }, options);
    const status = trainer.replay;
    replay = webGpuSubmitBatch() === null ? undefined : {
      replayed: trainer.replayedSteps,
      of: ran,
      status: status.state === "off" ? `off: ${status.reason}` : status.state,
    };
  } finally {
    tf.dispose(queued);
    trainer.dispose();
  }
  const split = dataset.splits.train;
  const n = Math.min(options.train.batchSize, split.size);
  const batch = makeBatch(dataset, split, [...Array(n).keys()]);
  try {
    const infer = await profilePass("the inference", {
      async run() {
        const y = tf.tidy(() => model.forward(batch.inputs).prediction);
        await y.data();
        y.dispose();
      },
      settle: drainQueue,
    }, options);
    return {
      train,
      infer,
      syncEvery,
      timing: kernelTiming(),
      submitBatch: webGpuSubmitBatch(),
      ...(replay ? { replay } : {}),
    };
  } finally {
    disposeBatch(batch);
  }
}

/**
 * Formats a profile as Markdown: a summary line per pass (wall, host and GPU time, kernels,
 * readbacks and submits per pass) and the top kernels by time.
 *
 * @param top rows of the kernel table per pass.
 */
export function formatProfile(profile: ModelProfile, top = 12): string {
  const lines: string[] = [];
  const timingNote = {
    "gpu-timestamps": "kernel times are GPU timestamps (timestamp-query)",
    unavailable: "kernel times unavailable: the WebGPU adapter has no timestamp-query",
    host: "kernel times are host wall time around each kernel",
  }[profile.timing];
  lines.push(
    `${timingNote}; loss read back every ${profile.syncEvery} step(s)` +
      (profile.submitBatch !== null
        ? `; a command buffer submitted every ${profile.submitBatch} kernels`
        : ""),
  );
  if (profile.replay) {
    const r = profile.replay;
    lines.push(
      `training steps replayed as recorded WebGPU commands: ${r.replayed} of ${r.of} run ` +
        `(warm-up, timed and profiled passes; the profiled pass runs through tfjs; ${r.status})`,
    );
  }
  lines.push("");
  for (
    const [label, p] of [["training step", profile.train], ["inference", profile.infer]] as const
  ) {
    const gpu = p.gpuMs !== null ? `, GPU ${p.gpuMs.toFixed(2)} ms` : "";
    const device = profile.submitBatch !== null
      ? `, ${fmtRate(p.submitsPerPass)} submits (${p.submitMs.toFixed(2)} ms in them), ` +
        `${fmtRate(p.mapsPerPass)} buffer maps, ${fmtRate(p.dispatchesPerPass)} dispatches, ` +
        `${fmtRate(p.bindGroupsPerPass)} bind groups created, ${fmtRate(p.writesPerPass)} buffer ` +
        `writes, ${fmtRate(p.copiesPerPass)} buffer copies, ${fmtRate(p.computePassesPerPass)} ` +
        `compute passes, ${fmtRate(p.buffersPerPass)} new buffers`
      : "";
    const outside = profile.submitBatch !== null && p.dispatchesPerPass > 0
      ? [
        `host time outside submit and readback waits (${p.readWaitMs.toFixed(2)} ms): ` +
        `${p.hostOutsideSubmitMs.toFixed(2)} ms per ` +
        `${label === "inference" ? "inference" : "step"}, ` +
        `${(1000 * p.hostOutsideSubmitMs / p.dispatchesPerPass).toFixed(1)} µs a dispatch`,
      ]
      : [];
    lines.push(
      `### ${label}: ${p.wallMs.toFixed(2)} ms wall, host ${p.hostMs.toFixed(2)} ms ` +
        `(IQR ${p.hostIqrMs.toFixed(2)})${gpu}, ${p.kernels} kernels, ` +
        `${p.kernelMs.toFixed(2)} ms in kernels, peak ${(p.peakBytes / 2 ** 20).toFixed(1)} MiB`,
      `per ${label === "inference" ? "inference" : "step"}: ${fmtRate(p.readbacksPerPass)} ` +
        `readbacks${device}`,
      ...outside,
      "",
    );
    // on webgpu: the GPU programs each kernel name dispatched in the profiled pass
    const withDispatches = p.byKernel.some((r) => r.dispatches !== undefined);
    const col = (r: { dispatches?: number } | null) =>
      !withDispatches ? "" : r === null ? " |" : ` ${r.dispatches ?? ""} |`;
    lines.push(
      `| kernel | calls |${withDispatches ? " dispatches |" : ""} ms | % of kernel time |`,
      `| --- | ---: |${withDispatches ? " ---: |" : ""} ---: | ---: |`,
    );
    for (const r of p.byKernel.slice(0, top)) {
      const pct = r.composite
        ? "(includes its kernels)"
        : p.kernelMs > 0
        ? (100 * r.ms / p.kernelMs).toFixed(1)
        : "–";
      const name = r.composite ? `${r.name} (composite op)` : r.name;
      lines.push(`| ${name} | ${r.calls} |${col(r)} ${r.ms.toFixed(2)} | ${pct} |`);
    }
    if (p.byKernel.length > top) {
      const rest = p.byKernel.slice(top);
      const ms = rest.reduce((s, r) => s + r.ms, 0);
      const calls = rest.reduce((s, r) => s + r.calls, 0);
      const dispatches = rest.reduce((s, r) => s + (r.dispatches ?? 0), 0);
      lines.push(
        `| (${rest.length} others) | ${calls} |${col(withDispatches ? { dispatches } : null)} ${
          ms.toFixed(2)
        } | |`,
      );
    }
    lines.push("");
  }
  return lines.join("\n");
}

function fmtRate(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** Calls of one kernel name at each batch size of a {@linkcode compareBatches}. */
export interface BatchKernelRow {
  /** Kernel name (backend kernels only; composite ops are left out). */
  readonly name: string;
  /** Launches per pass, one per batch size in the order given (0 where it did not run). */
  readonly calls: readonly number[];
  /** True when the count differs between batch sizes: something grows with the batch. */
  readonly varies: boolean;
}

/** Kernel counts of the same case at several batch sizes, side by side. */
export interface BatchComparison {
  /** The batch sizes, in the order given. */
  readonly batchSizes: readonly number[];
  /** Per pass: kernels in total at each batch size and the rows by kernel name. */
  readonly train: { readonly kernels: readonly number[]; readonly rows: readonly BatchKernelRow[] };
  /** The same for the inference. */
  readonly infer: { readonly kernels: readonly number[]; readonly rows: readonly BatchKernelRow[] };
  /** Kernel names whose count changes with the batch, per pass (empty when none). */
  readonly growing: { readonly train: readonly string[]; readonly infer: readonly string[] };
}

function compareRows(passes: readonly PassProfile[]) {
  const names = new Set<string>();
  for (const p of passes) for (const r of p.byKernel) if (!r.composite) names.add(r.name);
  const rows = [...names].sort().map((name) => {
    const calls = passes.map((p) => p.byKernel.find((r) => r.name === name)?.calls ?? 0);
    return { name, calls, varies: calls.some((c) => c !== calls[0]) };
  });
  return { kernels: passes.map((p) => p.kernels), rows };
}

/**
 * Puts the kernel counts of profiles of the same case at several batch sizes side by side and
 * names every kernel whose count changes with the batch (none should: a step launches the same
 * kernels at every batch size).
 *
 * @param profiles one per batch size.
 * @throws Error when fewer than two profiles are given.
 *
 * @example
 * ```ts
 * import { compareBatches, type PassProfile } from "./kernel_profile.ts";
 * const pass = (calls: number): PassProfile => ({
 *   kernels: calls, wallMs: 1, hostMs: 1, hostIqrMs: 0, kernelMs: 1, gpuMs: null,
 *   readbacksPerPass: 1, submitsPerPass: 0, mapsPerPass: 0, bindGroupsPerPass: 0,
 *   dispatchesPerPass: 0, writesPerPass: 0, copiesPerPass: 0,
 *   computePassesPerPass: 0, submitMs: 0, readWaitMs: 0, hostOutsideSubmitMs: 1,
 *   buffersPerPass: 0, peakBytes: 0, byKernel: [{ name: "Slice", calls, ms: 1 }],
 * });
 * const profile = (calls: number) => ({
 *   train: pass(calls), infer: pass(1), syncEvery: 1, timing: "host" as const, submitBatch: null,
 * });
 * const c = compareBatches([
 *   { batchSize: 1, profile: profile(1) },
 *   { batchSize: 4, profile: profile(4) },
 * ]);
 * if (c.growing.train[0] !== "Slice" || c.growing.infer.length !== 0) throw new Error();
 * ```
 */
export function compareBatches(
  profiles: readonly { readonly batchSize: number; readonly profile: ModelProfile }[],
): BatchComparison {
  if (profiles.length < 2) {
    throw new Error(
      `compareBatches: expected profiles at two or more batch sizes, got ${profiles.length}`,
    );
  }
  const train = compareRows(profiles.map((p) => p.profile.train));
  const infer = compareRows(profiles.map((p) => p.profile.infer));
  return {
    batchSizes: profiles.map((p) => p.batchSize),
    train,
    infer,
    growing: {
      train: train.rows.filter((r) => r.varies).map((r) => r.name),
      infer: infer.rows.filter((r) => r.varies).map((r) => r.name),
    },
  };
}

/**
 * Formats a {@linkcode compareBatches} result as Markdown: per pass, the kernel total at each batch
 * size and the rows whose count changes with the batch (all rows with `all`).
 */
export function formatBatchComparison(c: BatchComparison, all = false): string {
  const lines: string[] = [];
  const head = c.batchSizes.map((b) => `batch ${b}`);
  for (
    const [label, pass, growing] of [
      ["training step", c.train, c.growing.train],
      ["inference", c.infer, c.growing.infer],
    ] as const
  ) {
    const totalVaries = pass.kernels.some((k) => k !== pass.kernels[0]);
    lines.push(
      `### ${label}: kernels ${pass.kernels.join(" / ")} at batch ${c.batchSizes.join(" / ")}` +
        (growing.length === 0
          ? " — no kernel count changes with the batch"
          : totalVaries
          ? ` — GROWS WITH THE BATCH: ${growing.join(", ")}`
          : ` — same total; counts by name shift: ${growing.join(", ")} (e.g. a broadcast that ` +
            `is a copy at batch 1)`),
      "",
    );
    const rows = all ? pass.rows : pass.rows.filter((r) => r.varies);
    if (rows.length > 0) {
      lines.push(
        `| kernel | ${head.join(" | ")} |`,
        `| --- | ${head.map(() => "---:").join(" | ")} |`,
        ...rows.map((r) => `| ${r.name}${r.varies ? " ⚠" : ""} | ${r.calls.join(" | ")} |`),
        "",
      );
    }
  }
  return lines.join("\n");
}
