/**
 * The report of a results folder: reads its `results.jsonl` and writes `report.html` beside it.
 * The command line (`deno task report`), `deno task bench` and `deno task merge` all write it
 * through {@linkcode reportFolder}.
 *
 * @module
 */
import type { MetricColumn } from "../metrics/metric.ts";
import { readResults } from "../runner/results_file.ts";
import type { ResultRecord } from "../runner/result.ts";
import type { PaperReference } from "../runner/suite.ts";
import { writeReport } from "./report.ts";

/**
 * A title for records: `suite (scale)` for each suite and scale present.
 *
 * @example
 * ```ts
 * import { resultsTitle } from "./report_folder.ts";
 * console.log(resultsTitle([])); // remul-bench: no results
 * ```
 */
export function resultsTitle(records: readonly ResultRecord[]): string {
  const parts = [...new Set(records.map((r) => `${r.suite} (${r.scale})`))];
  return `remul-bench: ${parts.join(", ") || "no results"}`;
}

/** Options of {@linkcode reportFolder}. */
export interface ReportFolderOptions {
  /** Metric columns (units, better directions) of the registered metrics. */
  readonly columns: readonly MetricColumn[];
  /** Where to write (default `DIR/report.html`). */
  readonly out?: string;
  /** Page title (default {@linkcode resultsTitle} of the records). */
  readonly title?: string;
  /** Published numbers to show beside the results. */
  readonly reference?: PaperReference;
}

/**
 * Writes the report of a results folder.
 *
 * @param dir a results folder with `results.jsonl`.
 * @param options metric columns, output file, title and published numbers.
 * @returns the path written.
 * @throws Error when the folder's results cannot be read or the file cannot be written.
 */
export async function reportFolder(dir: string, options: ReportFolderOptions): Promise<string> {
  const records = await readResults(dir, { onWarning: () => {} }); // writeReport warns
  return await writeReport(dir, {
    out: options.out,
    title: options.title ?? resultsTitle(records),
    reference: options.reference,
    columns: options.columns,
  });
}
