/**
 * `deno task columns [--write]`: prints the table of the columns of `results.csv` (name, unit,
 * better direction, whether it may be NaN, where it comes from, meaning), derived from the metric
 * definitions; `--write` replaces the table in README.md between its `columns` markers.
 *
 * @module
 */
import { columnsMarkdown } from "../src/runner/columns.ts";
import { writeTextFileAtomic } from "../src/runner/atomic_write.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

/** The markers around the generated table in README.md. */
export const README_MARKERS = ["<!-- columns:start -->", "<!-- columns:end -->"] as const;

/**
 * The README text with the table between the markers replaced.
 *
 * @throws Error when the markers are missing or out of order.
 */
export function withColumnsTable(readme: string, table: string): string {
  const [open, close] = README_MARKERS;
  const a = readme.indexOf(open);
  const b = readme.indexOf(close);
  if (a < 0 || b < a) {
    throw new Error(`README.md needs the markers ${open} and ${close}, in that order`);
  }
  return `${readme.slice(0, a + open.length)}\n\n${table}\n${readme.slice(b)}`;
}

const HELP = `Usage: deno task columns [--write]

Prints the columns of results.csv as a Markdown table, from the metric definitions.

Options:
  --write      replace the table in README.md (between ${README_MARKERS.join(" and ")})
  -h, --help   this text
`;

async function main(): Promise<number> {
  const { values } = parseCli(Deno.args, {
    write: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const table = columnsMarkdown();
  if (!values.write) {
    console.log(table);
    return 0;
  }
  const path = new URL("../README.md", import.meta.url).pathname;
  let text: string;
  try {
    text = withColumnsTable(await Deno.readTextFile(path), table);
  } catch (e) {
    throw new CliError(`cannot update README.md: ${(e as Error).message}`);
  }
  await writeTextFileAtomic(path, text);
  console.error(
    `columns: README.md's table rewritten (${table.trim().split("\n").length - 2} columns); ` +
      `run deno fmt README.md to align it`,
  );
  return 0;
}

if (import.meta.main) await runCli("columns", main);
