/**
 * MoCap splits, trial-level as in GMN/EGHN: the protocol's candidate start frames per trial
 * (drawn, seeded, when the source has no stored split), and one split's samples
 * `(X[s] − c, V[s]) → X[s+ΔT] − c`, centred on the input frame's mean joint.
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import type { Split } from "./dataset.ts";
import { MOCAP_SPLIT_SEED, type MotionProtocol } from "./mocap_protocol.ts";
import type { MocapTrials } from "./mocap_read.ts";

/** A MoCap split: the usual arrays plus what centring removed and where samples came from. */
export interface MocapSplit extends Split {
  /** Mean joint position of each sample's input frame, `[size, 3]`, subtracted from pos/target. */
  readonly centres: Float32Array;
  /** `(trial, start)` of every sample, `[size, 2]`. */
  readonly origin: Int32Array;
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
