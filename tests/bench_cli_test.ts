/** End to end: `deno task bench` as a user runs it, and its answers to bad input. */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";
import { resultColumns } from "../src/runner/columns.ts";

const CSV_COLUMNS = resultColumns().map((c) => c.name);

const root = new URL("..", import.meta.url).pathname;

const bench = (...args: string[]) => runTask("bench", ...args);

Deno.test("bench --scale smoke writes valid JSONL, CSV and summary, and --resume skips them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "remul-e2e-" });
  const out = `${dir}/run`;
  const listed = (await bench("--suite", "nbody", "--scale", "smoke", "--list")).stdout.trim()
    .split("\n");
  const n = listed.length;
  assert.ok(n >= 6, "the smoke suite has the four Transformer procedures and two β at least");
  const r = await bench("--suite", "nbody", "--scale", "smoke", "--jobs", "2", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /backend wasm|backend webgpu|backend cpu/);
  assert.match(r.stderr, new RegExp(`\\[${n}/${n}\\] completed`));
  assert.match(r.stdout, /\| case \| state \| MSE test/);
  const lines = (await Deno.readTextFile(`${out}/results.jsonl`)).trim().split("\n");
  assert.equal(lines.length, n);
  const ids = new Set<string>();
  for (const line of lines) {
    const rec = JSON.parse(line);
    ids.add(rec.id);
    assert.equal(rec.state, "completed", rec.error);
    assert.equal(rec.suite, "nbody");
    assert.equal(rec.scale, "smoke");
    for (
      const k of [
        "mse_test",
        "mse_ood",
        "equi_e",
        "equi_e_prime",
        "train_step_ms",
        "infer_ms",
        "n_params",
      ]
    ) {
      assert.ok(Number.isFinite(rec.metrics[k]), `${rec.id} ${k}`);
    }
    assert.ok(rec.environment.deno && rec.environment.v8 && rec.environment.tfjs === "4.22.0");
    assert.ok(rec.environment.backend.reason.length > 0);
    assert.ok(Date.parse(rec.endedAt) >= Date.parse(rec.startedAt));
    assert.ok(rec.config.protocol.betaGrid.length >= 2);
  }
  assert.ok(ids.has("transformer[beta=10,procedure=remul]"));
  const csv = (await Deno.readTextFile(`${out}/results.csv`)).trim().split("\n");
  assert.equal(csv[0], CSV_COLUMNS.join(","));
  assert.equal(csv.length, n + 1);
  assert.deepEqual(lines.map((l) => JSON.parse(l).id), listed, "records in case order");
  for (
    const col of [
      "id",
      "model",
      "procedure",
      "beta",
      "state",
      "mse_test",
      "mse_ood",
      "equi_e",
      "equi_e_prime",
      "train_step_ms",
      "infer_ms",
      "n_params",
      "best_step",
    ]
  ) {
    assert.ok(CSV_COLUMNS.includes(col), col);
  }
  const summary = await Deno.readTextFile(`${out}/summary.md`);
  assert.match(summary, /`transformer\[procedure=plain\]` \| completed/);

  // A narrower filter on resume keeps the records it does not select.
  const narrow = await bench("--scale", "smoke", "--out", out, "--resume", "--filter", "gnn");
  assert.equal(narrow.code, 0, narrow.stderr);
  assert.equal((await Deno.readTextFile(`${out}/results.jsonl`)).trim().split("\n").length, n);
  const again = await bench("--scale", "smoke", "--out", out, "--resume");
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`0 cases to run \\(${n} already completed\\)`));
  assert.equal((await Deno.readTextFile(`${out}/results.jsonl`)).trim().split("\n").length, n);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bench --list prints the case ids and exits", async () => {
  const r = await bench("--scale", "smoke", "--list", "--filter", "remul-gradnorm");
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout.trim().split("\n"), [
    "transformer[beta=1,procedure=remul-gradnorm]",
    "transformer[beta=10,procedure=remul-gradnorm]",
  ]);
});

Deno.test("bad input: one line naming it and the accepted values, exit 2, nothing written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "remul-bad-" });
  const blocker = `${dir}/file`;
  await Deno.writeTextFile(blocker, "");
  const cases: [string[], RegExp][] = [
    [["--suite", "nbdy"], /--suite: unknown suite "nbdy"; known suites: .*\bnbody\b/],
    [["--model", "x"], /Unknown option '--model'; accepted flags: --suite/],
    [["--jobs", "0"], /--jobs: expected a positive integer, got "0"/],
    [["--jobs", "two"], /--jobs: expected a positive integer, got "two"/],
    [["--backend", "cuda"], /--backend: unknown backend "cuda"; accepted: auto, webgpu, wasm, cpu/],
    [["--scale", "huge"], /--scale: unknown scale "huge"; accepted: smoke, small, paper/],
    [["--filter", "nothing-matches"], /--filter: "nothing-matches" matches no case/],
    [["--out", `${blocker}/sub`], /--out: cannot write to/],
    [["--set", "steps=5"], /--set: "steps=5": expected train\.KEY=VALUE/],
    [["--set", "train.stepz=5"], /Unknown key "stepz" for training config \(--set train/],
    [["--set", "model.mlp.hidden=3"], /suite "nbody" does not run "mlp"/],
  ];
  for (const [args, re] of cases) {
    const r = await bench(
      "--scale",
      "smoke",
      ...args,
      ...(args[0] === "--out" ? [] : ["--out", `${dir}/never`]),
    );
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}`);
  }
  const left = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(left, ["file"], "nothing written");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("interrupting a run keeps every completed result and marks the rest aborted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "remul-int-" });
  // Run the bench task's own command line directly: `deno task` does not forward SIGINT to its
  // child, while a terminal's Ctrl-C reaches the whole process group.
  const task: string = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks.bench;
  const [, ...taskArgs] = task.split(/\s+/);
  const child = new Deno.Command("deno", {
    args: [...taskArgs, "--scale", "smoke", "--jobs", "1", "--out", `${dir}/run`],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Wait until two cases are done, then press Ctrl-C.
  let err = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!/\[\s*2\/\d+\] completed/.test(err)) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    err += value;
  }
  const status = await child.status;
  await child.stdout.cancel();
  assert.equal(status.code, 130, err);
  assert.match(err, /interrupted; stopping workers and keeping completed results/);
  const records = (await Deno.readTextFile(`${dir}/run/results.jsonl`)).trim().split("\n").map((
    l,
  ) => JSON.parse(l));
  const completed = records.filter((r) => r.state === "completed");
  assert.ok(completed.length >= 2, `completed: ${completed.length}`);
  assert.ok(
    records.every((r) =>
      r.state === "completed" || (r.state === "aborted" && r.reason === "interrupted")
    ),
  );
  assert.ok(records.length < 12, "the run stopped early");
  const csv = (await Deno.readTextFile(`${dir}/run/results.csv`)).trim().split("\n");
  assert.equal(csv.length, records.length + 1);
  await Deno.remove(dir, { recursive: true });
});
