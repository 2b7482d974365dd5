/**
 * `deno task report DIR [--out FILE] [--title TEXT]`: writes `DIR/report.html`, a self-contained
 * HTML report of a results folder (plots, tables, environments). The suite's published reference
 * numbers are looked up by the records' suite id; metric units and directions come from the
 * metric registry. `deno task bench` writes the same report at the end of every run.
 *
 * @module
 */
import { metricColumns } from "../src/runner/columns.ts";
import { readResults } from "../src/runner/results_file.ts";
import type { ResultRecord } from "../src/runner/result.ts";
import type { PaperReference } from "../src/runner/suite.ts";
import { reportFolder } from "../src/report/report_folder.ts";
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

/** The registered suite's published numbers for records of one suite, if it has any. */
function suiteReference(records: readonly ResultRecord[]): PaperReference | undefined {
  const ids = [...new Set(records.map((r) => r.suite))];
  const suites = createSuiteRegistry();
  return ids.length === 1 && suites.has(ids[0]) ? suites.get(ids[0]).reference : undefined;
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
    const records = await readResults(dir, { onWarning: () => {} }); // the report warns
    path = await reportFolder(dir, {
      out: values.out as string | undefined,
      title: values.title as string | undefined,
      reference: suiteReference(records),
      columns: metricColumns(),
    });
  } catch (e) {
    throw new CliError(`cannot write the report of "${dir}": ${(e as Error).message}`);
  }
  console.log(path);
  return 0;
}

if (import.meta.main) await runCli("report", main);
