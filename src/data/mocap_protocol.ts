/**
 * The MoCap protocol as data (docs/protocols.md, paper §5.2, App. C.3): the data set's settings
 * and defaults, and per motion the trial ids of each split, how start frames are drawn, the
 * paper's split sizes and the positions file looked for.
 *
 * @module
 */
import { MOCAP_SUBJECTS } from "./mocap_sources.ts";

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

/**
 * The protocol of a motion.
 *
 * @throws Error for a motion other than `run` and `walk`.
 */
export function motionProtocol(motion: string): MotionProtocol {
  const p = MOTION_PROTOCOLS[motion as "run"];
  if (!p) throw new Error(`mocap: motion must be "run" or "walk", got "${motion}"`);
  return p;
}
