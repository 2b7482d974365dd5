/**
 * Kernel profile of one training step and one inference of a model: how many tfjs kernels run,
 * the time by kernel name, and the wall time of the whole step (median of repeats, measured
 * without the profiler's own overhead). What `deno task profile` prints and the README's
 * performance tables are built from.
 *
 * @module
 */
import { disposeBatch, makeBatch } from "../data/dataset.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Model } from "../models/model.ts";
import { tf } from "../tf.ts";
import type { Weighting } from "../training/procedure.ts";
import { createTrainer, type TrainConfig } from "../training/train.ts";
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
   * A composite op (`tf.customGrad`), not a kernel of the backend: its time includes the kernels
   * it ran, which are listed too, so it is left out of the kernel count and the total.
   */
  readonly composite?: boolean;
}

/** The profile of one pass (a training step or an inference). */
export interface PassProfile {
  /** Kernels launched in one pass. */
  readonly kernels: number;
  /** Median wall time of the pass over the repeats, ms, without profiling. */
  readonly wallMs: number;
  /** Inter-quartile range of the wall times, ms. */
  readonly wallIqrMs: number;
  /** Sum of the kernel times of the profiled pass, ms. */
  readonly kernelMs: number;
  /** Peak bytes allocated during the profiled pass. */
  readonly peakBytes: number;
  /** By kernel name, most time first. */
  readonly byKernel: readonly KernelRow[];
}

/** Options of {@linkcode profileModel}. */
export interface ProfileOptions {
  /** How the step weighs its terms (plain, augmentation, REMUL, GradNorm). */
  readonly weighting: Weighting;
  /** Training settings; `batchSize` sets the batch of both passes. */
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
  /** One optimiser step: batch, forward, backward, clipping, Adam update, loss readback. */
  readonly train: PassProfile;
  /** One forward pass of a batch of the same size, read back. */
  readonly infer: PassProfile;
}

function tabulate(kernels: readonly { name: string; kernelTimeMs: unknown }[]): KernelRow[] {
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
  return [...rows].map(([name, r]) => ({ name, ...r })).sort((a, b) => b.ms - a.ms);
}

async function profilePass(
  run: () => Promise<void>,
  options: Pick<ProfileOptions, "warmup" | "repeats">,
): Promise<PassProfile> {
  for (let i = 0; i < options.warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < options.repeats; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  const info = await tf.profile(run);
  // tfjs resolves each kernel's time asynchronously; wait for all of them.
  const kernels = await Promise.all(
    info.kernels.map(async (k) => ({ name: k.name, kernelTimeMs: await k.kernelTimeMs })),
  );
  const byKernel = tabulate(kernels);
  const s = summarizeTimes(times);
  const real = byKernel.filter((r) => !r.composite);
  return {
    kernels: real.reduce((sum, r) => sum + r.calls, 0),
    wallMs: s.median,
    wallIqrMs: s.iqr,
    kernelMs: real.reduce((sum, r) => sum + r.ms, 0),
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
  let train: PassProfile;
  try {
    train = await profilePass(async () => {
      await trainer.step();
    }, options);
  } finally {
    trainer.dispose();
  }
  const split = dataset.splits.train;
  const n = Math.min(options.train.batchSize, split.size);
  const batch = makeBatch(dataset, split, [...Array(n).keys()]);
  try {
    const infer = await profilePass(async () => {
      const y = tf.tidy(() => model.forward(batch.inputs).prediction);
      await y.data();
      y.dispose();
    }, options);
    return { train, infer };
  } finally {
    disposeBatch(batch);
  }
}

/**
 * Formats a profile as Markdown: a summary line per pass and the top kernels by time.
 *
 * @param top rows of the kernel table per pass.
 */
export function formatProfile(profile: ModelProfile, top = 12): string {
  const lines: string[] = [];
  for (
    const [label, p] of [["training step", profile.train], ["inference", profile.infer]] as const
  ) {
    lines.push(
      `### ${label}: ${p.wallMs.toFixed(2)} ms (IQR ${p.wallIqrMs.toFixed(2)}), ` +
        `${p.kernels} kernels, ${p.kernelMs.toFixed(2)} ms in kernels, peak ` +
        `${(p.peakBytes / 2 ** 20).toFixed(1)} MiB`,
      "",
      "| kernel | calls | ms | % of kernel time |",
      "| --- | ---: | ---: | ---: |",
    );
    for (const r of p.byKernel.slice(0, top)) {
      const pct = r.composite
        ? "(includes its kernels)"
        : p.kernelMs > 0
        ? (100 * r.ms / p.kernelMs).toFixed(1)
        : "–";
      const name = r.composite ? `${r.name} (composite op)` : r.name;
      lines.push(`| ${name} | ${r.calls} | ${r.ms.toFixed(2)} | ${pct} |`);
    }
    if (p.byKernel.length > top) {
      const rest = p.byKernel.slice(top);
      const ms = rest.reduce((s, r) => s + r.ms, 0);
      const calls = rest.reduce((s, r) => s + r.calls, 0);
      lines.push(`| (${rest.length} others) | ${calls} | ${ms.toFixed(2)} | |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}
