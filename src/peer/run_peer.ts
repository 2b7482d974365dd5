/**
 * The peer comparison: the same architectures timed here (tfjs, through the registry and the
 * harness's own training loop and inference timer) and in PyTorch (`peer/torch_peer.py`), on the
 * same machine, the same data, the same initial weights, float32, Adam, the same gradient
 * clipping, the same batch and the same thread count. Before anything is timed the parameter
 * counts must agree and the PyTorch model, given our weights, must compute our forward output;
 * otherwise the run fails.
 *
 * @module
 */
import { type BackendChoice, initBackend } from "../backend/backend.ts";
import { loadNativeBlas } from "../backend/native_blas.ts";
import { resolveConfig } from "../core/config.ts";
import { deriveSeed } from "../core/hash.ts";
import { type Dataset, disposeBatch, makeBatch } from "../data/dataset.ts";
import { inferenceTime } from "../metrics/evaluate.ts";
import { summarizeTimes, type TimingSummary } from "../metrics/timing.ts";
import { trainStepTime } from "../metrics/train_step_time.ts";
import { countParams, type Model } from "../models/model.ts";
import { createModel, createRegistries } from "../registry.ts";
import { tf, type Variable } from "../tf.ts";
import { Rng } from "../core/rng.ts";
import { type TorchHello, TorchPeer, type TorchPython } from "./torch_peer.ts";
import type { PeerWorkload } from "./workload.ts";
import { peerConstants } from "./constants.ts";

/**
 * Largest relative forward difference accepted: max |ours − PyTorch| / max |ours| on the test
 * batch, with our initial weights and with a probe weight set.
 */
export const FORWARD_TOLERANCE = 1e-5;

/** Timings of one side, in milliseconds (medians and spreads after warm-up). */
export interface PeerSideTimes {
  /** Plain training step (α=1, β=0). */
  readonly plainStep: TimingSummary;
  /** REMUL training step (α=1, β=1: the batch and a rotated copy, one 2B forward). */
  readonly remulStep: TimingSummary;
  /** Forward pass of one batch. */
  readonly infer: TimingSummary;
  /** First plain step. */
  readonly plainColdStartMs: number;
  /** First REMUL step. */
  readonly remulColdStartMs: number;
}

/** One workload's comparison. */
export interface PeerRecord
  extends Pick<PeerWorkload, "model" | "config" | "data" | "lr" | "gradClip"> {
  /** The resolved model config. */
  readonly modelConfig: Readonly<Record<string, unknown>>;
  /** Samples per training step and per timed forward pass (the workload's, or `--batch`). */
  readonly batch: number;
  /** Trainable parameters, counted on each side (asserted equal). */
  readonly params: { readonly ours: number; readonly torch: number };
  /**
   * max |ours − torch| / max |ours| of the forward pass on the test batch with the same weights
   * (the larger of the initial and the probe weight sets; for models with an auxiliary loss, also
   * its relative difference).
   */
  readonly forwardRelDiff: number;
  /** The same, for each weight set: our initial weights and the probe weights. */
  readonly forwardRelDiffs: Pick<TwinCheck, "initial" | "probe" | "aux">;
  /** Our timings. */
  readonly ours: PeerSideTimes;
  /** PyTorch's timings. */
  readonly torch: PeerSideTimes;
  /** ours / PyTorch, medians. */
  readonly ratio: {
    readonly plainStep: number;
    readonly remulStep: number;
    readonly infer: number;
  };
}

/** Our side's backend and thread counts. */
export interface OurBackend {
  /** The backend choice and its reason. */
  readonly choice: BackendChoice;
  /** CPU threads tfjs's own kernels run on; null on WebGPU (the GPU does the work). */
  readonly threads: number | null;
  /**
   * The system OpenBLAS that runs the wasm backend's larger matrix products (path and threads),
   * or null when it is not in use (another backend, no `--allow-ffi`, no library).
   */
  readonly blas: { readonly path: string; readonly threads: number } | null;
  /** What runs the kernels the project replaced, one line each (from `initBackend`). */
  readonly kernels: readonly string[];
}

/**
 * Starts our backend with `threads` threads wherever a thread count can be set: the wasm
 * backend's own thread pool (tfjs-backend-wasm runs single-threaded under Deno whatever is
 * asked) and the OpenBLAS that runs its matrix products (`REMUL_BLAS_THREADS`). The cpu backend
 * is plain JavaScript on one thread.
 *
 * @param choice the resolved backend.
 * @param threads threads asked for.
 * @returns the backend and the threads it actually uses.
 * @throws Error when the backend cannot start.
 */
export async function startOurBackend(choice: BackendChoice, threads: number): Promise<OurBackend> {
  if (choice.name === "wasm") {
    const wasm = await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
    wasm.setThreadsCount(threads);
    Deno.env.set("REMUL_BLAS_THREADS", String(threads)); // read when the library is opened
    const kernels = await initBackend("wasm");
    const status = loadNativeBlas(); // the status initBackend's matmul kernel got (cached)
    return {
      choice,
      threads: wasm.getThreadsCount(),
      blas: status.loaded ? { path: status.blas.path, threads: status.blas.threads } : null,
      kernels,
    };
  }
  const kernels = await initBackend(choice.name);
  return { choice, threads: choice.name === "cpu" ? 1 : null, blas: null, kernels };
}

/** Options of {@linkcode runPeer}. */
export interface RunPeerOptions {
  /** Our backend (started with {@link startOurBackend}). */
  readonly backend: OurBackend;
  /** The Python with torch. */
  readonly python: TorchPython;
  /** Threads on the PyTorch side. */
  readonly threads: number;
  /** Batch size for every workload; default each workload's own. */
  readonly batch?: number;
  /** Timed steps and forward passes. */
  readonly repeats: number;
  /** Untimed steps (after the cold first) and forward passes before them. */
  readonly warmup: number;
  /** Called with one line of progress. */
  readonly onProgress?: (line: string) => void;
  /** Called when the PyTorch process has started. */
  readonly onTorchStart?: (hello: TorchHello) => void;
}

function maxAbs(values: ArrayLike<number | null>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i] ?? Infinity));
  return m;
}

/**
 * max |ours − PyTorch| / max |ours| of two predictions (Infinity when the lengths differ or
 * PyTorch's has a non-finite value, sent as null).
 */
export function forwardRelDiff(ours: Float32Array, torch: readonly (number | null)[]): number {
  if (ours.length !== torch.length) return Infinity;
  let d = 0;
  for (let i = 0; i < ours.length; i++) {
    const t = torch[i];
    d = Math.max(d, t === null ? Infinity : Math.abs(ours[i] - t));
  }
  return d / Math.max(maxAbs(ours), 1e-12);
}

/**
 * A second weight set for the forward check: every tensor uniform in ±1/√(first dimension), so
 * layers whose initialisation is tiny (EGNN's coordinate output, gain 0.001) weigh in fully.
 */
function probeWeights(shapes: readonly (readonly number[])[], seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(shape[0] ?? 1);
    return rng.uniformArray(size, -bound, bound);
  });
}

function setWeights(params: readonly Variable[], values: readonly Float32Array[]): void {
  params.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i], v.shape, "float32"))));
}

function side(
  plain: readonly number[],
  remul: readonly number[],
  infer: readonly number[],
  warmup: number,
): PeerSideTimes {
  return {
    plainStep: summarizeTimes(plain.slice(1 + warmup)),
    remulStep: summarizeTimes(remul.slice(1 + warmup)),
    infer: summarizeTimes(infer),
    plainColdStartMs: plain[0],
    remulColdStartMs: remul[0],
  };
}

/** What {@linkcode loadTwin} found. */
export interface TwinCheck {
  /** Trainable scalars of the PyTorch model, counted there. */
  readonly torchParams: number;
  /** Why our weights did not load into it (shapes differ), if they did not. */
  readonly error?: string;
  /** {@link forwardRelDiff} with our initial weights. */
  readonly initial: number;
  /** {@link forwardRelDiff} with the probe weights ({@link probeWeights}). */
  readonly probe: number;
  /**
   * For models with an auxiliary loss (GATr's regulariser, part of the training loss): its
   * relative difference |ours − PyTorch| / |ours| with each weight set.
   */
  readonly aux?: { readonly initial: number; readonly probe: number };
}

/** The largest relative difference of a {@link TwinCheck}, predictions and auxiliary losses. */
export function twinRelDiff(t: TwinCheck): number {
  return Math.max(t.initial, t.probe, t.aux?.initial ?? 0, t.aux?.probe ?? 0);
}

/**
 * Builds a model's PyTorch twin with our initial weights, our data and the constant tables it
 * takes from us (`constants.ts`), and compares its forward output on the test batch (the first
 * `batch` test samples) with ours, with our initial weights and with a probe weight set. Our
 * model keeps its initial weights.
 *
 * @param torch a running PyTorch side.
 * @param id model id.
 * @param config the resolved model config.
 * @param model our model, built from `dataset` with `config`.
 * @param dataset the data set (training split and at least `batch` test samples).
 * @param batch samples of the test batch.
 * @param seed seed of the PyTorch side and of the probe weights.
 * @returns the twin's parameter count and the relative forward differences.
 * @throws Error when the PyTorch side cannot build the model.
 */
export async function loadTwin(
  torch: TorchPeer,
  id: string,
  config: Readonly<Record<string, unknown>>,
  model: Model,
  dataset: Dataset,
  batch: number,
  seed: number,
): Promise<TwinCheck> {
  const test = dataset.splits.test;
  const testBatch = makeBatch(dataset, test, [...Array(batch).keys()]);
  const predict = async () => {
    const [y, aux] = tf.tidy(() => {
      const out = model.forward(testBatch.inputs);
      return out.auxLoss ? [out.prediction, out.auxLoss] : [out.prediction];
    });
    const values = (await y.data()) as Float32Array;
    const auxLoss = aux ? (await aux.data())[0] : undefined;
    tf.dispose([y, aux]);
    return { values, auxLoss };
  };
  const weights = await Promise.all(
    model.params.map(async (v) => ({ values: (await v.data()) as Float32Array, shape: v.shape })),
  );
  const probe = probeWeights(weights.map((w) => w.shape), deriveSeed(seed, "probe"));
  setWeights(model.params, probe);
  const ourProbe = await predict();
  setWeights(model.params, weights.map((w) => w.values));
  const ourPrediction = await predict();
  disposeBatch(testBatch);
  const testInputs: Record<string, Float32Array> = {};
  for (const f of dataset.inputs) {
    const size = f.shape.reduce((a, b) => a * b, 1);
    testInputs[f.name] = test.inputs[f.name].subarray(0, batch * size);
  }
  const loaded = await torch.load({
    model: id,
    config,
    inputs: dataset.inputs,
    target: dataset.target,
    edges: dataset.edges,
    rotations: dataset.trainRotations,
    seed,
    weights,
    probe,
    constants: peerConstants(id),
    train: dataset.splits.train.inputs,
    trainTarget: dataset.splits.train.target,
    trainSize: dataset.splits.train.size,
    test: testInputs,
    testSize: batch,
  });
  const auxDiff = (ours: number, torch: number | null | undefined) =>
    typeof torch === "number" ? Math.abs(ours - torch) / Math.max(Math.abs(ours), 1e-12) : Infinity;
  return {
    torchParams: loaded.params,
    error: loaded.error,
    initial: forwardRelDiff(ourPrediction.values, loaded.prediction ?? []),
    probe: forwardRelDiff(ourProbe.values, loaded.probePrediction ?? []),
    aux: ourPrediction.auxLoss === undefined ? undefined : {
      initial: auxDiff(ourPrediction.auxLoss, loaded.auxLoss),
      probe: auxDiff(ourProbe.auxLoss!, loaded.probeAuxLoss),
    },
  };
}

/**
 * Runs the comparison, one workload at a time: ours is built and its initial weights and forward
 * output are handed to PyTorch, which must agree; then ours is timed, then PyTorch.
 *
 * @param workloads what to compare.
 * @param options backend, Python, threads, batch, repeats and warm-up.
 * @returns one record per workload.
 * @throws Error when parameter counts differ, the forward outputs differ by more than
 *   {@link FORWARD_TOLERANCE}, or either side fails.
 */
export async function runPeer(
  workloads: readonly PeerWorkload[],
  options: RunPeerOptions,
): Promise<PeerRecord[]> {
  const { repeats, warmup } = options;
  const registries = createRegistries();
  const torch = await TorchPeer.start(options.python.python, options.threads);
  options.onTorchStart?.(torch.hello);
  const records: PeerRecord[] = [];
  try {
    for (const w of workloads) {
      const label = `${w.model} ${w.config}`;
      const batch = options.batch ?? w.batch;
      const seed = deriveSeed("peer", w.model, w.config);
      const dataset = await w.dataset(batch, seed);
      const def = registries.models.get(w.model);
      const config = resolveConfig(def.defaults, w.modelConfig, `model "${w.model}"`);
      const model = createModel(w.model, { ...dataset, seed, config, registries });
      try {
        const params = countParams(model);
        options.onProgress?.(`${label}: ${params} parameters; loading them into PyTorch`);
        const twin = await loadTwin(torch, w.model, config, model, dataset, batch, seed);
        if (twin.torchParams !== params) {
          throw new Error(
            `${label}: parameter counts differ: ours ${params}, PyTorch ${twin.torchParams}`,
          );
        }
        if (twin.error) throw new Error(`${label}: weights do not load: ${twin.error}`);
        const rel = twinRelDiff(twin);
        if (!(rel <= FORWARD_TOLERANCE)) {
          throw new Error(
            `${label}: forward outputs differ with the same weights: max |ours − PyTorch| / ` +
              `max |ours| = ${rel.toExponential(2)} (tolerance ${FORWARD_TOLERANCE}; initial ` +
              `weights ${twin.initial.toExponential(2)}, probe ${twin.probe.toExponential(2)}` +
              (twin.aux
                ? `; auxiliary loss ${twin.aux.initial.toExponential(2)}, ` +
                  `probe ${twin.aux.probe.toExponential(2)}`
                : "") +
              ")",
          );
        }
        const test = dataset.splits.test;
        options.onProgress?.(
          `${label}: same forward output (rel. difference ${twin.initial.toExponential(1)} ` +
            `with our initial weights, ${twin.probe.toExponential(1)} with probe weights` +
            (twin.aux
              ? `; auxiliary loss ${twin.aux.initial.toExponential(1)}, ` +
                `${twin.aux.probe.toExponential(1)}`
              : "") +
            "); timing ours",
        );
        const timing = { batchSize: batch, lr: w.lr, gradClip: w.gradClip, warmup, repeats, seed };
        const plain = await trainStepTime(model, dataset, {
          kind: "constant",
          alpha: 1,
          beta: 0,
        }, timing);
        const remul = await trainStepTime(model, dataset, {
          kind: "constant",
          alpha: 1,
          beta: 1,
        }, timing);
        const infer = await inferenceTime(model, dataset, test, {
          batchSize: batch,
          repeats,
          warmup,
        });
        const ours: PeerSideTimes = {
          plainStep: plain.steps,
          remulStep: remul.steps,
          infer,
          plainColdStartMs: plain.coldStartMs,
          remulColdStartMs: remul.coldStartMs,
        };
        options.onProgress?.(`${label}: timing PyTorch`);
        const t = await torch.time({
          batch,
          warmup,
          repeats,
          inferenceWarmup: warmup,
          inferenceRepeats: repeats,
          lr: w.lr,
          gradClip: w.gradClip,
          seed,
        });
        const theirs = side(t.plainStepMs, t.remulStepMs, t.inferMs, warmup);
        records.push({
          model: w.model,
          config: w.config,
          modelConfig: config,
          data: w.data,
          batch,
          lr: w.lr,
          gradClip: w.gradClip,
          params: { ours: params, torch: twin.torchParams },
          forwardRelDiff: rel,
          forwardRelDiffs: { initial: twin.initial, probe: twin.probe, aux: twin.aux },
          ours,
          torch: theirs,
          ratio: {
            plainStep: ours.plainStep.median / theirs.plainStep.median,
            remulStep: ours.remulStep.median / theirs.remulStep.median,
            infer: ours.infer.median / theirs.infer.median,
          },
        });
      } finally {
        model.dispose();
      }
    }
  } finally {
    await torch.close();
  }
  return records;
}
