/**
 * The two MoCap readers: a positions `.npz` (the layout of `cmu_mocap_subject09_run.npz`, with
 * its split) and the raw CMU files (ASF skeleton + AMC trials, through forward kinematics), both
 * to the same {@linkcode MocapTrials}.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { NpzFile } from "../io/npz.ts";
import { parseAmc } from "./amc.ts";
import { parseAsf, skeletonBones } from "./asf.ts";
import { motionPositions } from "./kinematics.ts";
import { mocapDownloadCommand } from "./mocap_locate.ts";
import { checkTrialFingerprint, MOCAP_SUBJECTS } from "./mocap_sources.ts";

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
