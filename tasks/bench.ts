/**
 * `deno task bench`: runs a suite from the registry across Web Workers and writes
 * `results.jsonl`, `results.csv`, `summary.md` and `report.html`. Run with `--help` for the flags.
 *
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest, chooseBackend } from "../src/backend/backend.ts";
import { createRegistries } from "../src/registry.ts";
import { summaryMarkdown, writeOutputs } from "../src/runner/output.ts";
import {
  dropPartialLastLine,
  partialLineWarning,
  readResultsFile,
  RESULTS_FILE,
} from "../src/runner/results_file.ts";
import { describeConflicts, resumeConflicts } from "../src/runner/settings_diff.ts";
import type { ResultRecord } from "../src/runner/result.ts";
import { defaultJobs, runSuite } from "../src/runner/run_suite.ts";
import { gitCommit } from "../src/runner/environment.ts";
import { expandSuite, filterSpecs, type RunSpec, type Scale, SCALES } from "../src/runner/suite.ts";
import { parseShard, type Shard, shardItems } from "../src/runner/shard.ts";
import { parseOverrides, type ScaleOverrides } from "../src/runner/overrides.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { CliError, formatDuration, parseCli, runCli } from "./_cli.ts";
import { checkAgainstBaseline, loadBaseline } from "./compare.ts";
import { caseId } from "../src/core/case_id.ts";
import { reportFolder } from "./report.ts";

const HELP = `Usage: deno task bench [options]

Runs a benchmark suite; each experiment runs in a fresh Web Worker with its own tfjs backend.

Options:
  --suite ID          suite to run (default: nbody); --list shows the cases
  --scale S           smoke | small | paper (default: small)
  --filter F          keep cases whose id matches: /regex/ or comma-separated substrings
  --list              print the cases and exit
  --jobs N            experiments in parallel (default: 1 on WebGPU, else min(2, cores))
  --backend B         auto | webgpu | wasm | cpu (default: auto)
  --out DIR           output folder (default: results/<suite>-<scale>-<timestamp>); a folder
                      that already holds results needs --resume (nothing is overwritten)
  --resume            with --out: skip cases already completed in DIR (same settings only)
  --repetitions N     override the scale's repetitions
  --set KEY=VALUE     override a setting of the scale, repeatable: train.KEY, eval.KEY,
                      dataset.KEY or model.MODEL.KEY, e.g. --set train.steps=5000
                      --set model.mlp.hidden=256 (recorded with every result)
  --data-dir DIR      where downloaded data sets live (default: data); suites whose scale
                      reads a bundled fixture (dataset.file, e.g. md17/mocap smoke) say so
  --timeout S         per-experiment limit in seconds (default: 7200; 0 = none)
  --shard i/n         run only shard i of n (round-robin over the sorted case ids; see
                      docs/sharding.md; join the shards with deno task merge)
  --baseline FILE     compare with a baseline at the end (deno task compare), narrowed to the
                      cases --filter and --shard select; exit 1 on regression or a missing case
  -h, --help          this text

Exit codes: 0 every case has a record and at least one completed; 1 regression against
--baseline; 2 bad input (nothing written); 3 no case completed (all errored or skipped);
130 interrupted (Ctrl-C; completed results kept).
`;

/** The few numbers worth a progress line: accuracy if measured, else timing. */
function describeMetrics(m: Readonly<Record<string, number>>): string {
  const e = (v: number) => v.toExponential(2);
  if (m.mse_test !== undefined) {
    return `MSE ${e(m.mse_test)}` +
      (m.equi_e_prime !== undefined ? ` E' ${e(m.equi_e_prime)}` : "");
  }
  if (m.train_step_mean_ms !== undefined) {
    return `step ${m.train_step_mean_ms.toFixed(1)} ms, infer ${m.infer_mean_ms?.toFixed(1)} ms`;
  }
  return "";
}

async function main(): Promise<number> {
  const suites = createSuiteRegistry();
  const registries = createRegistries();
  const { values: args } = parseCli(Deno.args, {
    suite: { type: "string", default: "nbody" },
    scale: { type: "string", default: "small" },
    filter: { type: "string" },
    list: { type: "boolean", default: false },
    jobs: { type: "string" },
    backend: { type: "string", default: "auto" },
    out: { type: "string" },
    resume: { type: "boolean", default: false },
    repetitions: { type: "string" },
    "data-dir": { type: "string" },
    timeout: { type: "string", default: "7200" },
    shard: { type: "string" },
    baseline: { type: "string" },
    set: { type: "string", multiple: true },
    help: { type: "boolean", short: "h", default: false },
  });
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  if (!suites.has(args.suite as string)) {
    throw new CliError(
      `--suite: unknown suite "${args.suite}"; known suites: ${suites.ids().join(", ")}`,
    );
  }
  const suite = suites.get(args.suite as string);
  const scale = args.scale as Scale;
  if (!SCALES.includes(scale)) {
    throw new CliError(`--scale: unknown scale "${args.scale}"; accepted: ${SCALES.join(", ")}`);
  }
  const backendReq = args.backend as BackendRequest;
  if (!BACKEND_REQUESTS.includes(backendReq)) {
    throw new CliError(
      `--backend: unknown backend "${args.backend}"; accepted: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  const positiveInt = (flag: string, v: unknown, allowZero = false) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || String(v).trim() === "") {
      throw new CliError(
        `--${flag}: expected a ${allowZero ? "non-negative" : "positive"} integer, got "${v}"`,
      );
    }
    return n;
  };
  const jobsArg = positiveInt("jobs", args.jobs);
  const repetitions = positiveInt("repetitions", args.repetitions);
  const timeoutS = positiveInt("timeout", args.timeout, true)!;
  let shard: Shard | undefined;
  try {
    shard = args.shard === undefined ? undefined : parseShard(args.shard as string);
  } catch (e) {
    throw new CliError(`--shard: ${(e as Error).message}`);
  }
  const baseline = args.baseline ? await loadBaseline(args.baseline as string) : undefined;
  if (args.resume && !args.out) {
    throw new CliError("--resume needs --out DIR (the folder to resume)");
  }
  if (args.filter && typeof args.filter === "string" && args.filter.startsWith("/")) {
    try {
      new RegExp((args.filter as string).slice(1, -1));
    } catch (e) {
      throw new CliError(`--filter: invalid regular expression: ${(e as Error).message}`);
    }
  }

  let overrides: ScaleOverrides;
  try {
    overrides = parseOverrides((args.set ?? []) as unknown as string[]);
  } catch (e) {
    throw new CliError(`--set: ${(e as Error).message}`);
  }
  const dataDir = (args["data-dir"] as string | undefined) ?? "data";
  let expanded: RunSpec[];
  let specs: RunSpec[];
  try {
    expanded = expandSuite(suite, scale, registries, { repetitions, dataDir, overrides });
    specs = filterSpecs(expanded, args.filter as string | undefined);
  } catch (e) {
    throw new CliError(`suite "${suite.id}": ${(e as Error).message}`);
  }
  if (args["data-dir"] !== undefined) {
    const files = [...new Set(specs.map((s) => s.dataset.config.file))];
    if (files.length === 1 && typeof files[0] === "string" && files[0] !== "") {
      console.error(
        `bench: note: --data-dir ${dataDir} is not read: suite ${suite.id} at scale ${scale} ` +
          `reads dataset.file "${files[0]}"; add --set dataset.file= to read ${dataDir} instead`,
      );
    }
  }
  const unsharded = specs;
  if (shard) specs = shardItems(specs, shard);
  if (args.list) {
    for (const s of specs) console.log(s.id);
    console.error(`${specs.length} cases in suite ${suite.id} at scale ${scale}`);
    return 0;
  }
  if (specs.length === 0) {
    throw new CliError(
      shard && unsharded.length
        ? `--shard: shard ${args.shard} of ${unsharded.length} cases is empty`
        : `--filter: "${args.filter}" matches no case of suite ${suite.id}`,
    );
  }

  const stamp = new Date().toISOString().replace(/[:T]/g, "-").replace(/\..*/, "");
  const out = (args.out as string | undefined) ??
    `results/${suite.id}-${scale}-${stamp}${shard ? `-shard${shard.index}of${shard.count}` : ""}`;
  let previous: ResultRecord[] = [];
  let others: ResultRecord[] = []; // records of other suites or scales in the same folder: kept
  let repair = false; // a partial last line to cut off before appending
  let existing;
  try {
    existing = await readResultsFile(out);
  } catch (e) {
    // a file system error (a path through a file, no permission): the folder is unusable
    const fs = Object.values(Deno.errors).some((C) => e instanceof C);
    throw new CliError(
      fs
        ? `--out: cannot write to "${out}": ${(e as Error).message}`
        : `${args.resume ? "--resume" : "--out"}: cannot read ${out}/${RESULTS_FILE}: ${
          (e as Error).message
        }`,
    );
  }
  if (!args.resume && (existing.lines > 0 || existing.partial)) {
    throw new CliError(
      `--out: "${out}" already holds ${existing.records.length} result(s) in ${RESULTS_FILE}; ` +
        `add --resume to keep them and run only the cases not completed, or choose another --out`,
    );
  }
  if (args.resume) {
    const mine = (r: ResultRecord) => r.suite === suite.id && r.scale === scale;
    previous = existing.records.filter(mine);
    others = existing.records.filter((r) => !mine(r));
    const conflicts = resumeConflicts(previous, expanded);
    if (conflicts.length) {
      throw new CliError(
        `--resume: completed cases in ${out}/${RESULTS_FILE} ran with other settings than this ` +
          `run (recorded → now): ${describeConflicts(conflicts)}; resume with the same --set ` +
          `values as before, or run into a new --out`,
      );
    }
    if (existing.partial) {
      console.error(
        `bench: warning: ${partialLineWarning(`${out}/${RESULTS_FILE}`, existing.partial)}`,
      );
      repair = true;
    }
    if (existing.records.length === 0) {
      const csv = await Deno.readTextFile(`${out}/results.csv`).catch(() => "");
      const rows = Math.max(0, csv.trim().split("\n").length - 1);
      console.error(
        `bench: --resume: ${out}/${RESULTS_FILE} holds no results${
          rows ? ` (results.csv lists ${rows}: they are lost from ${RESULTS_FILE})` : ""
        }; every case runs`,
      );
    }
  }
  let backend;
  try {
    backend = await chooseBackend(backendReq);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  try {
    const st = await Deno.stat(out).catch(() => null);
    if (st && !st.isDirectory) throw new Error("it exists and is not a folder");
    await Deno.mkdir(out, { recursive: true });
    const probe = `${out}/.write-test`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new CliError(`--out: cannot write to "${out}": ${(e as Error).message}`);
  }
  // results.jsonl has one writer, this process: cut a partial last line off before appending
  if (repair) await dropPartialLastLine(out);

  const completed = new Set(previous.filter((r) => r.state === "completed").map((r) => r.id));
  const todo = specs.filter((s) => !completed.has(s.id));
  const jobs = suite.exclusive ? 1 : jobsArg ?? defaultJobs(backend);
  if (suite.exclusive && jobsArg && jobsArg > 1) {
    console.error(
      `bench: suite ${suite.id} times its cases, so they run one at a time (--jobs ignored)`,
    );
  }
  console.error(
    `bench: suite ${suite.id}, scale ${scale}, ${todo.length} cases to run` +
      (completed.size ? ` (${completed.size} already completed)` : "") +
      `, ${jobs} worker(s)\nbench: backend ${backend.name} — ${backend.reason}\nbench: writing to ${out}/`,
  );
  const controller = new AbortController();
  const onSigint = () => {
    console.error("\nbench: interrupted; stopping workers and keeping completed results");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const t0 = performance.now();
  let finishedTime = 0;
  const run = await runSuite(suite, {
    scale,
    specs: todo, // expanded, filtered, sharded and resumed above
    jobs,
    backend,
    outDir: out,
    timeoutMs: timeoutS * 1000,
    registries,
    gitCommit: await gitCommit(),
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === "progress") {
        const { phase, step, steps } = e.progress;
        const pct = Math.floor((100 * step) / steps);
        if (
          phase === "train" && pct % 25 === 0 && pct > 0 && pct < 100 && step * 20 % steps === 0
        ) {
          console.error(`      ${e.spec.id}: training ${pct}% (${step}/${steps} steps)`);
        }
        return;
      }
      if (e.type !== "done") return;
      finishedTime = performance.now() - t0;
      const perCase = finishedTime / e.done;
      const eta = perCase * (e.total - e.done);
      const r = e.record;
      const what = r.state === "completed"
        ? describeMetrics(r.metrics)
        : r.state === "errored"
        ? r.error.slice(0, 160)
        : r.reason.slice(0, 160);
      const secs = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
      console.error(
        `[${String(e.done).padStart(String(e.total).length)}/${e.total}] ${
          r.state.padEnd(9)
        } ${r.id} ` +
          `(${secs.toFixed(1)} s) ${what} · elapsed ${formatDuration(finishedTime)}` +
          (e.done < e.total ? ` · ETA ${formatDuration(eta)}` : ""),
      );
    },
  });
  Deno.removeSignalListener("SIGINT", onSigint);
  const byId = new Map<string, ResultRecord>(previous.map((r) => [r.id, r]));
  for (const r of run.records) byId.set(r.id, r);
  const ordered = specs.flatMap((s) => (byId.has(s.id) ? [byId.get(s.id)!] : []));
  // Resumed cases this run's filter or shard left out stay in the folder.
  const ran = new Set(specs.map((s) => s.id));
  const kept = previous.filter((r) => !ran.has(r.id));
  await writeOutputs(out, [...others, ...kept, ...ordered], `${suite.id} (${scale})`, suite.ratios);
  console.log(summaryMarkdown(ordered, `${suite.id} (${scale})`, suite.ratios));
  await reportFolder(out).catch((e) => console.error(`bench: no report.html: ${e.message}`));
  console.error(
    `bench: ${
      formatDuration(performance.now() - t0)
    } wall; files in ${out}/ (results.jsonl, results.csv, summary.md, report.html)`,
  );
  // The baseline is narrowed to the cases this run selected (--filter, --shard): those must
  // all be there; the baseline's other cases are not expected.
  const selected = new Set(specs.map((s) => caseId(s.model.id, s.params)));
  const narrowed = !!args.filter || !!shard;
  const inRun = (key: string) => {
    const m = /^([^/[]+)\/(.+)$/.exec(key); // `suite/case` in multi-suite baselines
    return m ? m[1] === suite.id && selected.has(m[2]) : selected.has(key);
  };
  const check = baseline && checkAgainstBaseline(baseline, args.baseline as string, ordered, {
    changesOnly: true,
    select: narrowed ? inRun : undefined,
    selectedBy: narrowed
      ? `the cases selected by ${
        [args.filter && "--filter", shard && "--shard"].filter(Boolean).join(" and ")
      }`
      : undefined,
  });
  if (check) console.log(check.markdown);
  if (controller.signal.aborted) return 130;
  if (!ordered.some((r) => r.state === "completed")) {
    const counts = new Map<string, number>();
    for (const r of ordered) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    console.error(
      `bench: no case completed (${
        [...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "no records"
      }); see ${out}/${RESULTS_FILE} for the reasons; exit code 3`,
    );
    return 3;
  }
  return check && check.comparison.regressions > 0 ? 1 : 0;
}

if (import.meta.main) await runCli("bench", main);
