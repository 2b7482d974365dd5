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
 * The parts: the protocol as data (`mocap_protocol.ts`), where the files are
 * (`mocap_locate.ts`), the two readers (`mocap_read.ts`) and the splits (`mocap_split.ts`); this
 * module loads the data set from them and registers it.
 *
 * @module
 */
import { basename } from "node:path";
import { HAAR } from "../symmetry/rotation.ts";
import type { Dataset, DatasetDefinition } from "./dataset.ts";
import { locateMocapSource } from "./mocap_locate.ts";
import {
  MOCAP_DEFAULTS,
  MOCAP_SPLIT_SEED,
  type MocapConfig,
  motionProtocol,
} from "./mocap_protocol.ts";
import { readPositionsNpz, readRawTrials } from "./mocap_read.ts";
import { buildMocapSplit, drawMocapStarts } from "./mocap_split.ts";

export {
  MOCAP_DEFAULTS,
  MOCAP_SPLIT_SEED,
  type MocapConfig,
  MOTION_PROTOCOLS,
  type MotionProtocol,
} from "./mocap_protocol.ts";
export { locateMocapSource, mocapDownloadCommand, type MocapSource } from "./mocap_locate.ts";
export { type MocapTrials, readPositionsNpz, readRawTrials } from "./mocap_read.ts";
export { buildMocapSplit, drawMocapStarts, type MocapSplit } from "./mocap_split.ts";

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
  const protocol = motionProtocol(config.motion);
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
