/**
 * `deno task scaling` as a user runs it: bad flags are refused with the flag named, and a run in
 * two rounds alternates the jobs values and writes every run's results with the medians.
 */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";

const scaling = (...args: string[]) => runTask("scaling", ...args);

Deno.test("scaling refuses bad --rounds, --jobs, --set and --filter, naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--rounds", "0"], /--rounds: expected a positive integer, got "0"/],
    [["--jobs", "1,1"], /--jobs: each value once, got "1,1"/],
    [["--jobs", "1,x"], /--jobs: expected comma-separated positive integers/],
    [["--set", "train.nope=3"], /Unknown key "nope" .*--set train/],
    [["--filter", "no-such-model"], /--filter: /],
  ];
  for (const [args, message] of cases) {
    const r = await scaling("--backend", "cpu", ...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("scaling runs --rounds 2 in alternating order and writes every run and the medians", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await scaling(
      "--scale",
      "smoke",
      "--filter",
      "/^(gnn|egnn)\\[procedure=plain/",
      "--set",
      "train.steps=3",
      "--jobs",
      "1,2",
      "--rounds",
      "2",
      "--backend",
      "cpu",
      "--out",
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const order = [...r.stderr.matchAll(/round (\d)\/2: .*--jobs (\d)/g)].map((m) => m[1] + m[2]);
    assert.deepEqual(order, ["11", "12", "22", "21"]);
    const j = JSON.parse(await Deno.readTextFile(`${dir}/scaling.json`));
    assert.equal(j.rounds, 2);
    assert.deepEqual(j.overrides, { train: { steps: 3 } });
    assert.equal(j.runs.length, 4);
    for (const run of j.runs) {
      assert.equal(run.cases, 2);
      assert.equal(run.completed, 2);
      assert.ok(run.caseS > 0 && run.caseS < 2 * run.wallS, JSON.stringify(run));
      const lines = (await Deno.readTextFile(
        `${dir}/round-${run.round + 1}/jobs-${run.jobs}/results.jsonl`,
      )).trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.config.train.steps), [3, 3]);
    }
    for (const row of j.runs.filter((x: { jobs: number }) => x.jobs === 1)) {
      assert.equal(row.speedup, 1);
    }
    assert.deepEqual(j.summary.map((s: { jobs: number; rounds: number }) => [s.jobs, s.rounds]), [
      [1, 2],
      [2, 2],
    ]);
    assert.match(await Deno.readTextFile(`${dir}/scaling.md`), /Medians over rounds/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
