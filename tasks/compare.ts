/**
 * `deno task compare BASELINE.json DIR [--filter F] [--changes-only]`: the regression check.
 * Prints a Markdown table (better / worse / unchanged / missing per case and metric) and exits 1
 * when any case regressed or a baseline case is missing from the results, 0 when none did, 2 on
 * bad input. `--filter` narrows the baseline explicitly to the cases to check. Metric directions
 * come from the metric registry's columns (`MetricColumn.better`); thresholds from the baseline
 * file.
 *
 * @module
 */
import { checkAgainstBaseline, loadBaseline } from "../src/report/baseline_check.ts";
import { metricColumns } from "../src/runner/columns.ts";
import { readResults } from "../src/runner/results_file.ts";
import { caseFilter } from "../src/runner/suite.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task compare BASELINE.json DIR [options]

Compares the results in DIR with a baseline (made by deno task baseline). A metric fails when it
is worse than the baseline beyond its threshold and beyond the noise measured over repetitions;
a case that errors now but completed in the baseline fails, and so does a baseline case that is
missing from DIR or did not complete there (to check only some cases, narrow the baseline with
--filter). Exit code 1 on any regression, 2 on bad input.

Options:
  --filter F       check only the baseline cases whose key matches F: /regex/ or
                   comma-separated substrings (as deno task bench --filter)
  --changes-only   leave unchanged rows out of the table
  -h, --help       this text
`;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    filter: { type: "string" },
    "changes-only": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new CliError(
      `expected a baseline file and a results folder, got ${positionals.length} arguments; usage: deno task compare BASELINE.json DIR`,
    );
  }
  const [path, dir] = positionals;
  let baseline;
  try {
    baseline = await loadBaseline(path);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const filter = values.filter as string | undefined;
  let select: (key: string) => boolean;
  try {
    select = caseFilter(filter);
  } catch (e) {
    throw new CliError(`--filter: invalid regular expression: ${(e as Error).message}`);
  }
  const keys = Object.keys(baseline.cases);
  if (keys.length === 0) throw new CliError(`baseline "${path}" has no cases to check`);
  if (!keys.some(select)) {
    throw new CliError(
      `--filter: "${filter}" matches none of the ${keys.length} cases of baseline "${path}"`,
    );
  }
  let records;
  try {
    records = await readResults(dir, { onWarning: (m) => console.error(`compare: warning: ${m}`) });
  } catch (e) {
    throw new CliError(`cannot read ${dir}/results.jsonl: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new CliError(`"${dir}" has no results (results.jsonl)`);
  const { comparison, markdown } = checkAgainstBaseline(baseline, path, records, {
    columns: metricColumns(),
    changesOnly: values["changes-only"] as boolean,
    select: filter ? select : undefined,
    selectedBy: filter ? `--filter ${filter}` : undefined,
  });
  console.log(markdown);
  return comparison.regressions > 0 ? 1 : 0;
}

if (import.meta.main) await runCli("compare", main);
