/**
 * `deno task profile` as a user runs it: bad flags are refused with the flag named, and
 * `--batches` writes the side-by-side kernel counts with the per-pass device counts to JSON.
 */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";

const profile = (...args: string[]) => runTask("profile", ...args);

Deno.test("profile refuses bad --batches, --submit-batch and --sync-every, naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--batches", "1"], /--batches: expected two or more comma-separated positive integers/],
    [["--batches", "1,x"], /--batches: expected two or more/],
    [["--batch", "2", "--batches", "1,2"], /--batch and --batches: give one of them/],
    [["--submit-batch", "5", "--backend", "cpu"], /--submit-batch: only with --backend webgpu/],
    [["--sync-every", "0"], /--sync-every: expected a positive integer, got "0"/],
    [["--filter", "beta=7"], /--filter: no case of model "transformer" in suite "nbody" matches/],
  ];
  for (const [args, message] of cases) {
    const r = await profile("--model", "transformer", "--scale", "smoke", ...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

Deno.test("profile names --data-dir when the case's data is missing, and --filter picks the case", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--suite", "mocap", "--model", "mlp", "--data-dir", dir, "--procedure", "plain"];
    const missing = await profile(...args, "--filter", "motion=run");
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--data-dir: mocap: run data not found in .*case mlp\[motion=run/);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profile --batches writes the kernel counts side by side and per-pass counts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await profile(
      "--model",
      "transformer",
      "--scale",
      "smoke",
      "--backend",
      "cpu",
      "--batches",
      "1,4",
      "--sync-every",
      "2",
      "--warmup",
      "1",
      "--repeats",
      "2",
      "--json",
      `${dir}/p.json`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /training step: kernels (\d+) \/ \1 at batch 1 \/ 4 — no kernel count/);
    const j = JSON.parse(await Deno.readTextFile(`${dir}/p.json`));
    assert.deepEqual(j.batchSizes, [1, 4]);
    assert.deepEqual(j.comparison.growing, { train: [], infer: [] });
    for (const p of j.profiles) {
      assert.equal(p.profile.syncEvery, 2);
      assert.equal(p.profile.train.readbacksPerPass, 0.5);
      assert.equal(p.profile.infer.readbacksPerPass, 1);
      assert.equal(p.profile.timing, "host");
      assert.equal(p.profile.train.gpuMs, null);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
