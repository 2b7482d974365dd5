/**
 * The CMU motion-capture data set of the REMUL protocol (docs/protocols.md, paper §5.2, App. C.3;
 * reference notes §7): 31 joint positions per frame from forward kinematics of the ASF/AMC files,
 * velocity `V[t] = X[t+1] − X[t]`, one sample per (trial, start s): input `(X[s], V[s])`, target
 * `X[s+ΔT]`, ΔT = 30 frames. Walking is CMU subject 35, running subject 9.
 *
 * Splits are trial-level as in GMN/EGHN: fixed trial ids per split; per trial a list of candidate
 * start frames; a split of size S takes the first ⌊S / #trials⌋ starts of each of its trials
 * (so walking train 200 gives 18 × 11 = 198 samples, running 40 × 5 = 200; val/test 600 and 240).
 * The sizes in the config are these S; 0 means the protocol's size for the motion
 * (200/600/600 walking, 200/240/240 running).
 *
 * Two sources:
 * - positions already computed, an `.npz` in the layout of `cmu_mocap_subject09_run.npz`
 *   (`trial_00`…, `edges` as (child, parent), `split_train/val/test` as (trial, start) pairs);
 *   used when `file` names an `.npz`, or found in the data folder as
 *   `cmu_mocap_subject09_run.npz` / `cmu_mocap_subject35_walk.npz`. The split comes from the file
 *   (a file without all three split arrays is an error, not a silent fallback to drawn starts).
 * - raw CMU files in the data folder (`09.asf` + `09_01.amc`…`09_11.amc`, or `35.asf` + the 23
 *   walking trials, see `mocap_sources.ts`; `deno task data mocap`), or `file` naming an `.asf`
 *   whose trials are the `<stem>_NN.amc` files beside it (sorted by number; the protocol uses the
 *   first 11 or 23). Parsed and turned into positions by `kinematics.ts`. The start frames are
 *   drawn here (seeded, the same every run): per trial `80` (running) or `100` (walking) distinct
 *   starts from `[0, 90)` or `[0, 300)`, capped to what the trial's length allows. EGHN's own
 *   draws (numpy seed 100) index trials in an unrecorded file order, so they are not reproduced;
 *   like EGHN, the first 6 frames of `09_10.amc` are dropped.
 *
 * Centring (REMUL removes translations by centring): every sample subtracts the mean joint
 * position of its input frame from the input positions and the target; velocities are unchanged.
 * The subtracted centres stay on each split as `centres` `[size, 3]`. Coordinates are raw ASF
 * units (y up), as in GMN/EGHN; MSE is reported ×10⁻² like the paper.
 *
 * Fields: `pos` [31, 3] position, `vel` [31, 3] vector; target `pos` [31, 3] position; `edges`:
 * the skeleton's bones in both directions. Training rotations: Haar SO(3) (the paper samples the
 * full group even for MoCap).
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "../core/rng.ts";
import { NpzFile } from "../io/npz.ts";
import { HAAR } from "../symmetry/rotation.ts";
import { parseAmc } from "./amc.ts";
import { parseAsf, skeletonBones } from "./asf.ts";
import {
  type Dataset,
  type DatasetDefinition,
  DatasetUnavailableError,
  type Split,
} from "./dataset.ts";
import { motionPositions } from "./kinematics.ts";
import { checkTrialFingerprint, MOCAP_SUBJECTS, mocapFileNames } from "./mocap_sources.ts";

/** MoCap data set parameters. */
export type MocapConfig = {
  /** `run` (CMU subject 9) or `walk` (CMU subject 35). */
  motion: string;
  /** Frames between input and target. */
  deltaT: number;
  /** Maximum training samples (0: the protocol's 200). */
  train: number;
  /** Maximum validation samples (0: 240 running, 600 walking). */
  val: number;
  /** Maximum test samples (0: 240 running, 600 walking). */
  test: number;
  /** A positions `.npz` or an `.asf` skeleton; empty: look in the data folder. */
  file: string;
};

/** Defaults: the paper's protocol; sizes follow `motion`. */
export const MOCAP_DEFAULTS: MocapConfig = {
  motion: "run",
  deltaT: 30,
  train: 0,
  val: 0,
  test: 0,
  file: "",
};

/** The trial-level protocol of one motion (GMN/EGHN `MotionDataset`). */
export interface MotionProtocol {
  /** Number of trials the ids below index. */
  readonly trials: number;
  /** Trial ids of the training split. */
  readonly train: readonly number[];
  /** Trial ids of the validation split. */
  readonly val: readonly number[];
  /** Trial ids of the test split. */
  readonly test: readonly number[];
  /** Candidate starts per trial are drawn from `[0, startRange)`. */
  readonly startRange: number;
  /** Candidate starts drawn per trial. */
  readonly startsPerTrial: number;
  /** The paper's split sizes. */
  readonly sizes: { readonly train: number; readonly val: number; readonly test: number };
  /** Positions file looked for in the data folder. */
  readonly positionsFile: string;
  /** Frames dropped at the start of a raw trial file, by file name (EGHN's special case). */
  readonly dropFirst: Readonly<Record<string, number>>;
}

/** Protocols of the two motions (reference notes §7). */
export const MOTION_PROTOCOLS: Readonly<Record<"run" | "walk", MotionProtocol>> = {
  run: {
    trials: 11,
    train: [1, 2, 5, 6, 10],
    val: [0, 4, 9],
    test: [3, 7, 8],
    startRange: 90,
    startsPerTrial: 80,
    sizes: { train: 200, val: 240, test: 240 },
    positionsFile: "cmu_mocap_subject09_run.npz",
    dropFirst: MOCAP_SUBJECTS.run.dropFirst,
  },
  walk: {
    trials: 23,
    train: [20, 1, 17, 13, 14, 9, 4, 2, 7, 5, 16],
    val: [3, 8, 11, 12, 15, 18],
    test: [6, 19, 21, 0, 22, 10],
    startRange: 300,
    startsPerTrial: 100,
    sizes: { train: 200, val: 600, test: 600 },
    positionsFile: "cmu_mocap_subject35_walk.npz",
    dropFirst: MOCAP_SUBJECTS.walk.dropFirst,
  },
};

/** Seed of the start-frame draw for raw files (fixed: the split is part of the protocol). */
export const MOCAP_SPLIT_SEED = 100;

/** A MoCap split: the usual arrays plus what centring removed and where samples came from. */
export interface MocapSplit extends Split {
  /** Mean joint position of each sample's input frame, `[size, 3]`, subtracted from pos/target. */
  readonly centres: Float32Array;
  /** `(trial, start)` of every sample, `[size, 2]`. */
  readonly origin: Int32Array;
}

/** Joint positions of every trial plus the skeleton's bones. */
export interface MocapTrials {
  /** Per trial `[T, joints, 3]` flattened, float64. */
  readonly trials: readonly Float64Array[];
  /** Frames per trial. */
  readonly lengths: readonly number[];
  /** Joints per frame (31 for CMU skeletons). */
  readonly joints: number;
  /** `[child, parent]` pairs. */
  readonly bones: readonly (readonly [number, number])[];
  /** `(trial, start)` pairs per split, when the source has them. */
  readonly splits?: Readonly<Record<"train" | "val" | "test", [number, number][]>>;
  /**
   * Raw files of a motion with known fingerprints: whether every trial's positions match the
   * preprocessed ones the published numbers were computed on, or what differs.
   */
  readonly fingerprint?: string;
}

const REPO_ROOT = new URL("../../", import.meta.url);

function protocolOf(motion: string): MotionProtocol {
  const p = MOTION_PROTOCOLS[motion as "run"];
  if (!p) throw new Error(`mocap: motion must be "run" or "walk", got "${motion}"`);
  return p;
}

/** The shell command that downloads the raw CMU files of a motion. */
export function mocapDownloadCommand(motion: string, dataDir: string): string {
  const dir = /^[\w./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replaceAll("'", "'\\''")}'`;
  return `deno task data mocap ${motion} --data-dir ${dir}`;
}

function candidates(file: string): string[] {
  if (isAbsolute(file)) return [file];
  const out = [resolve(file)];
  if (REPO_ROOT.protocol === "file:") out.push(join(fileURLToPath(REPO_ROOT), file));
  return [...new Set(out)];
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Where the data comes from. */
export type MocapSource =
  | { readonly kind: "positions"; readonly path: string }
  | { readonly kind: "raw"; readonly asf: string; readonly amc: readonly string[] };

/**
 * Finds the data for a config: `file` if given, else the data folder (a positions `.npz` first,
 * then the raw CMU files).
 *
 * @throws DatasetUnavailableError naming the missing file, where it was looked for, and the
 *   download command; Error for a `file` that is neither `.npz` nor `.asf`, or too few trials.
 */
export function locateMocapSource(config: MocapConfig, dataDir: string): MocapSource {
  const protocol = protocolOf(config.motion);
  const command = mocapDownloadCommand(config.motion, dataDir);
  if (config.file !== "") {
    const found = candidates(config.file).find(exists);
    if (!found) {
      throw new DatasetUnavailableError(
        `mocap: file "${config.file}" not found (looked at ${
          candidates(config.file).join(", ")
        }); get the CMU data with: ${command}`,
      );
    }
    if (found.endsWith(".npz")) return { kind: "positions", path: found };
    if (!found.toLowerCase().endsWith(".asf")) {
      throw new Error(`mocap: file "${config.file}" must be a positions .npz or an .asf skeleton`);
    }
    const stem = basename(found).replace(/\.asf$/i, "");
    const dir = dirname(found);
    const re = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}_(\\d+)\\.amc$`, "i");
    const amc = [...Deno.readDirSync(dir)]
      .map((e) => ({ name: e.name, m: re.exec(e.name) }))
      .filter((e) => e.m)
      .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
      .map((e) => join(dir, e.name));
    if (amc.length < protocol.trials) {
      throw new Error(
        `mocap: motion "${config.motion}" needs ${protocol.trials} trials, found ${amc.length} ` +
          `files ${stem}_NN.amc beside "${found}"`,
      );
    }
    return { kind: "raw", asf: found, amc: amc.slice(0, protocol.trials) };
  }
  const positions = join(dataDir, protocol.positionsFile);
  if (exists(positions)) return { kind: "positions", path: positions };
  const names = mocapFileNames(config.motion);
  const missing = [names.asf, ...names.amc].filter((n) => !exists(join(dataDir, n)));
  if (missing.length > 0) {
    throw new DatasetUnavailableError(
      `mocap: ${config.motion} data not found in ${resolve(dataDir)}: neither ` +
        `${protocol.positionsFile} nor the CMU files (missing ${missing.slice(0, 3).join(", ")}${
          missing.length > 3 ? `, … ${missing.length} files` : ""
        }); get them with: ${command}`,
    );
  }
  return {
    kind: "raw",
    asf: join(dataDir, names.asf),
    amc: names.amc.map((n) => join(dataDir, n)),
  };
}

/**
 * Reads a positions `.npz` (layout of `cmu_mocap_subject09_run.npz`).
 *
 * @throws NpzError / Error naming the file: missing keys (the split keys included),
 *   inconsistent shapes, bad edges, a NaN or infinite coordinate (with its index).
 */
export async function readPositionsNpz(path: string): Promise<MocapTrials> {
  const z = await NpzFile.open(path);
  try {
    const keys = z.keys().filter((k) => /^trial_\d+$/.test(k)).sort((a, b) =>
      Number(a.slice(6)) - Number(b.slice(6))
    );
    if (keys.length === 0) throw new Error(`mocap: "${path}" has no trial_NN arrays`);
    keys.forEach((k, i) => {
      if (Number(k.slice(6)) !== i) throw new Error(`mocap: "${path}" lacks trial_${i}`);
    });
    const trials: Float64Array[] = [];
    const lengths: number[] = [];
    let joints = -1;
    for (const k of keys) {
      const info = await z.describe(k);
      if (info.shape.length !== 3 || info.shape[2] !== 3) {
        throw new Error(
          `mocap: "${path}" array ${k} has shape [${info.shape}], expected [T, J, 3]`,
        );
      }
      if (joints >= 0 && info.shape[1] !== joints) {
        throw new Error(`mocap: "${path}" array ${k} has ${info.shape[1]} joints, not ${joints}`);
      }
      joints = info.shape[1];
      trials.push(await z.readFloat64(k, undefined, { finite: true }));
      lengths.push(info.shape[0]);
    }
    const e = await z.readInt32("edges", [-1, 2]);
    const bones: [number, number][] = [];
    for (let i = 0; i < e.length; i += 2) {
      if (e[i] < 0 || e[i] >= joints || e[i + 1] < 0 || e[i + 1] >= joints) {
        throw new Error(`mocap: "${path}" edge ${i / 2} (${e[i]}, ${e[i + 1]}) is out of range`);
      }
      bones.push([e[i], e[i + 1]]);
    }
    const splitKeys = ["split_train", "split_val", "split_test"];
    const missing = splitKeys.filter((k) => !z.has(k));
    if (missing.length) {
      throw new Error(
        `mocap: "${path}" lacks ${missing.join(", ")}: a positions file carries the protocol's ` +
          `(trial, start) split as split_train, split_val and split_test [n, 2]; without them ` +
          `the published split cannot be reproduced (use the raw CMU files instead)`,
      );
    }
    const read = async (k: string) => {
      const a = await z.readInt32(k, [-1, 2]);
      const out: [number, number][] = [];
      for (let i = 0; i < a.length; i += 2) {
        if (a[i] < 0 || a[i] >= trials.length) {
          throw new Error(`mocap: "${path}" ${k} names trial ${a[i]} of ${trials.length}`);
        }
        out.push([a[i], a[i + 1]]);
      }
      return out;
    };
    const splits = {
      train: await read("split_train"),
      val: await read("split_val"),
      test: await read("split_test"),
    };
    return { trials, lengths, joints, bones, splits };
  } finally {
    z.close();
  }
}

/**
 * Parses a skeleton and its trials and runs forward kinematics.
 *
 * @param asf path of the `.asf`.
 * @param amc paths of the `.amc` trials, in protocol order.
 * @param options `dropFirst`: frames dropped at the start of a trial, by file name; `motion`:
 *   the protocol's motion, whose known fingerprints (`mocap_fingerprint.ts`) the trials are
 *   compared with.
 * @throws MocapFormatError naming the file and line of malformed input (including a file cut
 *   off mid-line); Error naming the file when a known CMU trial (its first frame matches) has
 *   fewer frames than it should (a file cut off between two frames). Other fingerprint
 *   differences are recorded in the protocol.
 */
export async function readRawTrials(
  asf: string,
  amc: readonly string[],
  options: { dropFirst?: Readonly<Record<string, number>>; motion?: string } = {},
): Promise<MocapTrials> {
  const skeleton = parseAsf(await Deno.readTextFile(asf), asf);
  const joints = skeleton.joints.length;
  const trials: Float64Array[] = [];
  const differences: string[] = [];
  let checked = 0;
  for (const path of amc) {
    const motion = parseAmc(await Deno.readTextFile(path), skeleton, path);
    const name = basename(path);
    const positions = motionPositions(skeleton, motion);
    const drop = options.dropFirst?.[name] ?? 0;
    const want = options.motion === undefined
      ? undefined
      : MOCAP_SUBJECTS[options.motion as "run"]?.fingerprints?.[name];
    // The trial's own first frame (its root) but fewer frames: the file was cut off between two
    // frames. (A different root means another file altogether: recorded below, not refused.)
    const kept = motion.frames.length - drop;
    if (want && kept > 0 && kept < want.frames) {
      const root = positions.subarray(drop * joints * 3, drop * joints * 3 + 3);
      if (want.root.every((v, d) => Math.abs(v - root[d]) <= 1e-4)) {
        throw new Error(
          `mocap: "${path}" has ${motion.frames.length} frames, but CMU trial ${name} has ${
            want.frames + drop
          }: the file is incomplete (cut off between two frames); download it again with: ${
            mocapDownloadCommand(options.motion!, dirname(path))
          }`,
        );
      }
    }
    const diff = options.motion === undefined
      ? undefined
      : checkTrialFingerprint(options.motion, name, positions, joints);
    if (diff) checked++;
    if (diff?.length) differences.push(`${name}: ${diff.join("; ")}`);
    trials.push(positions.slice(drop * joints * 3));
  }
  const fingerprint = checked === 0
    ? undefined
    : differences.length === 0
    ? `all ${checked} trials match EGHN's preprocessed positions`
    : `${differences.length} of ${checked} trials differ from EGHN's preprocessed positions: ` +
      differences.join(" | ");
  return {
    trials,
    lengths: trials.map((t) => t.length / (joints * 3)),
    joints,
    bones: skeletonBones(skeleton),
    fingerprint,
  };
}

/**
 * The protocol's candidate start frames for trials of the given lengths: per split trial,
 * `startsPerTrial` distinct starts from `[0, startRange)`, capped so that `s + ΔT` still has a
 * velocity (`s + ΔT ≤ T − 2`).
 *
 * @returns `(trial, start)` pairs per split, trial by trial.
 * @throws Error when a trial is too short for ΔT or there are fewer trials than the protocol's.
 */
export function drawMocapStarts(
  protocol: MotionProtocol,
  lengths: readonly number[],
  deltaT: number,
  seed = MOCAP_SPLIT_SEED,
): Record<"train" | "val" | "test", [number, number][]> {
  if (lengths.length < protocol.trials) {
    throw new Error(`mocap: the protocol needs ${protocol.trials} trials, got ${lengths.length}`);
  }
  const rng = new Rng(seed);
  const out = { train: [], val: [], test: [] } as Record<
    "train" | "val" | "test",
    [number, number][]
  >;
  for (const name of ["train", "val", "test"] as const) {
    for (const trial of protocol[name]) {
      const range = Math.min(protocol.startRange, lengths[trial] - 1 - deltaT);
      if (range < 1) {
        throw new Error(
          `mocap: trial ${trial} has ${lengths[trial]} frames, too short for ΔT = ${deltaT}`,
        );
      }
      const starts = rng.permutation(range).slice(0, Math.min(protocol.startsPerTrial, range));
      for (const s of starts) out[name].push([trial, s]);
    }
  }
  return out;
}

/**
 * Builds one split: per trial (in order of first appearance) the first ⌊size / #trials⌋ of its
 * starts, then samples `(X[s] − c, V[s]) → X[s+ΔT] − c` with `c` the mean joint of `X[s]`.
 *
 * @throws Error when a start is out of range for ΔT or the size gives no sample per trial.
 */
export function buildMocapSplit(
  data: MocapTrials,
  pairs: readonly (readonly [number, number])[],
  size: number,
  deltaT: number,
  what: string,
): MocapSplit & { trialIds: number[]; perTrial: number } {
  const byTrial = new Map<number, number[]>();
  for (const [t, s] of pairs) {
    if (!byTrial.has(t)) byTrial.set(t, []);
    byTrial.get(t)!.push(s);
  }
  const each = Math.floor(size / byTrial.size);
  if (each < 1) {
    throw new Error(
      `mocap: ${what} size ${size} gives no sample for each of ${byTrial.size} trials`,
    );
  }
  const chosen: [number, number][] = [];
  for (const [t, starts] of byTrial) {
    for (const s of starts.slice(0, each)) {
      if (!Number.isInteger(s) || s < 0 || s + deltaT > data.lengths[t] - 2) {
        throw new Error(
          `mocap: ${what} start ${s} of trial ${t} (${data.lengths[t]} frames) is out of range ` +
            `for ΔT = ${deltaT}`,
        );
      }
      chosen.push([t, s]);
    }
  }
  const j = data.joints;
  const stride = j * 3;
  const n = chosen.length;
  const pos = new Float32Array(n * stride);
  const vel = new Float32Array(n * stride);
  const target = new Float32Array(n * stride);
  const centres = new Float32Array(n * 3);
  const origin = new Int32Array(n * 2);
  chosen.forEach(([t, s], k) => {
    const x = data.trials[t];
    const c = [0, 0, 0];
    for (let a = 0; a < j; a++) for (let d = 0; d < 3; d++) c[d] += x[s * stride + 3 * a + d] / j;
    for (let i = 0; i < stride; i++) {
      const d = i % 3;
      pos[k * stride + i] = x[s * stride + i] - c[d];
      vel[k * stride + i] = x[(s + 1) * stride + i] - x[s * stride + i];
      target[k * stride + i] = x[(s + deltaT) * stride + i] - c[d];
    }
    centres.set(c, 3 * k);
    origin.set([t, s], 2 * k);
  });
  return {
    size: n,
    inputs: { pos, vel },
    target,
    centres,
    origin,
    trialIds: [...byTrial.keys()],
    perTrial: Math.min(each, ...[...byTrial.values()].map((v) => v.length)),
  };
}

/**
 * Loads the MoCap data set.
 *
 * @param config motion, ΔT, split sizes, optional file.
 * @param dataDir the data folder (`--data-dir`).
 * @returns splits train/val/test with fields `pos`, `vel` → `pos`, bones as edges.
 * @throws DatasetUnavailableError when no data is found (with the download command);
 *   MocapFormatError / Error for malformed files or a ΔT the trials cannot serve.
 *
 * @example
 * ```ts
 * import { loadMocap } from "./mocap.ts";
 * const d = await loadMocap(
 *   { motion: "run", deltaT: 4, train: 20, val: 12, test: 12, file: "fixtures/mocap/tiny.asf" },
 *   "data",
 * );
 * if (d.splits.train.size !== 20 || d.inputs[0].shape[1] !== 3) throw new Error();
 * ```
 */
export async function loadMocap(config: MocapConfig, dataDir: string): Promise<Dataset> {
  const protocol = protocolOf(config.motion);
  if (!Number.isInteger(config.deltaT) || config.deltaT < 1) {
    throw new Error(`mocap: deltaT must be a positive integer, got ${config.deltaT}`);
  }
  const sizes = {
    train: config.train || protocol.sizes.train,
    val: config.val || protocol.sizes.val,
    test: config.test || protocol.sizes.test,
  };
  for (const [k, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`mocap: ${k} must be an integer ≥ 0, got ${v}`);
    }
  }
  const source = locateMocapSource(config, dataDir);
  const data = source.kind === "positions"
    ? await readPositionsNpz(source.path)
    : await readRawTrials(source.asf, source.amc, {
      dropFirst: protocol.dropFirst,
      motion: config.motion,
    });
  const where = source.kind === "positions" ? source.path : source.asf;
  let pairs = data.splits;
  let splitOrigin = `(trial, start) pairs stored in ${basename(where)}`;
  if (!pairs) {
    pairs = drawMocapStarts(protocol, data.lengths, config.deltaT);
    splitOrigin = `trial ids of GMN/EGHN; ${protocol.startsPerTrial} starts per trial drawn ` +
      `from [0, min(${protocol.startRange}, T−1−ΔT)) with seed ${MOCAP_SPLIT_SEED}`;
  }
  const build = (name: "train" | "val" | "test") => {
    try {
      return buildMocapSplit(data, pairs![name], sizes[name], config.deltaT, name);
    } catch (e) {
      throw new Error(`${(e as Error).message} (data: "${where}")`);
    }
  };
  const train = build("train");
  const val = build("val");
  const test = build("test");
  const n = data.joints;
  const edges: [number, number][] = [];
  for (const [c, p] of data.bones) edges.push([c, p], [p, c]);
  const strip = ({ trialIds: _t, perTrial: _p, ...s }: ReturnType<typeof build>) => s;
  return {
    inputs: [
      { name: "pos", kind: "position", shape: [n, 3] },
      { name: "vel", kind: "vector", shape: [n, 3] },
    ],
    target: { name: "pos", kind: "position", shape: [n, 3] },
    splits: { train: strip(train), val: strip(val), test: strip(test) },
    trainRotations: HAAR,
    edges,
    protocol: {
      motion: config.motion,
      source: source.kind === "positions"
        ? { kind: "positions npz", file: basename(source.path) }
        : {
          kind: "raw ASF/AMC",
          skeleton: basename(source.asf),
          trials: source.amc.map((p) => basename(p)),
        },
      deltaT: config.deltaT,
      joints: n,
      trialLengths: data.lengths,
      split: splitOrigin,
      trials: { train: train.trialIds, val: val.trialIds, test: test.trialIds },
      startsPerTrial: { train: train.perTrial, val: val.perTrial, test: test.perTrial },
      sizes: { train: train.size, val: val.size, test: test.size },
      velocity: "V[t] = X[t+1] − X[t]",
      centring: "mean joint position of the input frame subtracted from input and target " +
        "positions (kept as split.centres)",
      units: "raw ASF length units, y up",
      edges: "skeleton bones, both directions",
      trainRotations: "Haar SO(3)",
      droppedFrames: source.kind === "raw" ? protocol.dropFirst : {},
      ...(data.fingerprint ? { fingerprint: data.fingerprint } : {}),
    },
  };
}

/** Registry entry for the MoCap data set. */
export const mocap: DatasetDefinition<MocapConfig> = {
  id: "mocap",
  description: "CMU MoCap (subject 35 walking, subject 9 running), 31 joints, ΔT = 30 frames",
  defaults: MOCAP_DEFAULTS,
  ranges: {
    deltaT: { integer: true, min: 1, what: "frames between input and target" },
    train: { integer: true, min: 0, what: "training samples; 0 = the protocol's" },
    val: { integer: true, min: 0, what: "validation samples; 0 = the protocol's" },
    test: { integer: true, min: 0, what: "test samples; 0 = the protocol's" },
  },
  load: (config, ctx) => loadMocap(config, ctx.dataDir),
};
