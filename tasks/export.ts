/**
 * `deno task export DIR [--out FILE]`: writes the results in github-action-benchmark's custom
 * JSON format. Metrics whose column says smaller is better go to FILE (`customSmallerIsBetter`,
 * default `DIR/benchmark-smaller.json`); metrics where larger is better, if any, to the same
 * name with `-smaller` replaced by `-bigger` (or `.bigger` inserted before `.json`) for
 * `customBiggerIsBetter`.
 *
 * @module
 */
import { githubBenchmarkEntries } from "../src/report/github_benchmark.ts";
import { readResults } from "../src/runner/results_file.ts";
import { writeTextFileAtomic } from "../src/runner/atomic_write.ts";
import { metricColumns } from "../src/runner/columns.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task export DIR [--out FILE]

Writes the results of DIR for github-action-benchmark: FILE (default DIR/benchmark-smaller.json)
holds the smaller-is-better metrics (tool: customSmallerIsBetter); bigger-is-better metrics, when
there are any, go beside it as *-bigger.json (tool: customBiggerIsBetter). Prints the paths.

Options:
  --out FILE   smaller-is-better output file
  -h, --help   this text
`;

/** The bigger-is-better file beside a smaller-is-better one. */
export function biggerPath(smallerPath: string): string {
  if (/-smaller\.json$/.test(smallerPath)) {
    return smallerPath.replace(/-smaller\.json$/, "-bigger.json");
  }
  return smallerPath.replace(/(\.json)?$/, ".bigger.json");
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      `expected one results folder, got ${positionals.length}; usage: deno task export DIR [--out FILE]`,
    );
  }
  const dir = positionals[0];
  let records;
  try {
    records = await readResults(dir, { onWarning: (m) => console.error(`export: warning: ${m}`) });
  } catch (e) {
    throw new CliError(`cannot read ${dir}/results.jsonl: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new CliError(`"${dir}" has no results (results.jsonl)`);
  const { smaller, bigger, skipped } = githubBenchmarkEntries(records, metricColumns());
  const out = (values.out as string | undefined) ?? `${dir}/benchmark-smaller.json`;
  const write = async (path: string, data: unknown) => {
    try {
      await writeTextFileAtomic(path, JSON.stringify(data, null, 2) + "\n");
    } catch (e) {
      throw new CliError(`--out: cannot write "${path}": ${(e as Error).message}`);
    }
    console.log(path);
  };
  await write(out, smaller);
  if (bigger.length) await write(biggerPath(out), bigger);
  console.error(
    `export: ${smaller.length} smaller-is-better and ${bigger.length} bigger-is-better entries` +
      (skipped.length ? `; left out: ${skipped.join("; ")}` : ""),
  );
  return 0;
}

if (import.meta.main) await runCli("export", main);
