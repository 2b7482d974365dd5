/**
 * `deno task scaling`: runs one suite with several `--jobs` values and records the wall time and
 * throughput of each, to measure how the worker pool scales on this machine. Writes
 * `scaling.json` and `scaling.md`, plus each run's results under `jobs-N/`.
 *
 * @module
 */
import { BACKEND_REQUESTS, type BackendRequest, chooseBackend } from "../src/backend/backend.ts";
import { createRegistries } from "../src/registry.ts";
import { gitCommit } from "../src/runner/environment.ts";
import { writeOutputs } from "../src/runner/output.ts";
import { writeTextFileAtomic } from "../src/runner/atomic_write.ts";
import { runSuite } from "../src/runner/run_suite.ts";
import { type Scale, SCALES } from "../src/runner/suite.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { CliError, formatDuration, parseCli, runCli } from "./_cli.ts";

const HELP =
  `Usage: deno task scaling [--suite nbody] [--scale smoke] [--jobs 1,2] [--backend auto] [--out DIR]

Runs the suite once per jobs value and records wall time and cases per minute.`;

async function main(): Promise<number> {
  const suites = createSuiteRegistry();
  const { values: a } = parseCli(Deno.args, {
    suite: { type: "string", default: "nbody" },
    scale: { type: "string", default: "smoke" },
    jobs: { type: "string", default: "1,2" },
    backend: { type: "string", default: "auto" },
    filter: { type: "string" },
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
  if (suite.exclusive) {
    throw new CliError(`--suite: ${suite.id} runs one case at a time; pick an accuracy suite`);
  }
  const stamp = new Date().toISOString().replace(/[:T]/g, "-").replace(/\..*/, "");
  const out = (a.out as string | undefined) ?? `results/scaling-${suite.id}-${a.scale}-${stamp}`;
  for (const jobs of jobsList) {
    const held = await Deno.stat(`${out}/jobs-${jobs}/results.jsonl`).catch(() => null);
    if (held && held.size > 0) {
      throw new CliError(
        `--out: "${out}/jobs-${jobs}" already holds results (results.jsonl); choose another --out`,
      );
    }
  }
  await Deno.mkdir(out, { recursive: true }).catch((e) => {
    throw new CliError(`--out: cannot write to "${out}": ${e.message}`);
  });
  const backend = await chooseBackend(a.backend as BackendRequest);
  const commit = await gitCommit();
  const registries = createRegistries();
  const runs = [];
  for (const jobs of jobsList) {
    console.error(`scaling: ${suite.id} (${a.scale}) with --jobs ${jobs} on ${backend.name} …`);
    const t0 = performance.now();
    const run = await runSuite(suite, {
      scale: a.scale as Scale,
      filter: a.filter as string | undefined,
      jobs,
      backend,
      registries,
      gitCommit: commit,
    });
    const wallS = (performance.now() - t0) / 1000;
    const completed = run.records.filter((r) => r.state === "completed").length;
    await Deno.mkdir(`${out}/jobs-${jobs}`, { recursive: true });
    await writeOutputs(
      `${out}/jobs-${jobs}`,
      run.records,
      `${suite.id} (${a.scale}), --jobs ${jobs}`,
    );
    runs.push({
      jobs,
      cases: run.records.length,
      completed,
      wallS,
      casesPerMinute: (60 * run.records.length) / wallS,
    });
    console.error(
      `scaling: --jobs ${jobs}: ${run.records.length} cases in ${formatDuration(wallS * 1000)}`,
    );
  }
  const base = runs[0];
  const result = {
    suite: suite.id,
    scale: a.scale,
    backend,
    cpus: navigator.hardwareConcurrency,
    gitCommit: commit,
    date: new Date().toISOString(),
    runs: runs.map((r) => ({ ...r, speedup: base.wallS / r.wallS })),
  };
  await writeTextFileAtomic(`${out}/scaling.json`, JSON.stringify(result, null, 2) + "\n");
  const md = [
    `## Worker scaling: ${suite.id} (${a.scale}) on ${backend.name}, ${navigator.hardwareConcurrency} CPUs`,
    "",
    "| jobs | cases | completed | wall s | cases/min | speed-up |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...result.runs.map((r) =>
      `| ${r.jobs} | ${r.cases} | ${r.completed} | ${r.wallS.toFixed(1)} | ${
        r.casesPerMinute.toFixed(1)
      } | ${r.speedup.toFixed(2)} |`
    ),
  ].join("\n") + "\n";
  await writeTextFileAtomic(`${out}/scaling.md`, md);
  console.log(md);
  return 0;
}

if (import.meta.main) await runCli("scaling", main);
