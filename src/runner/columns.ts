/**
 * The columns of results, derived from the metric definitions: the case's identity, then every
 * metric column of the registered metrics (name, unit, better direction, whether it may be NaN),
 * then the record's state details and environment. The results CSV header, `summary.md`, the
 * report's tables, the regression check and the README's column table all come from here.
 *
 * @module
 */
import type { MetricColumn } from "../metrics/metric.ts";
import { createRegistries, type Registries } from "../registry.ts";
import type { ResultRecord } from "./result.ts";

/** A column of `results.csv`. */
export interface ResultColumn extends MetricColumn {
  /** Where the value comes from: the case, a metric (its id), or the record. */
  readonly source: "case" | "record" | `metric ${string}`;
  /** The value of a case or record column (metric columns read `metrics[name]`). */
  readonly value?: (r: ResultRecord) => string | number;
}

const info = (
  name: string,
  description: string,
  value: (r: ResultRecord) => string | number,
  source: "case" | "record",
): ResultColumn => ({ name, better: "neither", unit: "", description, source, value });

/** The case's identity, first in every row. */
export const CASE_COLUMNS: readonly ResultColumn[] = [
  info("id", "case id, `model[k=v,…]` with sorted keys", (r) => r.id, "case"),
  info("suite", "suite id", (r) => r.suite, "case"),
  info("dataset", "data set id", (r) => r.dataset, "case"),
  info("model", "model id", (r) => r.model, "case"),
  info("procedure", "training procedure id", (r) => r.procedure, "case"),
  info(
    "beta",
    "β of the grid point (empty when not swept)",
    (r) => r.params.beta !== undefined ? String(r.params.beta) : "",
    "case",
  ),
  info("repetition", "repetition index, from 0", (r) => r.repetition, "case"),
  info("scale", "smoke, small or paper", (r) => r.scale, "case"),
  info("state", "completed, errored, skipped or aborted", (r) => r.state, "case"),
];

/** The record's failure details and environment, last in every row. */
export const RECORD_COLUMNS: readonly ResultColumn[] = [
  info(
    "failure",
    "kind of failure of an errored case (out-of-memory, device-lost, timeout, non-finite, " +
      "worker-died, exception)",
    (r) => r.state === "errored" ? r.failure : "",
    "record",
  ),
  info("backend", "tfjs backend the case ran on", (r) => r.environment.backend.name, "record"),
  info("seed", "the case's derived seed", (r) => r.seeds.case, "record"),
  info("started_at", "start time (ISO 8601)", (r) => r.startedAt, "record"),
  info("ended_at", "end time (ISO 8601)", (r) => r.endedAt, "record"),
  info(
    "error",
    "why the case errored, was skipped or aborted",
    (r) => r.state === "errored" ? r.error : r.state === "completed" ? "" : r.reason,
    "record",
  ),
];

/**
 * Every metric column of the registered metrics, in registration order (`src/registry.ts`).
 *
 * @param registries where the metrics are registered (default: the built-in ones).
 * @throws Error when two metrics declare a column of the same name.
 */
export function metricColumns(registries: Registries = createRegistries()): MetricColumn[] {
  const columns = registries.metrics.inOrder().flatMap((m) => [...m.columns]);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new Error(`two metrics declare the column "${c.name}"`);
    seen.add(c.name);
  }
  return columns;
}

/**
 * The columns of `results.csv`, in order: case, metrics, record.
 *
 * @param registries where the metrics are registered (default: the built-in ones).
 */
export function resultColumns(registries: Registries = createRegistries()): ResultColumn[] {
  const metrics = registries.metrics.inOrder().flatMap((m) =>
    m.columns.map((c): ResultColumn => ({ ...c, source: `metric ${m.id}` }))
  );
  metricColumns(registries); // duplicate names throw
  return [...CASE_COLUMNS, ...metrics, ...RECORD_COLUMNS];
}

/**
 * The README's table of the columns of `results.csv`: name, unit, better, may be NaN, source
 * and description.
 *
 * @example
 * ```ts
 * import { columnsMarkdown } from "./columns.ts";
 * console.log(columnsMarkdown().split("\n")[0]); // | column | unit | better | NaN | from | meaning |
 * ```
 */
export function columnsMarkdown(registries: Registries = createRegistries()): string {
  const lines = [
    "| column | unit | better | NaN | from | meaning |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const c of resultColumns(registries)) {
    const better = c.better === "neither" ? "" : c.better;
    lines.push(
      `| \`${c.name}\` | ${c.unit} | ${better} | ${c.mayBeNaN ? "may be" : ""} | ${c.source} | ${
        c.description.replaceAll("|", "\\|")
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}
