import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EGHN_RUN_FINGERPRINTS,
  fingerprintMismatches,
  trialFingerprint,
} from "./mocap_fingerprint.ts";
import { checkTrialFingerprint } from "./mocap_sources.ts";
import { readPositionsNpz } from "./mocap.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHARED_RUN = join(ROOT, "../shared/data/cmu_mocap_subject09_run.npz");
const hasShared = await Deno.stat(SHARED_RUN).then(() => true, () => false);

Deno.test("trialFingerprint: frames, first root, mean and RMS spread", () => {
  // 2 frames × 2 joints
  const x = new Float64Array([1, 2, 3, 3, 2, 3, /**/ 1, 0, 3, 3, 0, 3]);
  const f = trialFingerprint(x, 2);
  assert.equal(f.frames, 2);
  assert.deepEqual(f.root, [1, 2, 3]);
  assert.deepEqual(f.mean, [2, 1, 3]);
  assert.equal(f.rms, Math.sqrt(2)); // every point is (±1, ±1, 0) from the mean
  assert.throws(() => trialFingerprint(new Float64Array(9), 2), /9 values are not frames of 2/);
});

Deno.test("fingerprintMismatches: exact match, then each kind of difference named", () => {
  const want = { frames: 10, root: [1, 2, 3], mean: [0, 17, 5], rms: 20 } as const;
  assert.deepEqual(fingerprintMismatches({ ...want }, want), []);
  // within tolerance: AMC precision for the root, 1e-6 of the RMS for the statistics
  assert.deepEqual(
    fingerprintMismatches({ ...want, root: [1 + 5e-5, 2, 3], rms: 20 + 1e-5 }, want),
    [],
  );
  const off = fingerprintMismatches(
    { frames: 9, root: [1, 2, 3.01], mean: [0, 17.001, 5], rms: 20.5 },
    want,
  );
  assert.equal(off.length, 4);
  assert.match(off[0], /9 frames, expected 10/);
  assert.match(off[1], /root at the first frame .*3\.010000.*expected/);
  assert.match(off[2], /mean joint position/);
  assert.match(off[3], /RMS spread 20\.50000, expected 20\.00000/);
  assert.equal(fingerprintMismatches({ ...want, rms: NaN }, want).length, 1, "NaN never matches");
});

Deno.test({
  name: "EGHN running fingerprints are those of the real running positions; 09_10 drops 6 frames",
  ignore: !hasShared,
  fn: async () => {
    const d = await readPositionsNpz(SHARED_RUN);
    const names = Object.keys(EGHN_RUN_FINGERPRINTS);
    assert.deepEqual(names, d.trials.map((_, i) => `09_${String(i + 1).padStart(2, "0")}.amc`));
    d.trials.forEach((x, i) => {
      assert.deepEqual(
        fingerprintMismatches(trialFingerprint(x, 31), EGHN_RUN_FINGERPRINTS[names[i]]),
        [],
      );
      if (names[i] === "09_10.amc") return;
      assert.deepEqual(checkTrialFingerprint("run", names[i], x, 31), []);
    });
    // 09_10's file has 6 more frames than EGHN kept: with any 6 frames in front it matches,
    // without them it does not
    const kept = d.trials[9];
    const whole = new Float64Array(6 * 93 + kept.length);
    whole.set(kept, 6 * 93);
    assert.deepEqual(checkTrialFingerprint("run", "09_10.amc", whole, 31), []);
    const short = checkTrialFingerprint("run", "09_10.amc", kept, 31)!;
    assert.match(short[0], /146 frames, expected 152/);
    // trials in another order are caught by the first root position
    assert.ok(checkTrialFingerprint("run", "09_01.amc", d.trials[1], 31)!.length >= 3);
    // a motion or file without fingerprint is not checked
    assert.equal(checkTrialFingerprint("walk", "35_01.amc", kept, 31), undefined);
  },
});
