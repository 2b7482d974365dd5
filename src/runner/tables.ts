/**
 * How results read as tables: the flat CSV row of a record, the Markdown summary, the ratio
 * tables and the names of artifact files. Pure formatting of the columns it is given
 * (`columns.ts` derives them from the metric definitions); `output.ts` writes the files.
 *
 * @module
 */
import { stringify } from "npm:csv-stringify@6.6.0/sync";
import type { MetricColumn } from "../metrics/metric.ts";
import type { ResultColumn } from "./columns.ts";
import type { ResultRecord, Table } from "./result.ts";
import { computeRatios } from "./ratios.ts";
import type { RatioSpec } from "./suite.ts";

/**
 * One flat CSV row per record.
 *
 * @param r the record.
 * @param columns the CSV's columns (`resultColumns()` of `columns.ts`).
 */
export function csvRow(
  r: ResultRecord,
  columns: readonly ResultColumn[],
): Record<string, string | number> {
  const m = r.state === "completed" ? r.metrics : {};
  const row: Record<string, string | number> = {};
  for (const c of columns) row[c.name] = c.value ? c.value(r) : m[c.name] ?? "";
  return row;
}

/**
 * The CSV text of the records.
 *
 * @param records the records, one row each.
 * @param columns the CSV's columns (`resultColumns()` of `columns.ts`).
 */
export function toCsv(records: readonly ResultRecord[], columns: readonly ResultColumn[]): string {
  return stringify(records.map((r) => csvRow(r, columns)), {
    header: true,
    columns: columns.map((c) => c.name),
  });
}

/** Formats a number for tables: 4 significant digits, exponent when tiny or huge. */
export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(4).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** A Markdown table of the suite's ratios (e.g. GATr / Transformer per batch size). */
export function ratiosMarkdown(records: readonly ResultRecord[], spec: RatioSpec): string {
  const rows = computeRatios(records, spec);
  if (rows.length === 0) return "";
  const head = [spec.by, ...spec.metrics.map((m) => `${spec.numerator}/${spec.denominator} ${m}`)];
  const lines = [
    `### Ratios ${spec.numerator} / ${spec.denominator}`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---:").join(" | ")} |`,
  ];
  for (const r of rows) {
    const cells = spec.metrics.map((m) => {
      const v = r.values[m];
      return v ? `${fmt(v.ratio)} (${fmt(v.numerator)} / ${fmt(v.denominator)})` : "–";
    });
    lines.push(`| ${[r.key, ...cells].join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

/** The ratio rows as CSV: key, then numerator, denominator and ratio per metric. */
export function ratiosCsv(records: readonly ResultRecord[], spec: RatioSpec): string {
  const columns = [spec.by];
  for (const m of spec.metrics) {
    columns.push(`${spec.numerator}_${m}`, `${spec.denominator}_${m}`, `ratio_${m}`);
  }
  const rows = computeRatios(records, spec).map((r): (string | number)[] => [
    r.key,
    ...spec.metrics.flatMap((m): (string | number)[] => {
      const v = r.values[m];
      return v ? [v.numerator, v.denominator, v.ratio] : ["", "", ""];
    }),
  ]);
  return stringify(rows, { header: true, columns });
}

/**
 * The values of a record's first `count` summary columns (those with a `summary` header that it
 * has), as `header value` pairs: the few numbers worth a progress line.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./tables.ts";
 * const columns = [
 *   { name: "mse_test", better: "smaller", unit: "", description: "", summary: "MSE test" },
 *   { name: "n_params", better: "neither", unit: "", description: "", summary: "params", integer: true },
 * ] as const;
 * console.log(summaryLine({ mse_test: 0.0123, n_params: 2339 }, columns)); // MSE test 0.0123 · params 2339
 * ```
 */
export function summaryLine(
  metrics: Readonly<Record<string, number>>,
  columns: readonly MetricColumn[],
  count = 4,
): string {
  return columns
    .filter((c) => c.summary !== undefined && metrics[c.name] !== undefined)
    .slice(0, count)
    .map((c) => `${c.summary} ${formatValue(metrics[c.name], c)}`)
    .join(" · ");
}

/** A value as its column prints it: a count in full, anything else with {@linkcode fmt}. */
function formatValue(v: number | undefined, c: MetricColumn): string {
  return c.integer && v !== undefined && Number.isFinite(v) ? String(v) : fmt(v);
}

/** Options of {@linkcode summaryMarkdown}. */
export interface SummaryOptions {
  /** The metric columns; those with a `summary` header are shown, in this order. */
  readonly columns: readonly MetricColumn[];
  /** Heading (default `Results`). */
  readonly title?: string;
  /** The suite's ratios, tabled after the results. */
  readonly ratios?: RatioSpec;
}

/**
 * A Markdown results table: one row per record, the metric columns that declare a `summary`
 * header (and the ratios, when the suite defines them).
 */
export function summaryMarkdown(records: readonly ResultRecord[], options: SummaryOptions): string {
  const shown = options.columns.filter((c) => c.summary !== undefined);
  const head = ["case", "state", ...shown.map((c) => c.summary!)];
  const lines = [
    `## ${options.title ?? "Results"}`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const r of records) {
    const m = r.state === "completed" ? r.metrics : {};
    const note = r.state === "completed"
      ? "completed"
      : `${r.state}: ${r.state === "errored" ? r.error : r.reason}`;
    const cells = shown.map((c) => formatValue(m[c.name], c));
    lines.push(
      `| ${[`\`${r.id}\``, note.replaceAll("|", "\\|").slice(0, 120), ...cells].join(" | ")} |`,
    );
  }
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const env = records[0]?.environment;
  lines.push("");
  lines.push(`States: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ") || "none"}.`);
  if (env) {
    lines.push(
      `Backend: ${env.backend.name} (${env.backend.reason}); Deno ${env.deno}, V8 ${env.v8}, tfjs ${env.tfjs}; commit ${
        env.gitCommit ?? "unknown"
      }.`,
    );
  }
  const ratioText = options.ratios ? ratiosMarkdown(records, options.ratios) : "";
  return lines.join("\n") + "\n" + (ratioText ? `\n${ratioText}` : "");
}

/** File name of an artifact table: `<name>_<case id with unsafe characters replaced>.csv`. */
export function artifactFileName(name: string, id: string): string {
  return `${name}_${id.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/_+$/, "")}.csv`;
}

/** The CSV text of an artifact table. */
export function artifactCsv(table: Table): string {
  return stringify(table.rows.map((row) => [...row]), {
    header: true,
    columns: [...table.columns],
  });
}
