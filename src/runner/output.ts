/**
 * Result files: `results.jsonl` (one record per line, appended as experiments finish, so an
 * interrupted run keeps every completed result; read and written only through
 * `results_file.ts`), `results.csv` (one flat row per experiment) and `summary.md` (a Markdown
 * table). Every file is replaced atomically.
 *
 * @module
 */
import { stringify } from "npm:csv-stringify@6.6.0/sync";
import type { ResultRecord } from "./result.ts";
import { computeRatios } from "./ratios.ts";
import { writeTextFileAtomic } from "./atomic_write.ts";
import { writeResultsFile } from "./results_file.ts";
import type { RatioSpec } from "./suite.ts";

export { appendResult, readResults } from "./results_file.ts";

/** CSV columns, in order: identity, state, then metrics, then environment. */
export const CSV_COLUMNS: readonly string[] = [
  "id",
  "suite",
  "dataset",
  "model",
  "procedure",
  "beta",
  "repetition",
  "scale",
  "state",
  "mse_val",
  "mse_test",
  "mse_ood",
  "equi_e",
  "equi_e_prime",
  "equi_e_prime_rel",
  "train_step_ms",
  "train_step_iqr_ms",
  "cold_start_ms",
  "train_sync_every",
  "train_time_s",
  "infer_ms",
  "infer_iqr_ms",
  "n_params",
  "final_loss",
  "final_alpha",
  "final_beta",
  "failure",
  "train_step_mean_ms",
  "train_step_std_ms",
  "infer_mean_ms",
  "infer_std_ms",
  "forward_gflop",
  "forward_gflops",
  "est_memory_mb",
  "surface_center",
  "surface_mean",
  "surface_max",
  "backend",
  "seed",
  "started_at",
  "ended_at",
  "error",
]; // deno-fmt-ignore

/** One flat CSV row per record. */
export function csvRow(r: ResultRecord): Record<string, string | number> {
  const m = r.state === "completed" ? r.metrics : {};
  const row: Record<string, string | number> = {
    id: r.id,
    suite: r.suite,
    dataset: r.dataset,
    model: r.model,
    procedure: r.procedure,
    beta: r.params.beta !== undefined ? String(r.params.beta) : "",
    repetition: r.repetition,
    scale: r.scale,
    state: r.state,
    backend: r.environment.backend.name,
    seed: r.seeds.case,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    error: r.state === "errored" ? r.error : r.state === "completed" ? "" : r.reason,
    failure: r.state === "errored" ? r.failure : "",
  };
  for (const c of CSV_COLUMNS) if (!(c in row)) row[c] = m[c] ?? "";
  return row;
}

/** The CSV text of the records. */
export function toCsv(records: readonly ResultRecord[]): string {
  return stringify(records.map(csvRow), { header: true, columns: [...CSV_COLUMNS] });
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

/** A Markdown results table: one row per record (and the ratios, when the suite defines them). */
export function summaryMarkdown(
  records: readonly ResultRecord[],
  title = "Results",
  ratios?: RatioSpec,
): string {
  const head = [
    "case",
    "state",
    "MSE test",
    "MSE OOD",
    "E",
    "E'",
    "step ms",
    "infer ms",
    "params",
  ]; // deno-fmt-ignore
  const lines = [
    `## ${title}`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const r of records) {
    const m = r.state === "completed" ? r.metrics : {};
    const note = r.state === "completed"
      ? "completed"
      : `${r.state}: ${r.state === "errored" ? r.error : r.reason}`;
    lines.push(
      `| ${
        [
          `\`${r.id}\``,
          note.replaceAll("|", "\\|").slice(0, 120),
          fmt(m.mse_test),
          fmt(m.mse_ood),
          fmt(m.equi_e),
          fmt(m.equi_e_prime),
          fmt(m.train_step_ms),
          fmt(m.infer_ms),
          m.n_params !== undefined ? String(m.n_params) : "–",
        ].join(" | ")
      } |`,
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
  const ratioText = ratios ? ratiosMarkdown(records, ratios) : "";
  return lines.join("\n") + "\n" + (ratioText ? `\n${ratioText}` : "");
}

/** File name of an artifact table: `<name>_<case id with unsafe characters replaced>.csv`. */
export function artifactFileName(name: string, id: string): string {
  return `${name}_${id.replace(/[^A-Za-z0-9.-]+/g, "_").replace(/_+$/, "")}.csv`;
}

/**
 * Writes `results.jsonl` (deduplicated, in the given order), `results.csv`, `summary.md` and
 * every artifact table as CSV, each atomically (temporary file + rename): a kill at any moment
 * leaves every file either as it was or complete.
 */
export async function writeOutputs(
  dir: string,
  records: readonly ResultRecord[],
  title?: string,
  ratios?: RatioSpec,
): Promise<void> {
  await writeResultsFile(dir, records);
  await writeTextFileAtomic(`${dir}/results.csv`, toCsv(records));
  await writeTextFileAtomic(`${dir}/summary.md`, summaryMarkdown(records, title, ratios));
  if (ratios) await writeTextFileAtomic(`${dir}/ratios.csv`, ratiosCsv(records, ratios));
  for (const r of records) {
    if (r.state !== "completed" || !r.artifacts) continue;
    for (const [name, table] of Object.entries(r.artifacts)) {
      const text = stringify(table.rows.map((row) => [...row]), {
        header: true,
        columns: [...table.columns],
      });
      await writeTextFileAtomic(`${dir}/${artifactFileName(name, r.id)}`, text);
    }
  }
}
