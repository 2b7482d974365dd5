import assert from "node:assert/strict";
import { deriveSeed } from "../core/hash.ts";
import { NpzFile } from "../io/npz.ts";
import { DatasetUnavailableError } from "./dataset.ts";
import { loadMd17, locateMd17File, md17, MD17_DEFAULTS, type Md17Config } from "./md17.ts";
import { MD17_MOLECULE_NAMES } from "./md17_molecules.ts";
import { md17Split } from "./md17_split.ts";
import { editNpz, plant } from "../testing/npz_edit.ts";

const FIXTURE = new URL("../../fixtures/md17/md17_tiny.npz", import.meta.url);
const FIXTURE_PATH = decodeURIComponent(FIXTURE.pathname);
/** The toy trajectory: 300 frames, 9 atoms of which 5 heavy (C C C O O). */
const TINY: Md17Config = {
  ...MD17_DEFAULTS,
  molecule: "malonaldehyde",
  file: FIXTURE_PATH,
  deltaT: 20,
  margin: 10,
  train: 40,
  val: 20,
  test: 20,
};

async function rawTrajectory(): Promise<{ r: Float64Array; z: Int32Array }> {
  const npz = await NpzFile.open(FIXTURE_PATH);
  try {
    return { r: await npz.readFloat64("R", [300, 9, 3]), z: await npz.readInt32("z", [9]) };
  } finally {
    npz.close();
  }
}

Deno.test("md17: fields, sizes, heavy atoms, atom types, graph and protocol on the fixture", async () => {
  const d = await loadMd17(TINY, { seed: 1, dataDir: "data" });
  assert.deepEqual(d.inputs.map((f) => [f.name, f.kind, f.shape.join("x")]), [
    ["pos", "position", "5x3"],
    ["vel", "vector", "5x3"],
    ["atom", "scalar", "5x1"],
  ]);
  assert.deepEqual(d.target, { name: "pos", kind: "position", shape: [5, 3] });
  assert.equal(d.splits.train.size, 40);
  assert.equal(d.splits.val?.size, 20);
  assert.equal(d.splits.test.size, 20);
  assert.equal(d.splits.ood, undefined);
  assert.deepEqual(d.trainRotations, { kind: "haar" });
  assert.deepEqual([...d.splits.test.inputs.atom.subarray(0, 5)], [0.75, 0.75, 0.75, 1, 1]);
  // Bonds C0–C1, C1–C2, C0–O3, C2–O4; 2-hop C0–C2, C1–O3, C1–O4; both directions.
  const key = (e: readonly number[]) => `${e[0]}-${e[1]}`;
  assert.deepEqual(
    d.edges!.map(key).sort(),
    [
      "0-1",
      "0-2",
      "0-3",
      "1-0",
      "1-2",
      "1-3",
      "1-4",
      "2-0",
      "2-1",
      "2-4",
      "3-0",
      "3-1",
      "4-1",
      "4-2",
    ],
  );
  const p = d.protocol as Record<string, unknown>;
  assert.equal(p.frames, 300);
  assert.equal(p.heavyAtoms, 5);
  assert.equal(p.deltaT, 20);
  assert.deepEqual(p.startFrameRange, [10, 279]);
  assert.deepEqual(p.graph, {
    cutoff: 1.6,
    frame: 0,
    oneHopPairs: 4,
    twoHopPairs: 3,
    directedEdges: 14,
  });
  assert.match(String(p.centring), /mean heavy-atom position/);
  for (const split of [d.splits.train, d.splits.val!, d.splits.test]) {
    for (const a of [...Object.values(split.inputs), split.target]) {
      assert.ok(a.every(Number.isFinite));
    }
  }
});

Deno.test("md17: samples are x[t], R[t+1]−R[t], x[t+ΔT] of the heavy atoms, centred on x[t]", async () => {
  const seed = 5;
  const d = await loadMd17(TINY, { seed, dataDir: "data" });
  const { r, z } = await rawTrajectory();
  const heavy = [...z.keys()].filter((a) => z[a] > 1);
  const starts = md17Split({ ...TINY, frames: 300 }, deriveSeed(seed, "md17-split"));
  const test = d.splits.test;
  for (let s = 0; s < test.size; s++) {
    const t = starts.test[s];
    const centre = [0, 1, 2].map((c) =>
      heavy.reduce((acc, a) => acc + r[t * 27 + 3 * a + c], 0) / 5
    );
    heavy.forEach((a, i) => {
      for (let c = 0; c < 3; c++) {
        const o = (s * 5 + i) * 3 + c;
        const x = r[t * 27 + 3 * a + c];
        assert.ok(Math.abs(test.inputs.pos[o] - (x - centre[c])) < 1e-5);
        assert.ok(Math.abs(test.inputs.vel[o] - (r[(t + 1) * 27 + 3 * a + c] - x)) < 1e-6);
        assert.ok(Math.abs(test.target[o] - (r[(t + 20) * 27 + 3 * a + c] - centre[c])) < 1e-5);
      }
    });
    // the input frame is centred
    for (let c = 0; c < 3; c++) {
      let m = 0;
      for (let i = 0; i < 5; i++) m += test.inputs.pos[(s * 5 + i) * 3 + c];
      assert.ok(Math.abs(m) < 1e-5);
    }
  }
});

Deno.test("md17: deterministic per seed, different across seeds", async () => {
  const a = await loadMd17(TINY, { seed: 3, dataDir: "data" });
  const b = await loadMd17(TINY, { seed: 3, dataDir: "data" });
  const c = await loadMd17(TINY, { seed: 4, dataDir: "data" });
  assert.deepEqual(a.splits.train.target, b.splits.train.target);
  assert.notDeepEqual(a.splits.train.target, c.splits.train.target);
});

Deno.test("md17: finds sGDML and older names in the data folder; checks the heavy-atom count", async () => {
  const dir = await Deno.makeTempDir({ prefix: "md17-test-" });
  try {
    const cfg = { ...TINY, file: "" };
    await Deno.copyFile(FIXTURE_PATH, `${dir}/malonaldehyde_dft.npz`);
    assert.equal(locateMd17File(cfg, dir), `${dir}/malonaldehyde_dft.npz`);
    await Deno.copyFile(FIXTURE_PATH, `${dir}/md17_malonaldehyde.npz`);
    assert.equal(locateMd17File(cfg, dir), `${dir}/md17_malonaldehyde.npz`, "sGDML name first");
    const d = await md17.load(cfg, { seed: 1, dataDir: dir });
    assert.equal(d.splits.train.size, 40);
    assert.equal((d.protocol as { file: string }).file, "md17_malonaldehyde.npz");
    await Deno.copyFile(FIXTURE_PATH, `${dir}/md17_aspirin.npz`);
    await assert.rejects(
      () => loadMd17({ ...cfg, molecule: "aspirin" }, { seed: 1, dataDir: dir }),
      /has 5 heavy atoms, but aspirin has 13/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("md17: a missing file says which, where, and the download command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "md17-empty-" });
  try {
    const err = await loadMd17({ ...MD17_DEFAULTS, molecule: "benzene" }, { seed: 1, dataDir: dir })
      .then(() => undefined, (e) => e);
    assert.ok(err instanceof DatasetUnavailableError, String(err));
    assert.match(err.message, /md17_benzene2017\.npz/);
    assert.match(err.message, /benzene_old_dft\.npz/);
    assert.ok(err.message.includes(dir), err.message);
    assert.ok(err.message.includes(`deno task data md17 benzene --data-dir ${dir}`), err.message);
    const bad = await loadMd17({ ...TINY, file: "no/such/file.npz" }, { seed: 1, dataDir: dir })
      .then(() => undefined, (e) => e);
    assert.ok(bad instanceof DatasetUnavailableError);
    assert.match(bad.message, /file "no\/such\/file\.npz" not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("md17: unknown molecules and bad settings are errors that list what is accepted", async () => {
  await assert.rejects(
    () => loadMd17({ ...MD17_DEFAULTS, molecule: "caffeine" }, { seed: 1, dataDir: "data" }),
    (e: Error) =>
      !(e instanceof DatasetUnavailableError) &&
      e.message.includes('unknown molecule "caffeine"') &&
      MD17_MOLECULE_NAMES.every((m) => e.message.includes(m)),
  );
  await assert.rejects(
    () => loadMd17({ ...TINY, deltaT: 0 }, { seed: 1, dataDir: "data" }),
    /deltaT must be ≥ 1/,
  );
  await assert.rejects(
    () => loadMd17({ ...TINY, train: 300 }, { seed: 1, dataDir: "data" }),
    /300 frames with margin 10 and deltaT 20 leave 269 start frames/,
  );
});

const canRunDeno = (await Deno.permissions.query({ name: "run", command: "deno" })).state ===
  "granted";

Deno.test({
  name: "md17: a relative file path is found from the repository root in any working directory",
  ignore: !canRunDeno,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "md17-cwd-" });
    try {
      const mod = new URL("./md17.ts", import.meta.url).href;
      const code = `import { locateMd17File, MD17_DEFAULTS } from "${mod}";
console.log(locateMd17File({ ...MD17_DEFAULTS, file: "fixtures/md17/md17_tiny.npz" }, "data"));`;
      const out = await new Deno.Command("deno", {
        args: ["eval", "--quiet", code],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.equal(text, FIXTURE_PATH);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("md17: a NaN or infinite coordinate is an error naming file, key and first bad index", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [value, what] of [[NaN, "NaN"], [-Infinity, "-Infinity"]] as const) {
      const path = `${dir}/bad.npz`;
      // one bad coordinate in frame 120, atom 2, y
      await editNpz(
        FIXTURE_PATH,
        path,
        (arrays) => arrays.map((a) => (a.key === "R" ? plant(a, (120 * 9 + 2) * 3 + 1, value) : a)),
      );
      await assert.rejects(
        () => loadMd17({ ...TINY, file: path }, { seed: 1, dataDir: "data" }),
        new RegExp(
          `Cannot read npz file ".*bad\\.npz": array "R" holds a non-finite value: ${what} at index \\[120, 2, 1\\] \\(1 of 8100 values`,
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
