/**
 * Content check of downloaded CMU running trials against the positions EGHN computed from the
 * same files (`motion_run.pkl`, the source of the running data the paper's protocol uses). CMU
 * publishes no checksums, so each trial is checked by what it must produce: after forward
 * kinematics (and EGHN's dropped frames) a trial must have EGHN's number of frames, the root at
 * the first kept frame must sit where EGHN's does (it is the AMC file's own root translation,
 * so this pins the file and the trial order), and the mean joint position and the RMS spread of
 * all joints over all frames must agree to 1e-6 relative (this pins the kinematics port).
 *
 * The fingerprints below are statistics computed from EGHN's preprocessed running positions
 * (four numbers and a frame count per trial, not the data); `mocap_fingerprint_test.ts` recomputes
 * them from the validation copy of that data when it is present.
 *
 * Imports no tfjs, so the download task starts fast.
 *
 * @module
 */

/** What a trial's joint positions must look like. */
export interface TrialFingerprint {
  /** Frames kept. */
  readonly frames: number;
  /** Root joint (joint 0) position at the first kept frame. */
  readonly root: readonly [number, number, number];
  /** Mean position over every joint of every frame. */
  readonly mean: readonly [number, number, number];
  /** Root mean square distance of every joint of every frame from `mean`. */
  readonly rms: number;
}

/**
 * Fingerprint of one trial's positions.
 *
 * @param positions `[frames, joints, 3]` flattened (float64), joint 0 the root.
 * @param joints joints per frame.
 * @throws Error when the length is not a whole number of frames, or there are none.
 *
 * @example
 * ```ts
 * import { trialFingerprint } from "./mocap_fingerprint.ts";
 * const f = trialFingerprint(new Float64Array([0, 0, 0, 2, 0, 0]), 1); // 2 frames of 1 joint
 * if (f.frames !== 2 || f.mean[0] !== 1 || f.rms !== 1) throw new Error();
 * ```
 */
export function trialFingerprint(positions: Float64Array, joints: number): TrialFingerprint {
  const n = positions.length / 3;
  if (!Number.isInteger(n / joints) || n === 0) {
    throw new Error(
      `trialFingerprint: ${positions.length} values are not frames of ${joints} joints`,
    );
  }
  const mean = [0, 0, 0];
  for (let i = 0; i < positions.length; i++) mean[i % 3] += positions[i] / n;
  let ss = 0;
  for (let i = 0; i < positions.length; i++) ss += (positions[i] - mean[i % 3]) ** 2;
  return {
    frames: n / joints,
    root: [positions[0], positions[1], positions[2]],
    mean: [mean[0], mean[1], mean[2]],
    rms: Math.sqrt(ss / n),
  };
}

/**
 * Differences between a trial's fingerprint and the expected one, as sentences (empty: a match).
 * The root must agree to 1e-4 absolute (AMC files store 6 significant digits), mean and RMS to
 * 1e-6 of the RMS.
 */
export function fingerprintMismatches(got: TrialFingerprint, want: TrialFingerprint): string[] {
  const out: string[] = [];
  if (got.frames !== want.frames) out.push(`${got.frames} frames, expected ${want.frames}`);
  const far = (a: readonly number[], b: readonly number[], tol: number) =>
    a.some((v, i) => !(Math.abs(v - b[i]) <= tol));
  const fmt = (a: readonly number[]) => `(${a.map((v) => v.toPrecision(7)).join(", ")})`;
  if (far(got.root, want.root, 1e-4)) {
    out.push(`root at the first frame ${fmt(got.root)}, expected ${fmt(want.root)}`);
  }
  const tol = 1e-6 * want.rms;
  if (far(got.mean, want.mean, tol)) {
    out.push(`mean joint position ${fmt(got.mean)}, expected ${fmt(want.mean)}`);
  }
  if (!(Math.abs(got.rms - want.rms) <= tol)) {
    out.push(`RMS spread ${got.rms.toPrecision(7)}, expected ${want.rms.toPrecision(7)}`);
  }
  return out;
}

/**
 * Fingerprints of EGHN's running positions (CMU subject 9), by the AMC file each trial comes
 * from; trial `i` of the positions file is `09_{i+1}.amc`, and 09_10's first 6 frames are
 * dropped before the fingerprint is taken.
 */
export const EGHN_RUN_FINGERPRINTS: Readonly<Record<string, TrialFingerprint>> = {
  "09_01.amc": {
    frames: 141,
    root: [0.0917792, 17.1113, -36.2281],
    mean: [0.3428745413, 16.79304273, 2.707762476],
    rms: 23.53732987,
  },
  "09_02.amc": {
    frames: 138,
    root: [1.92817, 18.4484, -23.8615],
    mean: [1.884327553, 16.65768877, 11.81421174],
    rms: 21.99301065,
  },
  "09_03.amc": {
    frames: 165,
    root: [1.30779, 18.31, -31.1539],
    mean: [0.4898986799, 16.83419051, 12.33296209],
    rms: 26.32233275,
  },
  "09_04.amc": {
    frames: 143,
    root: [-0.75525, 17.4139, -27.769],
    mean: [-0.8370982845, 16.74778139, 9.773817164],
    rms: 23.06031728,
  },
  "09_05.amc": {
    frames: 137,
    root: [0.0153558, 18.0056, -30.6689],
    mean: [-0.04969270946, 16.67008146, 6.271631758],
    rms: 22.82252342,
  },
  "09_06.amc": {
    frames: 126,
    root: [0.60116, 18.7379, -27.374],
    mean: [0.1514594896, 16.76600388, 6.854751323],
    rms: 21.14449115,
  },
  "09_07.amc": {
    frames: 148,
    root: [-0.307087, 17.6356, -28.2214],
    mean: [-0.6210119354, 16.72135274, 11.8736669],
    rms: 24.41840456,
  },
  "09_08.amc": {
    frames: 128,
    root: [0.555215, 17.1131, -23.0715],
    mean: [-0.1848011452, 16.84779811, 10.74455881],
    rms: 20.93966173,
  },
  "09_09.amc": {
    frames: 130,
    root: [0.0501492, 17.0635, -27.6745],
    mean: [-0.09244964302, 16.70747452, 7.003427548],
    rms: 21.46180648,
  },
  "09_10.amc": {
    frames: 152,
    root: [0.0698197, 17.1484, -28.7254],
    mean: [0.2361440272, 16.85397876, 11.65010911],
    rms: 24.30214142,
  },
  "09_11.amc": {
    frames: 128,
    root: [-0.334871, 17.1947, -24.8418],
    mean: [-0.00324046413, 16.82599781, 8.758494406],
    rms: 20.79948032,
  },
};
