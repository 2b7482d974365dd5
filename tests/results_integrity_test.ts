/**
 * The probe of issue 15 as tests, one per case: results are never lost, results of different
 * settings are never mixed, a check never passes on nothing, and every rejection names the file,
 * field or flag and what was expected, exits 2 and writes nothing. Runs the tasks as a user does
 * on the results of one real smoke run (three GNN cases, made once by this file).
 */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";
import { editNpz, plant } from "../src/testing/npz_edit.ts";

const SMOKE = ["--scale", "smoke", "--backend", "wasm", "--jobs", "1"];
const GNN = ["--filter", "/^gnn\\[/"];
const bench = (...args: string[]) => runTask("bench", ...SMOKE, ...args);

type Json = Record<string, unknown> & { id: string; metrics?: Record<string, number> };

let made: Promise<string> | undefined;

/** A results folder from a real `deno task bench --scale smoke --filter /^gnn\[/` run. */
function smokeRun(): Promise<string> {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "remul-integrity-src-" });
    const r = await bench(...GNN, "--out", `${dir}/run`);
    if (r.code !== 0) throw new Error(`smoke run failed: ${r.stderr}`);
    return `${dir}/run`;
  })();
  return made;
}

/** A fresh copy of the smoke run's folder, its records edited by `edit`. */
async function copyRun(dir: string, edit: (r: Json) => Json = (r) => r): Promise<string> {
  const source = await smokeRun();
  await Deno.mkdir(dir, { recursive: true });
  const lines = (await Deno.readTextFile(`${source}/results.jsonl`)).trim().split("\n");
  await Deno.writeTextFile(
    `${dir}/results.jsonl`,
    lines.map((l) => JSON.stringify(edit(JSON.parse(l)))).join("\n") + "\n",
  );
  return dir;
}

const records = async (dir: string): Promise<Json[]> =>
  (await Deno.readTextFile(`${dir}/results.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));

/** A folder's files and their contents, to check that a refused command wrote nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    out[e.name] = e.isFile ? await Deno.readTextFile(`${dir}/${e.name}`) : "(folder)";
  }
  return out;
}

/** Exit 2, one line on stderr matching `re`. */
function rejected(r: { code: number; stderr: string }, re: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: ${r.stderr}`);
  assert.match(r.stderr, re, what);
  assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line: ${r.stderr}`);
}

Deno.test("bench into an --out that holds results, without --resume, refuses and keeps them", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const dir = await copyRun(`${tmp}/run`);
  const before = await snapshot(dir);
  const r = await bench("--filter", "/^gnn\\[procedure=plain\\]$/", "--out", dir);
  rejected(
    r,
    /--out: ".*run" already holds 3 result\(s\) in results\.jsonl; add --resume to keep them/,
    "second run",
  );
  assert.deepEqual(await snapshot(dir), before, "nothing written, nothing lost");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("--resume over an empty results.jsonl says so (atomic writes never leave one; see output_test.ts)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const dir = `${tmp}/run`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/results.jsonl`, "");
  await Deno.copyFile(`${await smokeRun()}/results.csv`, `${dir}/results.csv`);
  const r = await bench("--filter", "/^gnn\\[procedure=plain\\]$/", "--out", dir, "--resume");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /bench: --resume: .*results\.jsonl holds no results \(results\.csv lists 3: they are lost from results\.jsonl\); every case runs/,
  );
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("a last line cut off mid-write: --resume, report, baseline, compare, export and merge go on with a warning naming it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const dir = await copyRun(`${tmp}/run`);
  const text = await Deno.readTextFile(`${dir}/results.jsonl`);
  const last = text.trim().split("\n").at(-1)!;
  // a crash while appending a 4th record (a copy of the last, cut at 200 bytes)
  await Deno.writeTextFile(`${dir}/results.jsonl`, text + last.slice(0, 200));
  const warning = /results\.jsonl line 4 is cut off mid-write \(200 bytes, no newline, case "gnn\[/;
  const base = `${tmp}/base.json`;
  const steps: [string, string[]][] = [
    ["report", [dir, "--out", `${tmp}/r.html`]],
    ["baseline", [dir, "--out", base]],
    ["compare", [base, dir]],
    ["export", [dir, "--out", `${tmp}/bench.json`]],
    ["merge", [`${tmp}/merged`, dir]],
  ];
  for (const [name, args] of steps) {
    const r = await runTask(name, ...args);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stderr, warning, name);
  }
  assert.equal((await records(`${tmp}/merged`)).length, 3);
  const resumed = await bench(...GNN, "--out", dir, "--resume");
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, warning);
  assert.match(resumed.stderr, /0 cases to run \(3 already completed\)/);
  const after = await Deno.readTextFile(`${dir}/results.jsonl`);
  assert.ok(after.endsWith("\n") && after.trim().split("\n").length === 3, "the cut line is gone");
  // Corruption anywhere but the last line stays an error (exit 2, naming the line).
  await Deno.writeTextFile(`${dir}/results.jsonl`, last.slice(0, 200) + "\n" + after);
  const bad = await runTask("export", dir);
  rejected(bad, /export: .*results\.jsonl line 1: not valid JSON \(not the last line\)/, "export");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("--resume with other --set values refuses, naming the cases and the settings", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const dir = await copyRun(`${tmp}/run`);
  const before = await snapshot(dir);
  const r = await bench(...GNN, "--out", dir, "--resume", "--set", "train.steps=7");
  rejected(
    r,
    /--resume: completed cases in .*results\.jsonl ran with other settings than this run \(recorded → now\): train\.steps 40 → 7 \(3 cases: gnn\[procedure=plain\], gnn\[beta=1,procedure=remul\], gnn\[beta=10,procedure=remul\]\)/,
    "resume --set",
  );
  // a narrower filter does not hide the others: they would share the table
  const narrow = await bench(
    "--filter",
    "/^gnn\\[procedure=plain\\]$/",
    "--out",
    dir,
    "--resume",
    "--set",
    "model.gnn.hidden=8",
  );
  rejected(narrow, /model\.gnn\.hidden 16 → 8 \(3 cases/, "resume --filter --set");
  assert.deepEqual(await snapshot(dir), before, "nothing written");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("merge refuses folders run with different settings, and a case completed twice with different metrics", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const keep = (id: string) => (r: Json) => r.id === id ? r : { ...r, id: `${r.id}#drop` };
  // shard-like folders: one case each, the second run with --set train.steps=7
  const a = await copyRun(`${tmp}/a`, keep("gnn[procedure=plain]"));
  const b = await copyRun(`${tmp}/b`, (r) => {
    const config = r.config as { train: Record<string, unknown> };
    return { ...r, config: { ...config, train: { ...config.train, steps: 7 } } };
  });
  const mixed = await runTask("merge", `${tmp}/m1`, a, b);
  rejected(
    mixed,
    /merge: the folders ran with different settings: train\.steps: 40 in .*\/a \(.*\) vs 7 in .*\/b \(3 cases/,
    "mixed settings",
  );
  const c = await copyRun(
    `${tmp}/c`,
    (r) => r.id === "gnn[procedure=plain]" ? { ...r, metrics: { ...r.metrics!, mse_test: 99 } } : r,
  );
  const twice = await runTask("merge", `${tmp}/m2`, await copyRun(`${tmp}/d`), c);
  rejected(
    twice,
    /merge: case "nbody\/gnn\[procedure=plain\]" is completed in both ".*\/d" and ".*\/c" with different metrics \(mse_test\); merge joins disjoint shards/,
    "different metrics",
  );
  for (const out of ["m1", "m2"]) {
    assert.equal(await Deno.stat(`${tmp}/${out}`).catch(() => null), null, `${out} not created`);
  }
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("compare fails when baseline cases are missing, unless narrowed with --filter; bench --baseline narrows to its own cases", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const source = await smokeRun();
  const base = `${tmp}/base.json`;
  assert.equal((await runTask("baseline", source, "--out", base)).code, 0);
  const other = (r: Json): Json => ({ ...r, id: r.id.replace("gnn", "egnn"), model: "egnn" });
  const none = await copyRun(`${tmp}/none`, other);
  const r0 = await runTask("compare", base, none);
  assert.equal(r0.code, 1, r0.stdout + r0.stderr);
  assert.match(r0.stdout, /❌ missing: not in the results/);
  assert.match(r0.stdout, /\*\*Result: 3 regressions \(❌\) in 3 of 3 cases\*\*/);
  const some = await copyRun(`${tmp}/some`, (r) => r.id === "gnn[procedure=plain]" ? r : other(r));
  const r1 = await runTask("compare", base, some);
  assert.equal(r1.code, 1, r1.stdout);
  assert.match(r1.stdout, /2 regressions \(❌\) in 2 of 3 cases/);
  const narrowed = await runTask("compare", base, some, "--filter", "procedure=plain");
  assert.equal(narrowed.code, 0, narrowed.stdout + narrowed.stderr);
  assert.match(narrowed.stdout, /Checked 1 of the baseline's 3 cases \(--filter procedure=plain\)/);
  assert.match(narrowed.stdout, /\*\*Result: no regression\*\* in 1 cases/);
  rejected(
    await runTask("compare", base, some, "--filter", "mlp"),
    /--filter: "mlp" matches none of the 3 cases of baseline/,
    "filter matching nothing",
  );
  // bench --baseline with --filter checks the selected case only (thresholds wide: this is
  // not a timing test)
  const loose = `${tmp}/loose.json`;
  const made = await runTask(
    "baseline",
    source,
    "--out",
    loose,
    ...["--time-relative", "1000", "--other-relative", "1000", "--mse-absolute", "1000"],
    ...["--equivariance-absolute", "1000"],
  );
  assert.equal(made.code, 0, made.stderr);
  const r = await bench(
    "--filter",
    "/^gnn\\[procedure=plain\\]$/",
    "--out",
    `${tmp}/one`,
    "--baseline",
    loose,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Checked 1 of the baseline's 3 cases \(the cases selected by --filter\)/);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("bench exits 3 when no case completed (every case skipped or errored)", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const r = await runTask(
    "bench",
    "--suite",
    "md17",
    "--scale",
    "small",
    "--filter",
    "/^gnn\\[molecule=aspirin,procedure=plain\\]$/",
    "--data-dir",
    `${tmp}/empty`,
    "--out",
    `${tmp}/run`,
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /bench: no case completed \(1 skipped\); see .*results\.jsonl/);
  assert.equal((await records(`${tmp}/run`))[0].state, "skipped", "the record is kept");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("--set values out of range are rejected before anything runs, naming the setting", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const cases: [string, RegExp][] = [
    [
      "train.lr=-5",
      /Key "lr" \(the Adam learning rate\) for training config \(--set train\.…\) must be a number > 0, got -5/,
    ],
    ["train.steps=-3", /Key "steps" \(optimiser steps\) .* must be an integer ≥ 1, got -3/],
    ["train.steps=2.5", /Key "steps" .* must be an integer ≥ 1, got 2\.5/],
    [
      "train.batchSize=0",
      /Key "batchSize" \(training batch size\) .* must be an integer ≥ 1, got 0/,
    ],
  ];
  for (const [item, re] of cases) {
    rejected(await bench(...GNN, "--set", item, "--out", `${tmp}/never`), re, item);
  }
  assert.deepEqual([...Deno.readDirSync(tmp)], [], "nothing written");
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("md17 and mocap at smoke say that --data-dir is not read", async () => {
  for (const suite of ["md17", "mocap"]) {
    const r = await runTask(
      "bench",
      "--suite",
      suite,
      "--scale",
      "smoke",
      "--list",
      "--data-dir",
      "x",
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `bench: note: --data-dir x is not read: suite ${suite} at scale smoke reads dataset\\.file "fixtures/${suite}/.*"; add --set dataset\\.file= to read x instead`,
      ),
    );
  }
});

Deno.test("a NaN coordinate in the MD17 file errors the case, naming file, key and index", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const bad = `${tmp}/nan.npz`;
  await editNpz(
    new URL("../fixtures/md17/md17_tiny.npz", import.meta.url).pathname,
    bad,
    (arrays) => arrays.map((a) => (a.key === "R" ? plant(a, (150 * 9 + 4) * 3, NaN) : a)),
  );
  const r = await runTask(
    "bench",
    "--suite",
    "md17",
    ...SMOKE,
    "--filter",
    "/^gnn\\[molecule=aspirin,procedure=plain\\]$/",
    "--set",
    `dataset.file=${bad}`,
    "--out",
    `${tmp}/run`,
  );
  assert.equal(r.code, 3, r.stderr);
  const [rec] = await records(`${tmp}/run`);
  assert.equal(rec.state, "errored");
  assert.match(
    String(rec.error),
    /Cannot read npz file ".*nan\.npz": array "R" holds a non-finite value: NaN at index \[150, 4, 0\]/,
  );
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("a results line that is valid JSON but lacks fields: one line naming it, exit 2, before any training", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "remul-integrity-" });
  const dir = await copyRun(`${tmp}/run`, (r) => {
    if (r.id !== "gnn[beta=1,procedure=remul]") return r;
    const { metrics: _m, ...rest } = r;
    return rest as Json;
  });
  await copyRun(`${tmp}/ok`);
  const base = `${tmp}/ok/baseline.json`;
  assert.equal((await runTask("baseline", `${tmp}/ok`)).code, 0);
  const field =
    /results\.jsonl line 2: record "gnn\[beta=1,procedure=remul\]" lacks "metrics" \(expected an object of numbers\)/;
  const before = await snapshot(dir);
  for (
    const [name, args] of [
      ["baseline", [dir]],
      ["compare", [base, dir]],
      ["export", [dir]],
      ["report", [dir]],
      ["merge", [`${tmp}/merged`, dir]],
    ] as [string, string[]][]
  ) {
    rejected(await runTask(name, ...args), field, name);
  }
  const resumed = await bench(...GNN, "--out", dir, "--resume");
  rejected(resumed, field, "bench --resume");
  assert.ok(!/training/.test(resumed.stderr));
  assert.deepEqual(await snapshot(dir), before, "nothing written");
  await Deno.remove(tmp, { recursive: true });
});
