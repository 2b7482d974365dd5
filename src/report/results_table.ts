/**
 * The report's table of every result: one row per record with its state (and error or reason),
 * parameters, metrics and environment label; the environment table beside it describes each
 * label. Header cells of metrics show the unit and better direction when the metric's column
 * definition is known.
 *
 * @module
 */
import { formatParam } from "../core/case_id.ts";
import type { MetricColumn } from "../metrics/metric.ts";
import type { ResultRecord } from "../runner/result.ts";
import { esc, num } from "./_html.ts";
import { describeEnvironment, type EnvironmentIndex } from "./environment_index.ts";

/**
 * The metric names present in completed records, in the order of `columns` (the metric
 * definitions' columns), then the rest sorted.
 */
export function metricOrder(
  records: readonly ResultRecord[],
  columns: readonly MetricColumn[] = [],
): string[] {
  const names = new Set(
    records.flatMap((r) => (r.state === "completed" ? Object.keys(r.metrics) : [])),
  );
  const known = columns.map((c) => c.name).filter((c) => names.has(c));
  return [...known, ...[...names].filter((n) => !known.includes(n)).sort()];
}

function arrow(c: MetricColumn | undefined): string {
  if (!c) return "";
  return c.better === "smaller" ? " ↓" : c.better === "larger" ? " ↑" : "";
}

/**
 * Renders every record as an HTML table (class `results sortable`).
 *
 * @param records result records in display order.
 * @param options the environment index and, optionally, the metric columns (unit, direction).
 * @returns the table's HTML.
 */
export function resultsTable(
  records: readonly ResultRecord[],
  options: { environments: EnvironmentIndex; columns?: readonly MetricColumn[] },
): string {
  const metrics = metricOrder(records, options.columns);
  const colOf = new Map((options.columns ?? []).map((c) => [c.name, c]));
  const head = [
    "case",
    "state",
    "model",
    "procedure",
    "parameters",
    "rep",
    ...metrics.map((m) => {
      const c = colOf.get(m);
      return `${m}${c?.unit ? ` (${c.unit})` : ""}${arrow(c)}`;
    }),
    "wall s",
    "env",
  ];
  const rows = records.map((r) => {
    const m = r.state === "completed" ? r.metrics : {};
    const params = Object.keys(r.params)
      .filter((k) => k !== "procedure")
      .sort()
      .map((k) => `${k}=${formatParam(r.params[k])}`)
      .join(", ");
    const note = r.state === "completed" ? "" : r.state === "errored" ? r.error : r.reason;
    const wall = (Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000;
    const envLabel = options.environments.labelOf(r);
    const cells = [
      `<td><code>${esc(r.id)}</code></td>`,
      `<td class="state ${esc(r.state)}"${note ? ` title="${esc(note)}"` : ""}>${esc(r.state)}${
        note
          ? `<div class="note">${esc(note.length > 160 ? `${note.slice(0, 157)}…` : note)}</div>`
          : ""
      }</td>`,
      `<td>${esc(r.model)}</td>`,
      `<td>${esc(r.procedure)}</td>`,
      `<td>${esc(params)}</td>`,
      `<td class="n" data-v="${r.repetition}">${r.repetition}</td>`,
      ...metrics.map((k) => {
        const v = m[k] as number | null | undefined;
        return v === undefined
          ? `<td class="n"></td>`
          : `<td class="n" data-v="${v ?? "NaN"}" title="${esc(String(v))}">${num(v)}</td>`;
      }),
      `<td class="n" data-v="${wall}">${num(wall, 3)}</td>`,
      `<td title="${esc(r.environment ? describeEnvironment(r.environment) : "unknown")}">${
        esc(`${r.environment?.backend?.name ?? "?"} · ${envLabel}`)
      }</td>`,
    ];
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<div class="scroll"><table class="results sortable"><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/**
 * Renders the environment table: label, number of results, description.
 *
 * @param environments the index built from the same records.
 * @returns the table's HTML.
 */
export function environmentsTable(environments: EnvironmentIndex): string {
  const rows = environments.entries.map((e) => {
    const env = e.environment;
    const b = env.backend;
    return `<tr id="env-${e.label}"><td>${e.label}</td><td class="n">${e.count}</td><td>${
      esc(b?.name ?? "?")
    }</td><td>${esc(b?.reason ?? "")}</td><td>${
      esc(
        b?.adapter
          ? `${b.adapter.description || b.adapter.vendor}${
            b.adapter.isFallbackAdapter ? " (software fallback)" : ""
          }`
          : "none",
      )
    }</td><td>${
      esc(`Deno ${env.deno}, V8 ${env.v8}, TS ${env.typescript}, tfjs ${env.tfjs}`)
    }</td><td>${esc(`${env.os} ${env.arch}, ${env.cpus} CPUs`)}</td><td><code>${
      esc(env.gitCommit ?? "unknown")
    }</code></td></tr>`;
  });
  return `<div class="scroll"><table class="envs"><thead><tr><th>env</th><th>results</th><th>backend</th><th>why</th><th>adapter</th><th>versions</th><th>machine</th><th>commit</th></tr></thead><tbody>${
    rows.join("")
  }</tbody></table></div>`;
}
