/**
 * The regression check as one call: read a baseline file, compare records with it and render the
 * Markdown. `deno task compare` and `deno task bench --baseline` both use it.
 *
 * @module
 */
import type { MetricColumn } from "../metrics/metric.ts";
import type { ResultRecord } from "../runner/result.ts";
import { type Baseline, parseBaseline } from "./baseline.ts";
import { compareToBaseline, type Comparison, comparisonMarkdown } from "./compare.ts";

/**
 * Reads and checks a baseline file.
 *
 * @throws Error naming the file when it cannot be read or is not a baseline.
 */
export async function loadBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`cannot read baseline "${path}": ${(e as Error).message}`);
  }
  return parseBaseline(text, path);
}

/** Options of {@linkcode checkAgainstBaseline}. */
export interface BaselineCheckOptions {
  /** Metric columns of the registered metrics (their better directions). */
  readonly columns: readonly MetricColumn[];
  /** Leave unchanged rows out of the table. */
  readonly changesOnly?: boolean;
  /** Narrows the baseline to the case keys it accepts. */
  readonly select?: (key: string) => boolean;
  /** How `select` was made, for the notes (e.g. `--filter gnn`). */
  readonly selectedBy?: string;
}

/**
 * Compares records with a baseline and renders the Markdown.
 *
 * @param baseline the baseline, from {@linkcode loadBaseline}.
 * @param baselinePath its path, for the title.
 * @param records the results to check.
 * @param options metric columns, and how to narrow and render.
 * @returns the comparison and its Markdown.
 */
export function checkAgainstBaseline(
  baseline: Baseline,
  baselinePath: string,
  records: readonly ResultRecord[],
  options: BaselineCheckOptions,
): { comparison: Comparison; markdown: string } {
  const comparison = compareToBaseline(baseline, records, {
    columns: options.columns,
    select: options.select,
    selectedBy: options.selectedBy,
  });
  const markdown = comparisonMarkdown(comparison, {
    title: `Regression check against ${baselinePath}`,
    changesOnly: options.changesOnly,
  });
  return { comparison, markdown };
}
