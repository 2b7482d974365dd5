/**
 * `deno task scaling`: runs one suite's cases at several `--jobs` values, in rounds, and records
 * the wall time, throughput, case-time inflation and lane use of each run and the medians over
 * rounds (`src/runner/scaling.ts`), to measure how the worker pool scales on this machine. Writes
 * `scaling.json` and `scaling.md`, plus each run's results.
 *
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest, chooseBackend } from "../src/backend/backend.ts";
import { createRegistries } from "../src/registry.ts";
import { gitCommit } from "../src/runner/environment.ts";
import { writeOutputs } from "../src/runner/output.ts";
import { writeTextFileAtomic } from "../src/runner/atomic_write.ts";
import { parseOverrides, type ScaleOverrides } from "../src/runner/overrides.ts";
import { runSuite } from "../src/runner/run_suite.ts";
import {
  caseSeconds,
  roundOrder,
  scalingMarkdown,
  scalingRows,
  type ScalingRun,
  scalingSummary,
} from "../src/runner/scaling.ts";
import { selectCases } from "../src/runner/select_cases.ts";
import { type Scale, SCALES } from "../src/runner/suite.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { CliError, cliInput, formatDuration, parseCli, runCli } from "./_cli.ts";

const HELP =
  `Usage: deno task scaling [--suite nbody] [--scale smoke] [--filter F] [--set KEY=VALUE]...
                         [--jobs 1,2] [--rounds 1] [--backend auto] [--out DIR]

Runs the suite once per jobs value, --rounds times (odd rounds in reverse order, so that a drift
in the machine's speed falls on every jobs value), and records per run the wall time, cases per
minute, the speed-up over the first jobs value of the same round, the summed case time against
that run's (case-time inflation: cases sharing the cores run slower) and how busy the lanes were
(summed case time / (jobs x wall)); then the medians over rounds. --set overrides a setting of the
scale as in deno task bench (e.g. --set train.steps=300). Writes scaling.json, scaling.md and each
run's results under jobs-N/ (round-R/jobs-N/ with --rounds above 1).`;

async function main(): Promise<number> {
  const suites = createSuiteRegistry();
  const { values: a } = parseCli(Deno.args, {
    suite: { type: "string", default: "nbody" },
    scale: { type: "string", default: "smoke" },
    jobs: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "1" },
    backend: { type: "string", default: "auto" },
    filter: { type: "string" },
    set: { type: "string", multiple: true },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  if (!suites.has(a.suite as string)) {
    throw new CliError(
      `--suite: unknown suite "${a.suite}"; known suites: ${suites.ids().join(", ")}`,
    );
  }
  const suite = suites.get(a.suite as string);
  if (!SCALES.includes(a.scale as Scale)) {
    throw new CliError(`--scale: unknown scale "${a.scale}"; accepted: ${SCALES.join(", ")}`);
  }
  if (!BACKEND_REQUESTS.includes(a.backend as BackendRequest)) {
    throw new CliError(
      `--backend: unknown backend "${a.backend}"; accepted: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  const jobsList = String(a.jobs).split(",").map((j) => Number(j.trim()));
  if (jobsList.some((j) => !Number.isInteger(j) || j < 1)) {
    throw new CliError(`--jobs: expected comma-separated positive integers, got "${a.jobs}"`);
  }
  if (new Set(jobsList).size !== jobsList.length) {
    throw new CliError(`--jobs: each value once, got "${a.jobs}"`);
  }
  const rounds = Number(a.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new CliError(`--rounds: expected a positive integer, got "${a.rounds}"`);
  }
  if (suite.exclusive) {
    throw new CliError(`--suite: ${suite.id} runs one case at a time; pick an accuracy suite`);
  }
  let overrides: ScaleOverrides;
  try {
    overrides = parseOverrides((a.set ?? []) as unknown as string[]);
  } catch (e) {
    throw new CliError(`--set: ${(e as Error).message}`);
  }
  const registries = createRegistries();
  const selection = {
    scale: a.scale as Scale,
    filter: a.filter as string | undefined,
    overrides,
  };
  const cases = await cliInput(() => selectCases(suite, registries, selection));
  if (cases.selected.length === 0) {
    throw new CliError(`--filter: no case of suite ${suite.id} matches "${a.filter}"`);
  }
  const stamp = new Date().toISOString().replace(/[:T]/g, "-").replace(/\..*/, "");
  const out = (a.out as string | undefined) ?? `results/scaling-${suite.id}-${a.scale}-${stamp}`;
  const runDir = (round: number, jobs: number) =>
    rounds === 1 ? `${out}/jobs-${jobs}` : `${out}/round-${round + 1}/jobs-${jobs}`;
  for (let round = 0; round < rounds; round++) {
    for (const jobs of jobsList) {
      const held = await Deno.stat(`${runDir(round, jobs)}/results.jsonl`).catch(() => null);
      if (held && held.size > 0) {
        throw new CliError(
          `--out: "${
            runDir(round, jobs)
          }" already holds results (results.jsonl); choose another --out`,
        );
      }
    }
  }
  await Deno.mkdir(out, { recursive: true }).catch((e) => {
    throw new CliError(`--out: cannot write to "${out}": ${e.message}`);
  });
  const backend = await chooseBackend(a.backend as BackendRequest);
  const commit = await gitCommit();
  const runs: ScalingRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const jobs of roundOrder(jobsList, round)) {
      console.error(
        `scaling: round ${round + 1}/${rounds}: ${suite.id} (${a.scale}), ` +
          `${cases.selected.length} cases, --jobs ${jobs} on ${backend.name} …`,
      );
      const t0 = performance.now();
      const run = await runSuite(suite, {
        ...selection,
        jobs,
        backend,
        registries,
        gitCommit: commit,
      });
      const wallS = (performance.now() - t0) / 1000;
      const dir = runDir(round, jobs);
      await Deno.mkdir(dir, { recursive: true });
      await writeOutputs(dir, run.records, `${suite.id} (${a.scale}), --jobs ${jobs}`);
      runs.push({
        round,
        jobs,
        cases: run.records.length,
        completed: run.records.filter((r) => r.state === "completed").length,
        wallS,
        caseS: caseSeconds(run.records),
      });
      console.error(
        `scaling: --jobs ${jobs}: ${run.records.length} cases in ${formatDuration(wallS * 1000)}`,
      );
    }
  }
  const rows = scalingRows(runs, jobsList[0]);
  const summary = scalingSummary(rows, jobsList);
  const result = {
    suite: suite.id,
    scale: a.scale,
    filter: a.filter ?? null,
    overrides,
    rounds,
    backend,
    cpus: navigator.hardwareConcurrency,
    gitCommit: commit,
    date: new Date().toISOString(),
    runs: rows,
    summary,
  };
  await writeTextFileAtomic(`${out}/scaling.json`, JSON.stringify(result, null, 2) + "\n");
  const md = scalingMarkdown(
    `Worker scaling: ${suite.id} (${a.scale}) on ${backend.name}, ${navigator.hardwareConcurrency} CPUs`,
    rows,
    summary,
  );
  await writeTextFileAtomic(`${out}/scaling.md`, md);
  console.log(md);
  return 0;
}

if (import.meta.main) await runCli("scaling", main);
