/**
 * The MD17 data set of the paper's Table 2 (§5.3, App. C.4), built as GMN builds it (reference
 * notes §6; GMN's baseline numbers in the table come from that code):
 *
 * - source: an sGDML `.npz` trajectory (`R` [T, atoms, 3] in Å, `z` [atoms]); only `R` and `z`
 *   are read, lazily, one array at a time;
 * - heavy atoms only (z > 1);
 * - velocity by frame difference, `v[t] = R[t+1] − R[t]` (no time-step scaling), x = R[:−1];
 * - sample: input `x[t]`, `v[t]` and atom type, target `x[t + ΔT]`; ΔT = `deltaT`
 *   (default 5000 as the paper states; GMN's code and README use 3000, which is what the
 *   published GMN/EGNN/GNN numbers were produced with: set `deltaT: 3000` for that);
 * - start frames: disjoint train / val / test draws (500 / 2000 / 2000) from
 *   `[margin, T − 1 − margin)`, margin 10 000 as GMN (see `md17_split.ts`); GMN ships its draw as
 *   pickles, here the draw is reproduced in distribution from the data seed, not index for index;
 * - graph: atoms closer than `cutoff` (1.6 Å) in the first frame, plus their 2-hop pairs, both
 *   directions (`molecular_graph.ts`), as `dataset.edges`;
 * - centring (not in GMN, which feeds raw coordinates): the mean position of the input frame's
 *   heavy atoms is subtracted from input and target positions of each sample, so rotations about
 *   the origin are rotations about the molecule's centre (reference notes §1.4, plain mean for
 *   MD17). MSE is unchanged by a common shift of prediction and target for models that predict
 *   absolute positions from centred inputs, but the GNN sees different absolute coordinates than
 *   GMN's GNN did.
 *
 * Fields: `pos` [N, 3] position, `vel` [N, 3] vector, `atom` [N, 1] scalar = z / max z over the
 * molecule's heavy atoms (GMN's EGNN node feature); target `pos` [N, 3] position. Training
 * rotations: Haar SO(3) (the paper samples the full group for REMUL on MD17).
 *
 * Files: `<dataDir>/md17_<molecule>.npz` (or the older `<molecule>_dft.npz` names, see
 * `md17_molecules.ts`), or the `file` path. A missing file throws `DatasetUnavailableError` with
 * the command that downloads it. A relative `file` is looked up from the working directory and
 * then from the repository root, so the bundled fixture (`fixtures/md17/md17_tiny.npz`) is found
 * from a fresh clone whatever the working directory.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NpzFile } from "../io/npz.ts";
import { HAAR } from "../symmetry/rotation.ts";
import { deriveSeed } from "../core/hash.ts";
import {
  type Dataset,
  type DatasetDefinition,
  DatasetUnavailableError,
  type Split,
} from "./dataset.ts";
import { md17Molecule } from "./md17_molecules.ts";
import { md17Split } from "./md17_split.ts";
import { molecularGraph } from "./molecular_graph.ts";

/** MD17 data set parameters. */
export type Md17Config = {
  /** One of the eight molecules (`aspirin`, `benzene`, …; see `MD17_MOLECULE_NAMES`). */
  molecule: string;
  /** Frames between input and target: 5000 (paper, default) or 3000 (GMN's code). */
  deltaT: number;
  /** Training start frames (paper: 500). */
  train: number;
  /** Validation start frames (paper: 2000). */
  val: number;
  /** Test start frames (paper: 2000). */
  test: number;
  /** 1-hop cut-off in Å on the first frame (GMN: 1.6). */
  cutoff: number;
  /** Frames left out at each end of the trajectory when drawing start frames (GMN: 10 000). */
  margin: number;
  /** Explicit `.npz` path; empty = look up the molecule's file in the data folder. */
  file: string;
};

/** Defaults: the paper's protocol. */
export const MD17_DEFAULTS: Md17Config = {
  molecule: "aspirin",
  deltaT: 5000,
  train: 500,
  val: 2000,
  test: 2000,
  cutoff: 1.6,
  margin: 10_000,
  file: "",
};

const REPO_ROOT = new URL("../../", import.meta.url);

/** Where a relative `file` may be: the working directory, then the repository root. */
function fileCandidates(file: string): string[] {
  if (isAbsolute(file)) return [file];
  const out = [resolve(file)];
  if (REPO_ROOT.protocol === "file:") out.push(join(fileURLToPath(REPO_ROOT), file));
  return [...new Set(out)];
}

/**
 * The shell command that downloads a molecule's file into a data folder.
 *
 * @param molecule e.g. `aspirin`.
 * @param dataDir the folder the bench reads (`--data-dir`), quoted for the shell if needed.
 * @returns e.g. `deno task data md17 aspirin --data-dir data`.
 */
export function md17DownloadCommand(molecule: string, dataDir: string): string {
  const dir = /^[\w./-]+$/.test(dataDir) ? dataDir : `'${dataDir.replaceAll("'", "'\\''")}'`;
  return `deno task data md17 ${molecule} --data-dir ${dir}`;
}

/**
 * Finds the file to read for a config: `config.file` if set (relative paths from the working
 * directory, then from the repository root), else the molecule's sGDML or older file name in
 * `dataDir`.
 *
 * @param config the data set config (`molecule`, `file`).
 * @param dataDir the folder of downloaded files.
 * @returns the path that exists.
 * @throws DatasetUnavailableError naming the file(s), where they were looked for, and the
 *   command that downloads them; Error for an unknown molecule.
 */
export function locateMd17File(config: Md17Config, dataDir: string): string {
  if (config.file !== "") {
    const candidates = fileCandidates(config.file);
    const found = candidates.find((p) => existsSync(p));
    if (found) return found;
    throw new DatasetUnavailableError(
      `md17: file "${config.file}" not found (looked at ${candidates.join(", ")}); ` +
        `fix the dataset's "file" setting, or leave it empty and download the molecule with: ` +
        md17DownloadCommand(config.molecule, dataDir),
    );
  }
  const mol = md17Molecule(config.molecule);
  for (const name of mol.files) {
    const p = join(dataDir, name);
    if (existsSync(p)) return p;
  }
  throw new DatasetUnavailableError(
    `md17: missing data file ${mol.files[0]} for molecule "${config.molecule}" ` +
      `(looked for ${mol.files.join(", ")} in ${resolve(dataDir)}); download it with: ` +
      md17DownloadCommand(config.molecule, dataDir),
  );
}

function checkConfig(c: Md17Config): void {
  md17Molecule(c.molecule); // throws for unknown molecules
  for (const k of ["deltaT", "train", "val", "test", "margin"] as const) {
    if (!(Number.isInteger(c[k]) && c[k] >= 0)) {
      throw new Error(`md17: ${k} must be a non-negative integer, got ${c[k]}`);
    }
  }
  if (c.deltaT < 1) throw new Error(`md17: deltaT must be ≥ 1, got ${c.deltaT}`);
  if (c.train < 1 || c.test < 1) throw new Error("md17: train and test must be ≥ 1");
  if (!(c.cutoff > 0)) throw new Error(`md17: cutoff must be > 0 Å, got ${c.cutoff}`);
}

/** Cuts one split out of the trajectory: heavy atoms, velocity, centring. */
function buildSplit(
  r: Float64Array,
  atoms: number,
  heavy: readonly number[],
  starts: Int32Array,
  deltaT: number,
  atomType: Float32Array,
): Split {
  const n = heavy.length;
  const size = starts.length;
  const pos = new Float32Array(size * n * 3);
  const vel = new Float32Array(size * n * 3);
  const atom = new Float32Array(size * n);
  const target = new Float32Array(size * n * 3);
  const frame = atoms * 3;
  for (let s = 0; s < size; s++) {
    const t = starts[s];
    const c = [0, 0, 0];
    for (const a of heavy) for (let d = 0; d < 3; d++) c[d] += r[t * frame + 3 * a + d] / n;
    for (let i = 0; i < n; i++) {
      const a = heavy[i];
      const o = (s * n + i) * 3;
      for (let d = 0; d < 3; d++) {
        const x0 = r[t * frame + 3 * a + d];
        pos[o + d] = x0 - c[d];
        vel[o + d] = r[(t + 1) * frame + 3 * a + d] - x0;
        target[o + d] = r[(t + deltaT) * frame + 3 * a + d] - c[d];
      }
    }
    atom.set(atomType, s * n);
  }
  return { size, inputs: { pos, vel, atom }, target };
}

/**
 * Loads the MD17 data set of one molecule.
 *
 * @param config molecule, ΔT, split sizes, cut-off, margin, optional file path.
 * @param context `seed` (drives the split draw) and `dataDir` (where downloaded files live).
 * @returns splits train/val/test with fields `pos` [N, 3] (position, rotates and translates),
 *   `vel` [N, 3] (vector, rotates), `atom` [N, 1] (scalar, invariant); target `pos` [N, 3];
 *   `edges` the 1-hop + 2-hop graph; `protocol` every choice made.
 * @throws DatasetUnavailableError when the file is missing (with the download command); Error
 *   for an unknown molecule, bad config values, a file without `R`/`z`, with a NaN or infinite
 *   coordinate (naming the file, key and first bad index) or with the wrong number of heavy
 *   atoms, or a trajectory too short for the requested splits.
 *
 * @example
 * ```ts
 * import { loadMd17, MD17_DEFAULTS } from "./md17.ts";
 * const d = await loadMd17(
 *   {
 *     ...MD17_DEFAULTS,
 *     file: "fixtures/md17/md17_tiny.npz",
 *     deltaT: 20,
 *     margin: 10,
 *     train: 16,
 *     val: 8,
 *     test: 8,
 *   },
 *   { seed: 1, dataDir: "data" },
 * );
 * if (d.splits.train.size !== 16 || d.inputs[0].shape[0] !== 5) throw new Error();
 * ```
 */
export async function loadMd17(
  config: Md17Config,
  context: { readonly seed: number; readonly dataDir: string },
): Promise<Dataset> {
  checkConfig(config);
  const path = locateMd17File(config, context.dataDir);
  const npz = await NpzFile.open(path);
  let r: Float64Array;
  let z: Int32Array;
  let frames: number;
  let atoms: number;
  try {
    const zInfo = await npz.describe("z");
    if (zInfo.shape.length !== 1) {
      throw new Error(
        `md17: array "z" of "${path}" has shape [${zInfo.shape}], expected [atoms]`,
      );
    }
    atoms = zInfo.shape[0];
    z = await npz.readInt32("z", [atoms]);
    // finite: one NaN frame would silently drop graph edges and change every result
    r = await npz.readFloat64("R", [-1, atoms, 3], { finite: true });
    frames = r.length / (atoms * 3);
  } finally {
    npz.close();
  }
  const heavy: number[] = [];
  for (let a = 0; a < atoms; a++) if (z[a] > 1) heavy.push(a);
  if (heavy.length === 0) throw new Error(`md17: "${path}" has no atoms with z > 1`);
  const expected = md17Molecule(config.molecule).heavyAtoms;
  if (config.file === "" && heavy.length !== expected) {
    throw new Error(
      `md17: "${path}" has ${heavy.length} heavy atoms, but ${config.molecule} has ${expected}; ` +
        `is it the right file?`,
    );
  }
  const n = heavy.length;
  const heavyZ = heavy.map((a) => z[a]);
  const maxZ = Math.max(...heavyZ);
  const atomType = Float32Array.from(heavyZ, (v) => v / maxZ);

  const split = md17Split(
    {
      frames,
      deltaT: config.deltaT,
      margin: config.margin,
      train: config.train,
      val: config.val,
      test: config.test,
    },
    deriveSeed(context.seed, "md17-split"),
  );
  const first = new Float64Array(n * 3);
  heavy.forEach((a, i) => first.set(r.subarray(3 * a, 3 * a + 3), 3 * i));
  const graph = molecularGraph(first, { cutoff: config.cutoff });

  const make = (starts: Int32Array) => buildSplit(r, atoms, heavy, starts, config.deltaT, atomType);
  const splits: Dataset["splits"] = config.val > 0
    ? { train: make(split.train), val: make(split.val), test: make(split.test) }
    : { train: make(split.train), test: make(split.test) };
  const fileName = path.split(/[\\/]/).pop()!;
  return {
    inputs: [
      { name: "pos", kind: "position", shape: [n, 3] },
      { name: "vel", kind: "vector", shape: [n, 3] },
      { name: "atom", kind: "scalar", shape: [n, 1] },
    ],
    target: { name: "pos", kind: "position", shape: [n, 3] },
    splits,
    trainRotations: HAAR,
    edges: graph.edges,
    protocol: {
      molecule: config.molecule,
      file: fileName,
      fileOverride: config.file !== "",
      frames,
      atoms,
      heavyAtoms: n,
      atomicNumbers: heavyZ,
      atomFeature: `z / ${maxZ} (max z over the heavy atoms)`,
      deltaT: config.deltaT,
      velocity: "v[t] = R[t+1] − R[t] (Å per frame), x = R[:−1]",
      startFrameRange: split.range,
      split:
        "disjoint uniform draws of start frames (train, then val, then test) from the range, " +
        "seeded by the data seed; GMN's protocol in distribution, not GMN's pickled indices",
      sizes: { train: config.train, val: config.val, test: config.test },
      graph: {
        cutoff: config.cutoff,
        frame: 0,
        oneHopPairs: graph.oneHopPairs,
        twoHopPairs: graph.twoHopPairs,
        directedEdges: graph.edges.length,
      },
      centring: "mean heavy-atom position of the input frame removed from input and target",
      trainRotations: "Haar SO(3)",
    },
  };
}

/** Registry entry for MD17. */
export const md17: DatasetDefinition<Md17Config> = {
  id: "md17",
  description:
    "MD17 (sGDML) heavy-atom trajectories, GMN protocol: x[t], v[t], z → x[t+ΔT], 1.6 Å + 2-hop graph",
  defaults: MD17_DEFAULTS,
  ranges: {
    deltaT: { integer: true, min: 1, what: "frames between input and target" },
    train: { integer: true, min: 1, what: "training start frames" },
    val: { integer: true, min: 0, what: "validation start frames" },
    test: { integer: true, min: 1, what: "test start frames" },
    cutoff: { above: 0, what: "graph cut-off in Å" },
    margin: { integer: true, min: 0, what: "frames left out at each end" },
  },
  load: (config, ctx) => loadMd17(config, ctx),
};
