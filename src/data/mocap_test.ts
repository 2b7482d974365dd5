import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetUnavailableError } from "./dataset.ts";
import { parseAsf } from "./asf.ts";
import { parseAmc } from "./amc.ts";
import { motionPositions } from "./kinematics.ts";
import { editNpz, plant } from "../testing/npz_edit.ts";
import { loadMocap, MOCAP_DEFAULTS, type MocapConfig, type MocapSplit } from "./mocap.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = join(ROOT, "fixtures/mocap");
const SHARED_RUN = join(ROOT, "../shared/data/cmu_mocap_subject09_run.npz");

const TINY: MocapConfig = {
  ...MOCAP_DEFAULTS,
  deltaT: 4,
  train: 20,
  val: 12,
  test: 12,
  file: "fixtures/mocap/tiny.asf",
};

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

Deno.test("mocap: raw ASF/AMC fixture, samples, velocity, centring and the target", async () => {
  const d = await loadMocap(TINY, "data");
  assert.deepEqual(d.inputs.map((f) => [f.name, f.kind, f.shape]), [
    ["pos", "position", [9, 3]],
    ["vel", "vector", [9, 3]],
  ]);
  assert.deepEqual([d.target.name, d.target.kind, d.target.shape], ["pos", "position", [9, 3]]);
  assert.equal(d.trainRotations.kind, "haar");
  assert.equal(d.edges!.length, 16);
  assert.ok(
    d.edges!.some(([a, b]) => a === 2 && b === 1) && d.edges!.some(([a, b]) => a === 1 && b === 2),
  );
  // run protocol: 5 / 3 / 3 trials → 4 / 4 / 4 starts per trial
  assert.deepEqual([d.splits.train.size, d.splits.val!.size, d.splits.test.size], [20, 12, 12]);
  assert.deepEqual((d.protocol.trials as Record<string, number[]>).val, [0, 4, 9]);

  const asf = await Deno.readTextFile(join(FIXTURES, "tiny.asf"));
  const skeleton = parseAsf(asf, "tiny.asf");
  const split = d.splits.test as MocapSplit;
  for (let k = 0; k < split.size; k++) {
    const [trial, s] = split.origin.subarray(2 * k, 2 * k + 2);
    assert.ok([3, 7, 8].includes(trial));
    const name = `tiny_${String(trial + 1).padStart(2, "0")}.amc`;
    const x = motionPositions(
      skeleton,
      parseAmc(await Deno.readTextFile(join(FIXTURES, name)), skeleton, name),
    );
    const c = split.centres.subarray(3 * k, 3 * k + 3);
    for (let i = 0; i < 27; i++) {
      const at = (f: number) => x[f * 27 + i];
      assert.ok(Math.abs(split.inputs.pos[27 * k + i] - (at(s) - c[i % 3])) < 1e-4);
      assert.ok(Math.abs(split.inputs.vel[27 * k + i] - (at(s + 1) - at(s))) < 1e-4);
      assert.ok(Math.abs(split.target[27 * k + i] - (at(s + 4) - c[i % 3])) < 1e-4);
    }
    for (let dim = 0; dim < 3; dim++) {
      let mean = 0;
      for (let j = 0; j < 9; j++) mean += split.inputs.pos[27 * k + 3 * j + dim] / 9;
      assert.ok(Math.abs(mean) < 1e-4, "input frame centred");
    }
  }
});

Deno.test("mocap: the positions npz fixture gives the same samples as the raw files", async () => {
  const raw = await loadMocap(TINY, "data");
  const npz = await loadMocap({ ...TINY, file: "fixtures/mocap/tiny_run_positions.npz" }, "data");
  for (const name of ["train", "val", "test"] as const) {
    const a = raw.splits[name]!, b = npz.splits[name]!;
    assert.equal(a.size, b.size);
    assert.deepEqual(a.inputs.pos, b.inputs.pos);
    assert.deepEqual(a.inputs.vel, b.inputs.vel);
    assert.deepEqual(a.target, b.target);
  }
  assert.deepEqual(raw.edges, npz.edges);
  assert.match(String(npz.protocol.split), /stored in tiny_run_positions\.npz/);
});

Deno.test("mocap: walking protocol on the fixture, sizes per trial", async () => {
  const d = await loadMocap({ ...TINY, motion: "walk", train: 22, val: 13, test: 6 }, "data");
  // walk: 11 train trials (2 each), 6 val (2 each), 6 test (1 each)
  assert.deepEqual([d.splits.train.size, d.splits.val!.size, d.splits.test.size], [22, 12, 6]);
  assert.deepEqual((d.protocol.trials as Record<string, number[]>).test, [6, 19, 21, 0, 22, 10]);
  await assert.rejects(
    () => loadMocap({ ...TINY, motion: "walk", train: 10 }, "data"),
    /train size 10 gives no sample for each of 11 trials/,
  );
});

Deno.test("mocap: raw CMU-named files in the data folder, EGHN's dropped frames of 09_10", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(FIXTURES, "tiny.asf"), join(dir, "09.asf"));
    for (let t = 1; t <= 11; t++) {
      const n = String(t).padStart(2, "0");
      await Deno.copyFile(join(FIXTURES, `tiny_${n}.amc`), join(dir, `09_${n}.amc`));
    }
    const d = await loadMocap({ ...TINY, file: "" }, dir);
    assert.equal(d.splits.train.size, 20);
    const lengths = d.protocol.trialLengths as number[];
    assert.equal(lengths[9], 24 - 6);
    assert.equal(lengths[0], 24);
    assert.equal((d.protocol.source as { kind: string }).kind, "raw ASF/AMC");
    // the fixture is not CMU's subject 9: every trial is reported as differing from EGHN's
    assert.match(
      d.protocol.fingerprint as string,
      /^11 of 11 trials differ from EGHN's preprocessed positions: 09_01\.amc: 24 frames, expected 141;/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mocap: missing data says which file and how to get it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => loadMocap({ ...MOCAP_DEFAULTS }, dir),
      (e: unknown) => {
        assert.ok(e instanceof DatasetUnavailableError);
        assert.match(e.message, /cmu_mocap_subject09_run\.npz/);
        assert.match(e.message, /09\.asf/);
        assert.match(e.message, /deno task data mocap run --data-dir /);
        return true;
      },
    );
    await assert.rejects(
      () => loadMocap({ ...MOCAP_DEFAULTS, motion: "walk", file: "nowhere/x.npz" }, dir),
      (e: unknown) => {
        assert.ok(e instanceof DatasetUnavailableError);
        assert.match(e.message, /file "nowhere\/x\.npz" not found/);
        assert.match(e.message, /deno task data mocap walk/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await assert.rejects(() => loadMocap({ ...TINY, motion: "jump" }, "data"), /"run" or "walk"/);
  await assert.rejects(
    () => loadMocap({ ...TINY, file: "fixtures/mocap/make_mocap_fixture.ts" }, "data"),
    /must be a positions \.npz or an \.asf/,
  );
  await assert.rejects(() => loadMocap({ ...TINY, deltaT: 30 }, "data"), /too short for ΔT = 30/);
  await assert.rejects(
    () => loadMocap({ ...TINY, deltaT: 30, file: "fixtures/mocap/tiny_run_positions.npz" }, "data"),
    /out of range for ΔT = 30 \(data: /,
  );
});

const hasShared = exists(SHARED_RUN);
if (!hasShared) {
  console.log(`mocap_test: skipping the real-data test, ${SHARED_RUN} is absent`);
}

Deno.test({
  name: "mocap: the real running data (shared npz) loads with 200/240/240 samples",
  ignore: !hasShared,
  fn: async () => {
    const viaFile = await loadMocap({ ...MOCAP_DEFAULTS, file: SHARED_RUN }, "data");
    const viaDir = await loadMocap({ ...MOCAP_DEFAULTS }, join(ROOT, "../shared/data"));
    for (const d of [viaFile, viaDir]) {
      assert.deepEqual([d.splits.train.size, d.splits.val!.size, d.splits.test.size], [
        200,
        240,
        240,
      ]);
      assert.deepEqual(d.inputs[0].shape, [31, 3]);
      assert.equal(d.edges!.length, 60);
      assert.deepEqual(d.protocol.trials, {
        train: [1, 2, 5, 6, 10],
        val: [0, 4, 9],
        test: [3, 7, 8],
      });
      assert.deepEqual(d.protocol.startsPerTrial, { train: 40, val: 80, test: 80 });
    }
    assert.deepEqual(viaFile.splits.test.target, viaDir.splits.test.target);
    // targets move: the mean squared displacement over 30 frames is far from zero
    const s = viaFile.splits.test;
    let msd = 0;
    for (let i = 0; i < s.target.length; i++) msd += (s.target[i] - s.inputs.pos[i]) ** 2;
    assert.ok(msd / s.target.length > 1, `mean squared displacement ${msd / s.target.length}`);
  },
});

Deno.test("mocap: a positions npz without split_test, or with a NaN, is an error naming file and key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = join(FIXTURES, "tiny_run_positions.npz");
    const noTest = join(dir, "no_split_test.npz");
    await editNpz(source, noTest, (arrays) => arrays.filter((a) => a.key !== "split_test"));
    await assert.rejects(
      () => loadMocap({ ...TINY, file: noTest }, "data"),
      /mocap: ".*no_split_test\.npz" lacks split_test: a positions file carries the protocol's \(trial, start\) split/,
    );
    const nan = join(dir, "nan.npz");
    await editNpz(
      source,
      nan,
      (arrays) => arrays.map((a) => (a.key === "trial_03" ? plant(a, 3 * 9 * 3 + 4, NaN) : a)),
    );
    await assert.rejects(
      () => loadMocap({ ...TINY, file: nan }, "data"),
      /Cannot read npz file ".*nan\.npz": array "trial_03" holds a non-finite value: NaN at index \[3, 1, 1\]/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mocap: a raw trial cut off between two frames, mid-number, or with inf is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(FIXTURES, "tiny.asf"), join(dir, "09.asf"));
    for (let t = 1; t <= 11; t++) {
      const n = String(t).padStart(2, "0");
      await Deno.copyFile(join(FIXTURES, `tiny_${n}.amc`), join(dir, `09_${n}.amc`));
    }
    // 09_01 with CMU's own first frame (the root where EGHN's trial starts) but 24 of 141 frames
    const amc = join(dir, "09_01.amc");
    const text = await Deno.readTextFile(amc);
    await Deno.writeTextFile(
      amc,
      text.replace(/^root \S+ \S+ \S+/m, "root 0.0917792 17.1113 -36.2281"),
    );
    await assert.rejects(
      () => loadMocap({ ...TINY, file: "" }, dir),
      /mocap: ".*09_01\.amc" has 24 frames, but CMU trial 09_01\.amc has 141: the file is incomplete \(cut off between two frames\); download it again with: deno task data mocap run/,
    );
    await Deno.writeTextFile(amc, text.slice(0, -3)); // mid-number
    await assert.rejects(
      () => loadMocap({ ...TINY, file: "" }, dir),
      /Cannot parse AMC file ".*09_01\.amc", line \d+: the file ends in the middle of line/,
    );
    await Deno.writeTextFile(amc, text.replace(/^rtibia \S+/m, "rtibia inf"));
    await assert.rejects(
      () => loadMocap({ ...TINY, file: "" }, dir),
      /09_01\.amc", line 9: value 1 of joint "rtibia" is "inf": expected a finite number/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
