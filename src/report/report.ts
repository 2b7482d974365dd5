/**
 * The HTML report of a results folder: one self-contained `report.html` (inline CSS, SVG and a
 * few lines of script for sortable tables; nothing is fetched). Views, each omitted with a
 * one-line note when the results have no data for it:
 *
 * - error (MSE test/OOD) and equivariance (E, E') against β, one panel per data set and data-set
 *   parameter, one series per model · procedure, reference lines for cases without β
 *   (paper Figures 1, 2, 8, 9);
 * - time against batch size from cases with a `batch` parameter (Figure 3);
 * - loss surfaces from `loss_surface_*.csv` files in the folder (Figure 4);
 * - error against the number of group samples from cases with a `groupSamples` parameter
 *   (Figure 6);
 * - the suite's published reference numbers beside ours;
 * - every result with its state, parameters, metrics and environment label, and the table of
 *   environments (backend and why, adapter, Deno/V8/TypeScript/tfjs versions, commit).
 *
 * The report does not look suites up itself: the caller passes the suite's reference and the
 * metric columns, so this module does not depend on `bench/`.
 *
 * @module
 */
import type { MetricColumn } from "../metrics/metric.ts";
import { artifactFileName } from "../runner/tables.ts";
import { readResults } from "../runner/results_file.ts";
import { writeTextFileAtomic } from "../runner/atomic_write.ts";
import type { ResultRecord } from "../runner/result.ts";
import type { PaperReference } from "../runner/suite.ts";
import { esc } from "./_html.ts";
import { seriesColor } from "./_palette.ts";
import { type CaseSummary, summarizeCases } from "./case_summary.ts";
import { describeEnvironment, indexEnvironments } from "./environment_index.ts";
import { heatMap } from "./heat_map.ts";
import { type LossSurface, parseLossSurface } from "./loss_surface.ts";
import { referenceTable } from "./reference_table.ts";
import { environmentsTable, resultsTable } from "./results_table.ts";
import { type PlottedMetric, type SweepFigure, sweepFigures } from "./sweep_view.ts";

/** What {@linkcode renderReport} shows. */
export interface ReportInput {
  /** Result records in display order. */
  readonly records: readonly ResultRecord[];
  /** Page title. */
  readonly title?: string;
  /** The suite's published numbers, shown beside ours. */
  readonly reference?: PaperReference;
  /** Loss surfaces to draw (Figure 4). */
  readonly lossSurfaces?: readonly LossSurface[];
  /** Extra one-line notes (e.g. files that could not be read). */
  readonly notes?: readonly string[];
  /** Metric definitions' columns: units and better directions for labels. */
  readonly columns?: readonly MetricColumn[];
  /** The results folder, shown in the header. */
  readonly source?: string;
  /** Shown in the header (default: now). */
  readonly generatedAt?: Date;
}

const ERROR_METRICS: readonly PlottedMetric[] = [
  { name: "mse_test", label: "MSE test (in distribution)", axis: "MSE" },
  { name: "mse_ood", label: "MSE out of distribution", axis: "MSE" },
  { name: "equi_e", label: "Equivariance error E (Eq. 12)", axis: "E" },
  { name: "equi_e_prime", label: "Equivariance error E′ (Eq. 13)", axis: "E′" },
];

const TIME_LABELS: Readonly<Record<string, string>> = {
  train_step_mean_ms: "Training step, mean",
  train_step_ms: "Training step, median",
  infer_mean_ms: "Inference per batch, mean",
  infer_ms: "Inference per batch, median",
  cold_start_ms: "Cold start (first step)",
};

// Figure 3 plots the mean of timed runs; medians stand in when a suite records no means.
const TIME_PREFERRED = [
  ["train_step_mean_ms", "train_step_ms"],
  ["infer_mean_ms", "infer_ms"],
  ["cold_start_ms"],
];

/** Parameter names a cost sweep may use for the batch size. */
const BATCH_PARAMS = ["batchSize", "batch"];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;background:#fafafa}
main{max-width:1400px;margin:0 auto;padding:18px 28px 60px}
h1{font-size:22px;margin:6px 0 4px}h2{font-size:18px;margin:30px 0 6px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:16px 0 4px}.meta{color:#555;margin:0 0 4px}
nav a{margin-right:14px}.omitted{color:#777;font-style:italic;margin:6px 0}
.figure{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 10px;margin:10px 0}
.charts{display:flex;flex-wrap:wrap;gap:6px}
svg text{font-family:system-ui,sans-serif;fill:#222}
svg .title{font-size:13px;font-weight:600}svg .tick{font-size:10.5px;fill:#555}svg .label{font-size:11.5px}
svg .grid{stroke:#ececec}svg .axis{stroke:#666;fill:none}svg .frame{fill:none;stroke:#666}
svg .line{fill:none;stroke-width:1.8}svg .whisker{stroke-width:1.4}
svg .ref line{stroke-width:1.6}svg .ref .hit{stroke:transparent;stroke-width:8}
svg .band{opacity:.12}svg .fail{font-size:15px;font-weight:700}
svg .contour{fill:none;stroke:#fff;stroke-opacity:.75;stroke-width:1}
svg .mark path{stroke:#e00;stroke-width:2}svg .mark circle{fill:none;stroke:#e00;stroke-width:1.5}
svg .off{paint-order:stroke;stroke:#fff;stroke-width:3px}svg path.off{stroke-width:1px}
svg.legend text{font-size:12px}svg .pt:hover{stroke:#000;stroke-width:1.5}
.scroll{overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;font-size:12.5px;background:#fff}
th,td{border:1px solid #e0e0e0;padding:3px 7px;vertical-align:top}
th{background:#f1f1f1;position:sticky;top:0;text-align:left;white-space:nowrap}
table.sortable th{cursor:pointer}table.sortable th:hover{background:#e6e6e6}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.state.completed{color:#176b2c}td.state.errored{color:#b00020;font-weight:600}
td.state.skipped,td.state.aborted{color:#8a6d00}
table.results td{white-space:nowrap}
.note{font-weight:400;color:#555;font-size:11.5px;min-width:220px;max-width:420px;white-space:normal}
caption{text-align:left;font-weight:600;padding:4px 0}code{font-size:12px}
`;

const SCRIPT = `
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.tHead ? table.tHead.rows[0].cells : [];
  Array.prototype.forEach.call(heads, function (th, i) {
    th.title = "click to sort";
    th.addEventListener("click", function () {
      var dir = th.getAttribute("data-dir") === "asc" ? "desc" : "asc";
      th.setAttribute("data-dir", dir);
      var body = table.tBodies[0];
      var key = function (tr) {
        var td = tr.cells[i];
        var v = td && td.getAttribute("data-v");
        return v !== null && v !== undefined ? Number(v) : (td ? td.textContent : "");
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), c;
        if (typeof x === "number" && typeof y === "number") {
          c = isNaN(x) ? (isNaN(y) ? 0 : 1) : isNaN(y) ? -1 : x - y;
        } else c = String(x).localeCompare(String(y));
        return dir === "asc" ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
`;

function figureHtml(figs: readonly SweepFigure[], heading: (f: SweepFigure) => string): string {
  return figs
    .map((f) =>
      `<div class="figure"><h3>${esc(heading(f))}</h3><div class="charts">${
        f.charts.join("")
      }</div>${f.legend}</div>`
    )
    .join("");
}

function timeMetrics(
  cases: readonly CaseSummary[],
  columns: readonly MetricColumn[] | undefined,
): PlottedMetric[] {
  const present = new Set(cases.flatMap((c) => Object.keys(c.metrics)));
  const byName = new Map((columns ?? []).map((c) => [c.name, c]));
  const isTime = (n: string) => {
    const c = byName.get(n);
    return c
      ? (c.unit === "ms" || c.unit === "s") && c.better !== "neither"
      : /_m?s$/.test(n) && !n.includes("iqr");
  };
  const preferred = TIME_PREFERRED.flatMap((alts) =>
    alts.filter((n) => present.has(n)).slice(0, 1)
  );
  const names = preferred.length ? preferred : [...present].filter(isTime).sort();
  return names.map((n) => {
    const c = byName.get(n);
    const unit = c?.unit ?? (n.endsWith("_ms") ? "ms" : n.endsWith("_s") ? "s" : "");
    return {
      name: n,
      label: TIME_LABELS[n] ?? c?.description ?? n,
      axis: unit ? `time (${unit})` : n,
    };
  });
}

/**
 * Renders the report.
 *
 * @param input records, optional reference, loss surfaces, metric columns and header details.
 * @returns the complete HTML document.
 *
 * @example
 * ```ts
 * import { renderReport } from "./report.ts";
 * const html = renderReport({ records: [], title: "empty" });
 * console.log(html.includes("view omitted")); // true
 * ```
 */
export function renderReport(input: ReportInput): string {
  const records = input.records;
  const cases = summarizeCases(records);
  const colors = new Map<string, string>();
  const color = (label: string) => {
    if (!colors.has(label)) colors.set(label, seriesColor(colors.size));
    return colors.get(label)!;
  };
  const title = input.title ?? "remul-bench report";
  const envs = indexEnvironments(records);
  const states = new Map<string, number>();
  for (const r of records) states.set(r.state, (states.get(r.state) ?? 0) + 1);
  const suites = [...new Set(records.map((r) => `${r.suite} (${r.scale})`))];
  const sections: string[] = [];
  const omitted = (what: string, why: string) =>
    `<p class="omitted">${esc(what)}: ${why}; view omitted.</p>`;
  const has = (c: CaseSummary, p: string) => p in c.params;

  // Figures 1, 2, 8, 9
  const beta = sweepFigures(cases, {
    param: "beta",
    paramLabel: "β",
    metrics: ERROR_METRICS,
    include: (c) => !BATCH_PARAMS.some((p) => has(c, p)) && !has(c, "groupSamples"),
    color,
  });
  sections.push(
    `<section id="beta"><h2>Error and equivariance against β (Figures 1, 2, 8, 9)</h2>${
      beta.length
        ? `<p class="meta">Solid lines: cases swept over β (mean over repetitions, whiskers min–max); dashed lines: cases without β (plain training, augmentation, equivariant models); ▼ marks values more than three decades below the rest (e.g. E ≈ 0 of exactly equivariant models). Hover a point for its value.</p>${
          figureHtml(beta, (f) => f.title)
        }`
        : omitted(
          "Error against β",
          "no completed case with a positive <code>beta</code> parameter",
        )
    }</section>`,
  );

  // Figure 3
  const cost = BATCH_PARAMS.flatMap((param) =>
    sweepFigures(cases, {
      param,
      paramLabel: "batch size",
      xBase: 2,
      metrics: timeMetrics(cases.filter((c) => has(c, param)), input.columns),
      include: (c) => has(c, param),
      color,
    })
  );
  sections.push(
    `<section id="cost"><h2>Time against batch size (Figure 3)</h2>${
      cost.length
        ? `<p class="meta">× along the top edge: batch sizes whose run failed (e.g. out of memory); hover for the error.</p>${
          figureHtml(cost, (f) => f.title)
        }`
        : omitted(
          "Time against batch size",
          "no completed case with a <code>batchSize</code> (or <code>batch</code>) parameter",
        )
    }</section>`,
  );

  // Figure 4
  const surfaces = input.lossSurfaces ?? [];
  sections.push(
    `<section id="loss-surface"><h2>Loss surfaces (Figure 4)</h2>${
      surfaces.length
        ? `<p class="meta">Loss on a grid of two filter-normalised directions around the trained weights (red cross); white lines are contours.</p><div class="figure"><div class="charts">${
          surfaces.map((s) => {
            const inX = s.xs[0] <= 0 && s.xs[s.xs.length - 1] >= 0;
            const inY = s.ys[0] <= 0 && s.ys[s.ys.length - 1] >= 0;
            return heatMap({
              title: `Loss surface: ${s.name}`,
              xLabel: s.xLabel,
              yLabel: s.yLabel,
              valueLabel: s.valueLabel,
              xs: s.xs,
              ys: s.ys,
              values: s.values,
              ...(inX && inY ? { mark: { x: 0, y: 0, label: "trained weights θ*" } } : {}),
            });
          }).join("")
        }</div></div>`
        : omitted("Loss surfaces", "no <code>loss_surface_*.csv</code> file in the folder")
    }</section>`,
  );

  // Figure 6
  const groups = sweepFigures(cases, {
    param: "groupSamples",
    paramLabel: "group samples",
    xBase: 2,
    metrics: ERROR_METRICS,
    include: (c) => has(c, "groupSamples") && !BATCH_PARAMS.some((p) => has(c, p)),
    color,
  });
  sections.push(
    `<section id="group-samples"><h2>Group-sample ablation (Figure 6)</h2>${
      groups.length ? figureHtml(groups, (f) => f.title) : omitted(
        "Group-sample ablation",
        "no completed case with a <code>groupSamples</code> parameter",
      )
    }</section>`,
  );

  sections.push(
    `<section id="reference"><h2>Published numbers beside ours</h2>${
      input.reference
        ? referenceTable(input.reference, cases)
        : omitted("Paper reference", "the suite defines no reference numbers")
    }</section>`,
  );

  sections.push(
    `<section id="results"><h2>All results (${records.length})</h2>${
      records.length
        ? `<p class="meta">Click a column header to sort. The env column names the environment below; hover it for the details.</p>${
          resultsTable(records, { environments: envs, columns: input.columns })
        }`
        : omitted("Results", "the folder has no results")
    }</section>`,
    `<section id="environments"><h2>Environments</h2>${
      envs.entries.length
        ? environmentsTable(envs)
        : omitted("Environments", "no result records an environment")
    }</section>`,
  );

  const stateText = [...states].map(([s, n]) => `${n} ${s}`).join(", ") || "no results";
  const envLine = envs.entries.length === 1
    ? `<p class="meta">Environment: ${esc(describeEnvironment(envs.entries[0].environment))}</p>`
    : "";
  const notes = (input.notes ?? []).map((n) => `<p class="omitted">${esc(n)}</p>`).join("");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(title)}</h1>
<p class="meta">${esc(suites.join(", ") || "no suite")} · ${
    esc(stateText)
  } · ${cases.length} cases${
    input.source ? ` · folder <code>${esc(input.source)}</code>` : ""
  } · generated ${esc((input.generatedAt ?? new Date()).toISOString())}</p>
${envLine}${notes}
<nav><a href="#beta">β sweep</a><a href="#cost">time vs batch</a><a href="#loss-surface">loss surfaces</a><a href="#group-samples">group samples</a><a href="#reference">paper numbers</a><a href="#results">all results</a><a href="#environments">environments</a></nav>
${sections.join("\n")}
</main><script>${SCRIPT}</script></body></html>
`;
}

/** Options of {@linkcode writeReport}. */
export interface WriteReportOptions {
  /** Page title. */
  readonly title?: string;
  /** The suite's published numbers. */
  readonly reference?: PaperReference;
  /** Metric columns (units, directions). */
  readonly columns?: readonly MetricColumn[];
  /** Output file; default `<dir>/report.html`. */
  readonly out?: string;
}

/**
 * Reads `results.jsonl` and any `loss_surface_*.csv` in `dir` and writes the report.
 *
 * @param dir a results folder.
 * @param options title, the suite's reference numbers, metric columns, output path.
 * @returns the path written.
 * @throws Error when `results.jsonl` is malformed or the output cannot be written; a loss-surface
 *   file that cannot be parsed, or a last results line cut off mid-write (skipped), becomes a
 *   note in the report instead. The file is replaced atomically.
 */
export async function writeReport(dir: string, options: WriteReportOptions = {}): Promise<string> {
  const notes: string[] = [];
  const records = await readResults(dir, {
    onWarning: (m) => {
      notes.push(m);
      console.error(`warning: ${m}`);
    },
  });
  const lossSurfaces: LossSurface[] = [];
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /^loss_surface_.*\.csv$/.test(e.name)) files.push(e.name);
  }
  // name a surface after the case that wrote it, else after its file
  const caseOf = new Map(records.map((r) => [artifactFileName("loss_surface", r.id), r.id]));
  for (const name of files.sort()) {
    try {
      const text = await Deno.readTextFile(`${dir}/${name}`);
      const title = caseOf.get(name) ?? name.replace(/^loss_surface_|\.csv$/g, "");
      lossSurfaces.push(parseLossSurface(text, title));
    } catch (e) {
      notes.push(`${name}: not shown: ${(e as Error).message}`);
    }
  }
  const out = options.out ?? `${dir}/report.html`;
  await writeTextFileAtomic(
    out,
    renderReport({
      records,
      title: options.title,
      reference: options.reference,
      lossSurfaces,
      notes,
      columns: options.columns,
      source: dir,
    }),
  );
  return out;
}
