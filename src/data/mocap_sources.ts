/**
 * Where `deno task data mocap` gets the CMU Graphics Lab Motion Capture Database files the MoCap
 * protocol uses (reference notes §7): subject 9 (running, trials 09_01–09_11) and subject 35
 * (walking, 23 trials: 35_01–35_16 and 35_28–35_34), each an Acclaim skeleton `NN.asf` plus one
 * `NN_TT.amc` per trial, from `https://mocap.cs.cmu.edu/subjects/NN/` (plain `http:` as a
 * fallback). Files land flat in the data folder under their CMU names.
 *
 * Which 23 walking trials EGHN used is not recorded (its preprocessed walking file is not
 * public); the walking trials of subject 35 are the natural reading. Checksums: CMU publishes
 * none, so none is pinned; every file is parsed before it is accepted (AMC files against the
 * skeleton when it is already there), and each running trial is run through forward kinematics
 * and compared with the positions EGHN computed from it (`mocap_fingerprint.ts`): a difference is
 * reported as a warning, since it may mean a different trial order or kinematics convention
 * rather than a bad file.
 *
 * Imports no tfjs, so the download task starts fast.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { parseAsf } from "./asf.ts";
import { parseAmc } from "./amc.ts";
import type { VerifyReport } from "./download.ts";
import { motionPositions } from "./kinematics.ts";
import {
  EGHN_RUN_FINGERPRINTS,
  fingerprintMismatches,
  type TrialFingerprint,
  trialFingerprint,
} from "./mocap_fingerprint.ts";
import type { DataSource, SourceFile } from "./sources.ts";

/** Base URLs of the CMU database's per-subject folders, tried in order. */
export const CMU_MOCAP_BASE_URLS: readonly string[] = [
  "https://mocap.cs.cmu.edu/subjects/",
  "http://mocap.cs.cmu.edu/subjects/",
];

/** A motion of the protocol: the CMU subject and its trial numbers, in the protocol's order. */
export interface MocapSubject {
  /** Two-digit subject number, e.g. `09`. */
  readonly subject: string;
  /** Trial numbers (`NN_TT.amc`), in the order the protocol's trial ids index. */
  readonly trials: readonly number[];
  /** Frames dropped at the start of a trial file, by file name (EGHN's special case). */
  readonly dropFirst: Readonly<Record<string, number>>;
  /** What each trial's positions must look like, by file name, where known. */
  readonly fingerprints?: Readonly<Record<string, TrialFingerprint>>;
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** The two motions of the paper (§5.2): walking (subject 35) and running (subject 9). */
export const MOCAP_SUBJECTS: Readonly<Record<"run" | "walk", MocapSubject>> = {
  run: {
    subject: "09",
    trials: range(1, 11),
    dropFirst: { "09_10.amc": 6 },
    fingerprints: EGHN_RUN_FINGERPRINTS,
  },
  walk: { subject: "35", trials: [...range(1, 16), ...range(28, 34)], dropFirst: {} },
};

/** The motions, for messages and the download command. */
export const MOCAP_MOTIONS: readonly ("run" | "walk")[] = ["run", "walk"];

/**
 * The files of a motion, as named in the data folder.
 *
 * @param motion `run` or `walk`.
 * @returns the skeleton file and the trial files in protocol order.
 * @throws Error for an unknown motion.
 *
 * @example
 * ```ts
 * import { mocapFileNames } from "./mocap_sources.ts";
 * const f = mocapFileNames("run");
 * if (f.asf !== "09.asf" || f.amc[10] !== "09_11.amc") throw new Error();
 * ```
 */
export function mocapFileNames(motion: string): { asf: string; amc: string[] } {
  const s = MOCAP_SUBJECTS[motion as "run"];
  if (!s) throw new Error(`mocap: unknown motion "${motion}"; known: ${MOCAP_MOTIONS.join(", ")}`);
  return {
    asf: `${s.subject}.asf`,
    amc: s.trials.map((t) => `${s.subject}_${String(t).padStart(2, "0")}.amc`),
  };
}

async function verifyAsf(path: string): Promise<VerifyReport> {
  const s = parseAsf(await Deno.readTextFile(path), path);
  return { checked: `ASF skeleton with ${s.joints.length} joints` };
}

/**
 * Compares a trial's forward-kinematics positions with its known fingerprint.
 *
 * @param name the AMC file name, e.g. `09_03.amc`.
 * @param positions `[frames, joints, 3]` of the whole file, before any frames are dropped.
 * @returns `undefined` when the motion has no fingerprint for `name`, else the mismatches (empty
 *   when the trial matches).
 */
export function checkTrialFingerprint(
  motion: string,
  name: string,
  positions: Float64Array,
  joints: number,
): string[] | undefined {
  const s = MOCAP_SUBJECTS[motion as "run"];
  const want = s?.fingerprints?.[name];
  if (!want) return undefined;
  const kept = positions.slice((s.dropFirst[name] ?? 0) * joints * 3);
  if (kept.length === 0) return [`no frames left after dropping ${s.dropFirst[name]}`];
  return fingerprintMismatches(trialFingerprint(kept, joints), want);
}

function verifyAmc(motion: string, asfName: string) {
  return async (path: string): Promise<VerifyReport> => {
    const text = await Deno.readTextFile(path);
    let skeletonText: string;
    try {
      skeletonText = await Deno.readTextFile(join(dirname(path), asfName));
    } catch {
      if (!text.includes(":DEGREES") && !text.includes(":RADIANS")) {
        throw new Error(`"${path}" has no :DEGREES header, it is not an AMC file`);
      }
      return { checked: "AMC header", warning: `${asfName} not present, frames not checked` };
    }
    const skeleton = parseAsf(skeletonText, asfName);
    const m = parseAmc(text, skeleton, path);
    const checked = `AMC motion with ${m.frames.length} frames`;
    const name = basename(path).replace(/\.part$/, "");
    const diff = checkTrialFingerprint(
      motion,
      name,
      motionPositions(skeleton, m),
      skeleton.joints.length,
    );
    if (diff === undefined) return { checked };
    if (diff.length === 0) return { checked: `${checked}, positions match EGHN's` };
    return {
      checked,
      warning: `${name}: forward kinematics differs from EGHN's preprocessed positions: ` +
        `${diff.join("; ")} (usable, but not comparable with the published running numbers)`,
    };
  };
}

function subjectFiles(motion: string): SourceFile[] {
  const { subject } = MOCAP_SUBJECTS[motion as "run"];
  const { asf, amc } = mocapFileNames(motion);
  const urls = (name: string) => CMU_MOCAP_BASE_URLS.map((b) => `${b}${subject}/${name}`);
  return [
    { name: asf, urls: urls(asf), verify: verifyAsf },
    ...amc.map((name) => ({ name, urls: urls(name), verify: verifyAmc(motion, asf) })),
  ];
}

/** The MoCap source: per motion, the subject's skeleton and its trials (~0.3–1 MB each). */
export const mocapSource: DataSource = {
  id: "mocap",
  description: "CMU MoCap ASF/AMC: subject 9 running (11 trials), subject 35 walking (23 trials)",
  itemKind: "motion",
  items: MOCAP_MOTIONS,
  files: subjectFiles,
  notice: "CMU Graphics Lab Motion Capture Database, mocap.cs.cmu.edu; the database was created " +
    "with funding from NSF EIA-0196217. Free to use and redistribute; please credit the source.",
};

/** Every file of both motions (skeletons and trials), e.g. for a manual download. */
export const MOCAP_SOURCES: readonly SourceFile[] = MOCAP_MOTIONS.flatMap(subjectFiles);
