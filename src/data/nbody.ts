/**
 * The N-body data set of the REMUL protocol (docs/protocols.md, paper §5.1, App. C.2): GATr's
 * generator with 4 bodies; in-distribution samples (train/val/test) rotated by an angle within
 * ±`inAngle`° about a Haar-random axis, OOD samples by |angle| in [`oodAngle[0]`, `oodAngle[1]`]°;
 * the mass-weighted centre of mass of the initial positions is removed from inputs and targets.
 *
 * Fields per body: `mass` [N, 1] scalar, `pos` [N, 3] position, `vel` [N, 3] vector;
 * target `pos` [N, 3] position (final positions after 100 steps).
 *
 * @module
 */
import { deriveSeed } from "../core/hash.ts";
import { Rng } from "../core/rng.ts";
import type { Dataset, DatasetDefinition, Split } from "./dataset.ts";
import { GATR_SIM, type NBodySimConfig, simulateSample } from "./nbody_simulator.ts";
import { rotateVector, type RotationSpec, sampleRotation } from "../symmetry/rotation.ts";

/** N-body data set parameters. */
export type NBodyConfig = {
  /** Number of planets around the star (bodies = planets + 1). */
  planets: number;
  train: number;
  val: number;
  test: number;
  ood: number;
  /** In-distribution rotation angles lie in [−inAngle, inAngle] degrees. */
  inAngle: number;
  /** OOD rotation angles have magnitude in [oodAngle[0], oodAngle[1]] degrees. */
  oodAngle: number[];
};

/** Defaults: the paper's sizes (100 training samples, 5000 for each evaluation split). */
export const NBODY_DEFAULTS: NBodyConfig = {
  planets: 3,
  train: 100,
  val: 5000,
  test: 5000,
  ood: 5000,
  inAngle: 10,
  oodAngle: [90, 180],
};

function centreAndRotate(
  mass: Float64Array,
  arrays: Float64Array[],
  positional: boolean[],
  rotation: number[],
): Float64Array[] {
  const n = mass.length;
  const x0 = arrays[0];
  const com = [0, 0, 0];
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += mass[i];
    for (let d = 0; d < 3; d++) com[d] += mass[i] * x0[3 * i + d];
  }
  for (let d = 0; d < 3; d++) com[d] /= total;
  return arrays.map((a, k) => {
    const out = new Float64Array(a.length);
    for (let i = 0; i < n; i++) {
      const v = [0, 1, 2].map((d) => a[3 * i + d] - (positional[k] ? com[d] : 0));
      out.set(rotateVector(rotation, v), 3 * i);
    }
    return out;
  });
}

/** Generates one split of `size` samples, each rotated by a draw from `rotations`. */
export function generateNBodySplit(
  size: number,
  rotations: RotationSpec,
  seed: number,
  sim: NBodySimConfig = GATR_SIM,
): Split & { rejected: number } {
  const rng = new Rng(seed);
  const n = sim.planets + 1;
  const mass = new Float32Array(size * n);
  const pos = new Float32Array(size * n * 3);
  const vel = new Float32Array(size * n * 3);
  const target = new Float32Array(size * n * 3);
  let rejected = 0;
  for (let s = 0; s < size; s++) {
    const { sample, rejected: r } = simulateSample(sim, rng);
    rejected += r;
    const rot = sampleRotation(rotations, rng);
    const [x, v, xf] = centreAndRotate(
      sample.mass,
      [sample.x, sample.v, sample.xFinal],
      [true, false, true],
      rot,
    );
    mass.set(sample.mass, s * n);
    pos.set(x, s * n * 3);
    vel.set(v, s * n * 3);
    target.set(xf, s * n * 3);
  }
  return { size, inputs: { mass, pos, vel }, target, rejected };
}

/** Loads (generates) the N-body data set deterministically from the seed. */
export function loadNBody(config: NBodyConfig, seed: number): Dataset {
  if (config.planets < 1) throw new Error(`nbody: planets must be ≥ 1, got ${config.planets}`);
  if (config.oodAngle.length !== 2 || config.oodAngle[0] > config.oodAngle[1]) {
    throw new Error(`nbody: oodAngle must be [lo, hi] with lo ≤ hi, got [${config.oodAngle}]`);
  }
  const sim: NBodySimConfig = { ...GATR_SIM, planets: config.planets };
  const inRot: RotationSpec = { kind: "angle", ranges: [[-config.inAngle, config.inAngle]] };
  const [lo, hi] = config.oodAngle;
  const oodRot: RotationSpec = { kind: "angle", ranges: [[-hi, -lo], [lo, hi]] };
  const make = (name: string, size: number, rot: RotationSpec) =>
    generateNBodySplit(size, rot, deriveSeed(seed, name), sim);
  const train = make("train", config.train, inRot);
  const val = make("val", config.val, inRot);
  const test = make("test", config.test, inRot);
  const ood = make("ood", config.ood, oodRot);
  const n = config.planets + 1;
  return {
    inputs: [
      { name: "mass", kind: "scalar", shape: [n, 1] },
      { name: "pos", kind: "position", shape: [n, 3] },
      { name: "vel", kind: "vector", shape: [n, 3] },
    ],
    target: { name: "pos", kind: "position", shape: [n, 3] },
    splits: { train, val, test, ood },
    trainRotations: inRot,
    protocol: {
      simulator: sim,
      bodies: n,
      inDistributionRotation: inRot,
      oodRotation: oodRot,
      centring:
        "mass-weighted centre of mass of the initial positions removed from inputs and targets",
      rejectedCandidates: train.rejected + val.rejected + test.rejected + ood.rejected,
      sizes: { train: config.train, val: config.val, test: config.test, ood: config.ood },
    },
  };
}

/** Registry entry for the N-body data set. */
export const nbody: DatasetDefinition<NBodyConfig> = {
  id: "nbody",
  description: "GATr N-body generator, 4 bodies; in-dist rotations ±10°, OOD 90°–180°",
  defaults: NBODY_DEFAULTS,
  ranges: {
    planets: { integer: true, min: 1, what: "bodies besides the star" },
    train: { integer: true, min: 1, what: "training samples" },
    val: { integer: true, min: 0, what: "validation samples" },
    test: { integer: true, min: 0, what: "test samples" },
    ood: { integer: true, min: 0, what: "out-of-distribution samples" },
    inAngle: { min: 0, max: 180, what: "in-distribution rotation angle in degrees" },
    oodAngle: { min: 0, max: 180, what: "OOD rotation angles in degrees" },
  },
  load: (config, ctx) => loadNBody(config, ctx.seed),
};
