/**
 * `deno task report DIR [--out FILE] [--title TEXT]`: writes `DIR/report.html`, a self-contained
 * HTML report of a results folder (plots, tables, environments). The suite's published reference
 * numbers are looked up by the records' suite id; metric units and directions come from the
 * metric registry. `deno task bench` calls {@linkcode reportFolder} at the end of every run.
 *
 * @module
 */
import type { MetricColumn } from "../src/metrics/metric.ts";
import { createRegistries } from "../src/registry.ts";
import { readResults } from "../src/runner/results_file.ts";
import type { ResultRecord } from "../src/runner/result.ts";
import type { PaperReference } from "../src/runner/suite.ts";
import { writeReport } from "../src/report/report.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task report DIR [options]

Writes DIR/report.html: error and equivariance against β, time against batch size, loss surfaces,
group-sample ablation, published numbers beside ours, and every result with its environment.
The file is self-contained (no network needed to view it).

Options:
  --out FILE     where to write (default: DIR/report.html)
  --title TEXT   page title (default: the suite and scale of the results)
  -h, --help     this text
`;

/** Every metric column of the registered metrics (units and better directions). */
export function metricColumns(): MetricColumn[] {
  return createRegistries().metrics.list().flatMap((m) => [...m.columns]);
}

/** The registered suite's published numbers for records of one suite, if it has any. */
export function suiteReference(records: readonly ResultRecord[]): PaperReference | undefined {
  const ids = [...new Set(records.map((r) => r.suite))];
  const suites = createSuiteRegistry();
  return ids.length === 1 && suites.has(ids[0]) ? suites.get(ids[0]).reference : undefined;
}

/** A title for records: `suite (scale)` for each suite and scale present. */
export function resultsTitle(records: readonly ResultRecord[]): string {
  const parts = [...new Set(records.map((r) => `${r.suite} (${r.scale})`))];
  return `remul-bench: ${parts.join(", ") || "no results"}`;
}

/**
 * Writes the report of a results folder, looking the suite's reference up in the registry.
 *
 * @param dir a results folder with `results.jsonl`.
 * @param options output file and title.
 * @returns the path written.
 * @throws Error when the folder's results cannot be read or the file cannot be written.
 */
export async function reportFolder(
  dir: string,
  options: { out?: string; title?: string } = {},
): Promise<string> {
  const records = await readResults(dir, { onWarning: () => {} }); // writeReport warns
  return await writeReport(dir, {
    out: options.out,
    title: options.title ?? resultsTitle(records),
    reference: suiteReference(records),
    columns: metricColumns(),
  });
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    out: { type: "string" },
    title: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      `expected one results folder, got ${positionals.length}; usage: deno task report DIR`,
    );
  }
  const dir = positionals[0];
  const st = await Deno.stat(`${dir}/results.jsonl`).catch(() => null);
  if (!st?.isFile) throw new CliError(`"${dir}" has no results.jsonl; is it a results folder?`);
  let path: string;
  try {
    path = await reportFolder(dir, {
      out: values.out as string | undefined,
      title: values.title as string | undefined,
    });
  } catch (e) {
    throw new CliError(`cannot write the report of "${dir}": ${(e as Error).message}`);
  }
  console.log(path);
  return 0;
}

if (import.meta.main) await runCli("report", main);
