/**
 * `deno task bench`: runs a suite from the registry across Web Workers and writes
 * `results.jsonl`, `results.csv`, `summary.md` and `report.html`. Run with `--help` for the flags.
 * A thin command line over {@linkcode runSuite}: it parses the flags, prints progress and the
 * summary, checks a baseline and turns the outcome into the exit code.
 *
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest } from "../src/backend/backend.ts";
import { caseId } from "../src/core/case_id.ts";
import { createRegistries } from "../src/registry.ts";
import { checkAgainstBaseline, loadBaseline } from "../src/report/baseline_check.ts";
import { metricColumns } from "../src/runner/columns.ts";
import { gitCommit } from "../src/runner/environment.ts";
import { parseOverrides, type ScaleOverrides } from "../src/runner/overrides.ts";
import { RESULTS_FILE } from "../src/runner/results_file.ts";
import { runSuite, type SuiteRun } from "../src/runner/run_suite.ts";
import { type CaseSelection, selectCases } from "../src/runner/select_cases.ts";
import { parseShard, type Shard } from "../src/runner/shard.ts";
import { type Scale, SCALES } from "../src/runner/suite.ts";
import { summaryLine, summaryMarkdown } from "../src/runner/tables.ts";
import type { MetricColumn } from "../src/metrics/metric.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { CliError, cliInput, formatDuration, parseCli, runCli } from "./_cli.ts";

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
  const backend = args.backend as BackendRequest;
  if (!BACKEND_REQUESTS.includes(backend)) {
    throw new CliError(
      `--backend: unknown backend "${args.backend}"; accepted: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  const jobs = positiveInt("jobs", args.jobs);
  const repetitions = positiveInt("repetitions", args.repetitions);
  const timeoutS = positiveInt("timeout", args.timeout, true)!;
  let shard: Shard | undefined;
  try {
    shard = args.shard === undefined ? undefined : parseShard(args.shard as string);
  } catch (e) {
    throw new CliError(`--shard: ${(e as Error).message}`);
  }
  const baselinePath = args.baseline as string | undefined;
  let baseline;
  try {
    baseline = baselinePath ? await loadBaseline(baselinePath) : undefined;
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (args.resume && !args.out) {
    throw new CliError("--resume needs --out DIR (the folder to resume)");
  }
  let overrides: ScaleOverrides;
  try {
    overrides = parseOverrides((args.set ?? []) as unknown as string[]);
  } catch (e) {
    throw new CliError(`--set: ${(e as Error).message}`);
  }
  const dataDir = args["data-dir"] as string | undefined;
  const selection: CaseSelection = {
    scale,
    filter: args.filter as string | undefined,
    shard,
    repetitions,
    dataDir,
    overrides,
  };
  const cases = await cliInput(() => selectCases(suite, registries, selection));
  if (dataDir !== undefined) {
    const files = [...new Set(cases.selected.map((s) => s.dataset.config.file))];
    if (files.length === 1 && typeof files[0] === "string" && files[0] !== "") {
      console.error(
        `bench: note: --data-dir ${dataDir} is not read: suite ${suite.id} at scale ${scale} ` +
          `reads dataset.file "${files[0]}"; add --set dataset.file= to read ${dataDir} instead`,
      );
    }
  }
  if (args.list) {
    for (const s of cases.selected) console.log(s.id);
    console.error(`${cases.selected.length} cases in suite ${suite.id} at scale ${scale}`);
    return 0;
  }

  const stamp = new Date().toISOString().replace(/[:T]/g, "-").replace(/\..*/, "");
  const out = (args.out as string | undefined) ??
    `results/${suite.id}-${scale}-${stamp}${shard ? `-shard${shard.index}of${shard.count}` : ""}`;
  const controller = new AbortController();
  const onSigint = () => {
    console.error("\nbench: interrupted; stopping workers and keeping completed results");
    controller.abort();
  };
  let listening = false;
  const t0 = performance.now();
  const run: SuiteRun = await cliInput(async () =>
    runSuite(suite, {
      ...selection,
      jobs,
      backend,
      out,
      resume: args.resume as boolean,
      timeoutMs: timeoutS * 1000,
      registries,
      gitCommit: await gitCommit(),
      signal: controller.signal,
      onNote: (n) => console.error(`bench: ${n}`),
      onStart: (plan) => {
        console.error(
          `bench: suite ${suite.id}, scale ${scale}, ${plan.todo.length} cases to run` +
            (plan.completed ? ` (${plan.completed} already completed)` : "") +
            `, ${plan.jobs} worker(s)\nbench: backend ${plan.backend.name} — ${plan.backend.reason}` +
            `\nbench: writing to ${out}/`,
        );
        Deno.addSignalListener("SIGINT", onSigint);
        listening = true;
      },
      onEvent: progressPrinter(t0, metricColumns(registries)),
    })
  ).finally(() => {
    if (listening) Deno.removeSignalListener("SIGINT", onSigint);
  });
  const results = run.results;
  console.log(summaryMarkdown(results, {
    columns: metricColumns(registries),
    title: `${suite.id} (${scale})`,
    ratios: suite.ratios,
  }));
  console.error(
    `bench: ${
      formatDuration(performance.now() - t0)
    } wall; files in ${out}/ (results.jsonl, results.csv, summary.md, report.html)`,
  );
  // The baseline is narrowed to the cases this run selected (--filter, --shard): those must
  // all be there; the baseline's other cases are not expected.
  const selected = new Set(run.selected.map((s) => caseId(s.model.id, s.params)));
  const narrowed = !!args.filter || !!shard;
  const inRun = (key: string) => {
    const m = /^([^/[]+)\/(.+)$/.exec(key); // `suite/case` in multi-suite baselines
    return m ? m[1] === suite.id && selected.has(m[2]) : selected.has(key);
  };
  const check = baseline && checkAgainstBaseline(baseline, baselinePath!, results, {
    columns: metricColumns(registries),
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
  if (!results.some((r) => r.state === "completed")) {
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    console.error(
      `bench: no case completed (${
        [...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "no records"
      }); see ${out}/${RESULTS_FILE} for the reasons; exit code 3`,
    );
    return 3;
  }
  return check && check.comparison.regressions > 0 ? 1 : 0;
}

/** A flag's value as an integer ≥ 1 (≥ 0 with `allowZero`), or undefined when not given. */
function positiveInt(flag: string, v: unknown, allowZero = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || String(v).trim() === "") {
    throw new CliError(
      `--${flag}: expected a ${allowZero ? "non-negative" : "positive"} integer, got "${v}"`,
    );
  }
  return n;
}

/** Prints a line per finished case (and per quarter of a long training) to stderr. */
function progressPrinter(
  t0: number,
  columns: readonly MetricColumn[],
): NonNullable<Parameters<typeof runSuite>[1]["onEvent"]> {
  return (e) => {
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
    const elapsed = performance.now() - t0;
    const eta = (elapsed / e.done) * (e.total - e.done);
    const r = e.record;
    const what = r.state === "completed"
      ? summaryLine(r.metrics, columns, 3)
      : r.state === "errored"
      ? r.error.slice(0, 160)
      : r.reason.slice(0, 160);
    const secs = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
    console.error(
      `[${String(e.done).padStart(String(e.total).length)}/${e.total}] ${
        r.state.padEnd(9)
      } ${r.id} ` +
        `(${secs.toFixed(1)} s) ${what} · elapsed ${formatDuration(elapsed)}` +
        (e.done < e.total ? ` · ETA ${formatDuration(eta)}` : ""),
    );
  };
}

if (import.meta.main) await runCli("bench", main);
