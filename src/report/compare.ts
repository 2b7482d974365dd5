/**
 * The regression check: a results folder's cases against a baseline file. Each metric whose
 * column says which direction is better (`MetricColumn.better`) is compared with a threshold,
 * relative for times and absolute for MSE and equivariance errors (from the baseline file). A
 * metric counts as worse only when it is worse beyond the threshold and beyond the measured
 * noise: `noiseFactor` standard errors of the difference of means, from the pooled spread of the
 * repetitions on both sides. With a single repetition on both sides the noise cannot be judged;
 * the threshold alone decides and the table says so. A case that errors now but completed in
 * the baseline is a regression, and so is a case the baseline completed that is missing from
 * the results or did not complete (skipped, aborted): a check must not pass on results that are
 * not there. To check only some cases, narrow the baseline explicitly (`select`, the tasks'
 * `--filter`).
 *
 * @module
 */
import type { MetricColumn } from "../metrics/metric.ts";
import type { ResultRecord } from "../runner/result.ts";
import { num } from "./_html.ts";
import {
  type Baseline,
  baselineKey,
  type BaselineMetric,
  type BaselineThresholds,
} from "./baseline.ts";
import { type CaseSummary, type MetricStats, summarizeCases } from "./case_summary.ts";

/** The outcome of one row. */
export type Verdict =
  | "better"
  | "unchanged"
  | "worse"
  | "worse-within-noise"
  | "errored"
  | "still-errored"
  | "fixed"
  | "not-run"
  | "missing"
  | "new"
  | "missing-metric";

/** The threshold applied to a metric. */
export interface AppliedThreshold {
  /** Relative to the baseline value, or absolute. */
  readonly kind: "relative" | "absolute";
  /** The configured value (a fraction for relative thresholds). */
  readonly value: number;
  /** The allowed worsening in the metric's units. */
  readonly limit: number;
}

/** One row of the comparison: a case and, for metric rows, a metric. */
export interface ComparisonRow {
  /** The baseline key: case id without `rep=` (prefixed `suite/` for multi-suite baselines). */
  readonly key: string;
  /** Null for rows about the whole case (errored, not run, new). */
  readonly metric: string | null;
  /** What happened. */
  readonly verdict: Verdict;
  /** Whether this row fails the check. */
  readonly regression: boolean;
  /** The baseline's value, when the row is about a metric. */
  readonly baseline?: BaselineMetric;
  /** This run's value, when the row is about a metric. */
  readonly current?: MetricStats;
  /** current − baseline. */
  readonly change?: number;
  /** The threshold applied. */
  readonly threshold?: AppliedThreshold;
  /** The noise bound (noiseFactor × standard error); null when it could not be judged. */
  readonly noise?: number | null;
  /** Why, in a few words (errors, missing values). */
  readonly note?: string;
}

/** The result of {@linkcode compareToBaseline}. */
export interface Comparison {
  /** Every row, case by case in baseline order, then new cases. */
  readonly rows: readonly ComparisonRow[];
  /** Rows that fail. */
  readonly regressions: number;
  /** Cases present in both, with at least one compared metric or state row. */
  readonly casesCompared: number;
  /** Baseline cases (after narrowing) that are not in the results at all. */
  readonly casesMissing: number;
  /** Baseline cases left out by `select`. */
  readonly casesNotSelected: number;
  /** Cases with at least one failing row. */
  readonly casesWithRegressions: number;
  /** The thresholds applied (from the baseline file). */
  readonly thresholds: BaselineThresholds;
  /** Lines for the header: environments, thresholds, differences that matter. */
  readonly notes: readonly string[];
}

/**
 * The threshold that applies to a metric: the baseline's per-metric override, else relative for
 * times (unit ms or s), absolute for `mse*` and `equi_*`, relative for the rest.
 *
 * @returns the threshold, or null when the metric is ignored.
 */
export function thresholdFor(
  metric: string,
  column: MetricColumn | undefined,
  thresholds: BaselineThresholds,
  baselineValue: number,
): AppliedThreshold | null {
  const o = thresholds.metrics?.[metric];
  if (o?.ignore) return null;
  const rel = (value: number): AppliedThreshold => ({
    kind: "relative",
    value,
    limit: value * Math.abs(baselineValue),
  });
  const abs = (value: number): AppliedThreshold => ({ kind: "absolute", value, limit: value });
  if (o?.absolute !== undefined) return abs(o.absolute);
  if (o?.relative !== undefined) return rel(o.relative);
  if (column && (column.unit === "ms" || column.unit === "s")) return rel(thresholds.timeRelative);
  if (metric.startsWith("mse")) return abs(thresholds.mseAbsolute);
  if (metric.startsWith("equi_")) return abs(thresholds.equivarianceAbsolute);
  return rel(thresholds.otherRelative);
}

/**
 * The noise bound of a difference of means: `factor` × pooled standard deviation ×
 * √(1/n₁ + 1/n₂); null when neither side has two or more repetitions.
 */
export function noiseBound(
  a: { spread: number | null; n: number },
  b: { spread: number | null; n: number },
  factor: number,
): number | null {
  let ss = 0;
  let dof = 0;
  for (const s of [a, b]) {
    if (s.spread !== null && s.n >= 2 && Number.isFinite(s.spread)) {
      ss += (s.n - 1) * s.spread ** 2;
      dof += s.n - 1;
    }
  }
  if (dof === 0) return null;
  const sd = Math.sqrt(ss / dof);
  return factor * sd * Math.sqrt(1 / Math.max(1, a.n) + 1 / Math.max(1, b.n));
}

function metricNames(
  b: Readonly<Record<string, unknown>>,
  c: Readonly<Record<string, unknown>>,
  order: readonly string[],
) {
  const all = new Set([...Object.keys(b), ...Object.keys(c)]);
  const known = order.filter((n) => all.has(n));
  return [...known, ...[...all].filter((n) => !known.includes(n)).sort()];
}

function compareMetric(
  key: string,
  metric: string,
  base: BaselineMetric,
  cur: MetricStats,
  column: MetricColumn,
  thresholds: BaselineThresholds,
): ComparisonRow | null {
  const threshold = thresholdFor(metric, column, thresholds, base.value);
  if (!threshold) return null;
  const sign = column.better === "smaller" ? 1 : -1;
  const change = cur.mean - base.value;
  const common = { key, metric, baseline: base, current: cur, change, threshold };
  if (!Number.isFinite(base.value)) {
    return Number.isFinite(cur.mean)
      ? { ...common, verdict: "better", regression: false, note: "baseline was not finite" }
      : { ...common, verdict: "unchanged", regression: false, note: "not finite in both" };
  }
  if (!Number.isFinite(cur.mean)) {
    return { ...common, verdict: "worse", regression: true, note: "not finite now" };
  }
  const noise = noiseBound(
    { spread: base.spread, n: base.n },
    { spread: cur.std, n: cur.n },
    thresholds.noiseFactor,
  );
  const worsening = sign * change;
  const beyondNoise = noise === null || Math.abs(change) > noise;
  if (worsening > threshold.limit) {
    return beyondNoise
      ? { ...common, noise, verdict: "worse", regression: true }
      : { ...common, noise, verdict: "worse-within-noise", regression: false };
  }
  if (-worsening > threshold.limit && beyondNoise) {
    return { ...common, noise, verdict: "better", regression: false };
  }
  return { ...common, noise, verdict: "unchanged", regression: false };
}

/**
 * Compares results with a baseline.
 *
 * @param baseline a parsed baseline file.
 * @param records the results to check (any states; repetitions are pooled per case).
 * @param options `columns`: every metric column (directions and units); metrics without a
 *   column, or whose better direction is `neither`, are not compared. `select`: narrows the
 *   baseline to the case keys it accepts (the others are neither compared nor missing);
 *   `selectedBy` says how, for the notes (e.g. `--filter gnn`).
 * @returns rows, the number of failing rows and header notes.
 */
export function compareToBaseline(
  baseline: Baseline,
  records: readonly ResultRecord[],
  options: {
    columns: readonly MetricColumn[];
    select?: (key: string) => boolean;
    selectedBy?: string;
  },
): Comparison {
  const th = baseline.thresholds;
  const columns = new Map(options.columns.map((c) => [c.name, c]));
  // cases of suites a single-suite baseline does not cover are keyed `suite/case` (so "new")
  const suiteIds = new Set(baseline.suites.map((s) => s.replace(/ \(.*\)$/, "")));
  const keyOf = (c: CaseSummary) =>
    baselineKey(c, baseline.keyedBySuite === true || (suiteIds.size > 0 && !suiteIds.has(c.suite)));
  const current = new Map<string, CaseSummary>(summarizeCases(records).map((c) => [keyOf(c), c]));
  const rows: ComparisonRow[] = [];
  const undirected = new Set<string>();
  let casesCompared = 0;
  let casesMissing = 0;
  let casesNotSelected = 0;
  const notSelected = new Set<string>();
  for (const [key, b] of Object.entries(baseline.cases)) {
    if (options.select && !options.select(key)) {
      casesNotSelected++;
      notSelected.add(key);
      continue;
    }
    const c = current.get(key);
    const baseCompleted = b.completed > 0;
    if (!c) {
      casesMissing++;
      rows.push({
        key,
        metric: null,
        verdict: "missing",
        regression: baseCompleted,
        note: baseCompleted
          ? "not in the results (to check only some cases, narrow the baseline with --filter)"
          : "not in the results; it did not complete in the baseline either",
      });
      continue;
    }
    casesCompared++;
    const baseOk = b.completed > 0 && b.errored === 0;
    if (c.errored > 0) {
      const err = c.records.find((r) => r.state === "errored");
      const msg = err?.state === "errored" ? err.error : "";
      rows.push({
        key,
        metric: null,
        verdict: baseOk ? "errored" : "still-errored",
        regression: baseOk,
        note: `${c.errored} of ${c.records.length} repetitions errored: ${msg.slice(0, 200)}`,
      });
    } else if (b.errored > 0 && c.completed > 0) {
      rows.push({
        key,
        metric: null,
        verdict: "fixed",
        regression: false,
        note: "errored in the baseline, completes now",
      });
    }
    if (c.completed === 0) {
      if (c.errored === 0) {
        const r = c.records.find((x) => x.state === "skipped" || x.state === "aborted");
        const why = r && "reason" in r ? `: ${r.reason.slice(0, 200)}` : "";
        rows.push({
          key,
          metric: null,
          verdict: "not-run",
          regression: baseCompleted,
          note: `${c.skipped ? "skipped" : "aborted"} in this run${why}`,
        });
      }
      continue;
    }
    for (const m of metricNames(b.metrics, c.metrics, [...columns.keys()])) {
      const col = columns.get(m);
      if (!col || col.better === "neither") {
        if (!col && m in b.metrics) undirected.add(m);
        continue;
      }
      const bm = b.metrics[m];
      const cm = c.metrics[m];
      if (!bm) continue; // a metric new in this run
      if (!cm) {
        rows.push({
          key,
          metric: m,
          verdict: "missing-metric",
          regression: false,
          baseline: bm,
          note: "not measured in this run",
        });
        continue;
      }
      const row = compareMetric(key, m, bm, cm, col, th);
      if (row) rows.push(row);
    }
  }
  for (const key of current.keys()) {
    if (!(key in baseline.cases) && !notSelected.has(key)) {
      rows.push({
        key,
        metric: null,
        verdict: "new",
        regression: false,
        note: "not in the baseline",
      });
    }
  }
  const notes: string[] = [];
  const env = baseline.environment;
  const nowEnv = records[0]?.environment;
  if (env && nowEnv && env.backend !== nowEnv.backend?.name) {
    notes.push(
      `Backends differ: the baseline ran on ${env.backend}, this run on ${nowEnv.backend?.name}; times are not comparable.`,
    );
  }
  if (undirected.size) {
    notes.push(
      `Not compared (no metric column says which direction is better): ${
        [...undirected].sort().join(", ")
      }.`,
    );
  }
  if (casesNotSelected) {
    notes.push(
      `Checked ${Object.keys(baseline.cases).length - casesNotSelected} of the baseline's ${
        Object.keys(baseline.cases).length
      } cases${options.selectedBy ? ` (${options.selectedBy})` : ""}.`,
    );
  }
  const failing = rows.filter((r) => r.regression);
  return {
    rows,
    regressions: failing.length,
    casesCompared,
    casesMissing,
    casesNotSelected,
    casesWithRegressions: new Set(failing.map((r) => r.key)).size,
    thresholds: th,
    notes,
  };
}

const MARK: Record<Verdict, string> = {
  better: "✅ better",
  unchanged: "➖ unchanged",
  worse: "❌ worse",
  "worse-within-noise": "⚠️ worse, within noise",
  errored: "❌ errored",
  "still-errored": "➖ errored in both",
  fixed: "✅ fixed",
  "not-run": "· not run",
  missing: "· missing",
  new: "· new case",
  "missing-metric": "· not measured",
};

function cell(s: { value: number; spread: number | null; n: number } | undefined): string {
  if (!s) return "–";
  return `${num(s.value)}${s.spread !== null && s.n > 1 ? ` ±${num(s.spread, 2)}` : ""} (n=${s.n})`;
}

function pct(x: number): string {
  return `${x >= 0 ? "+" : ""}${Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1)}%`;
}

/**
 * The comparison as Markdown: a header with thresholds and notes, a table with a mark per row
 * (✅ better, ❌ worse, ➖ unchanged, ⚠️ worse within noise), and a one-line result.
 *
 * @param c the comparison.
 * @param options `title`; `changesOnly` leaves out unchanged rows (and says how many).
 * @returns Markdown text ending with a newline.
 */
export function comparisonMarkdown(
  c: Comparison,
  options: { title?: string; changesOnly?: boolean } = {},
): string {
  const th = c.thresholds;
  const lines = [
    `## ${options.title ?? "Regression check"}`,
    "",
    `Thresholds: times ±${(th.timeRelative * 100).toFixed(0)}% (relative); MSE ±${
      num(th.mseAbsolute)
    }, E and E′ ±${num(th.equivarianceAbsolute)} (absolute); other metrics ±${
      (th.otherRelative * 100).toFixed(0)
    }%${
      th.metrics && Object.keys(th.metrics).length
        ? `; overrides for ${Object.keys(th.metrics).join(", ")}`
        : ""
    }. A worse value fails only beyond its threshold and beyond ${th.noiseFactor} standard errors of the difference (pooled spread of the repetitions).`,
    ...c.notes.map((n) => `\n${n}`),
    "",
  ];
  const visible = c.rows.filter((r) => !(options.changesOnly && r.verdict === "unchanged"));
  if (visible.length) {
    lines.push(
      "| case | metric | baseline | current | change | threshold | noise | result |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    );
  }
  let hidden = 0;
  let notJudged = 0;
  let lastKey = "";
  for (const r of c.rows) {
    if (options.changesOnly && r.verdict === "unchanged") {
      hidden++;
      continue;
    }
    const keyCell = r.key === lastKey ? "" : `\`${r.key}\``;
    lastKey = r.key;
    if (r.metric === null || !r.current || !r.baseline || r.change === undefined) {
      lines.push(
        `| ${keyCell} | ${r.metric ?? "(case)"} | ${cell(r.baseline)} | – | – | – | – | ${
          r.regression ? MARK[r.verdict].replace(/^· /, "❌ ") : MARK[r.verdict]
        }${r.note ? `: ${r.note.replaceAll("|", "\\|").replaceAll("\n", " ")}` : ""} |`,
      );
      continue;
    }
    const t = r.threshold!;
    const rel = r.baseline.value !== 0 ? (100 * r.change) / Math.abs(r.baseline.value) : NaN;
    const relText = Math.abs(rel) >= 1000
      ? `×${num(r.current.mean / r.baseline.value, 2)}`
      : pct(rel);
    const change = r.change === 0
      ? "0"
      : t.kind === "relative" || !Number.isFinite(rel)
      ? (Number.isFinite(rel) ? relText : num(r.change))
      : `${r.change >= 0 ? "+" : ""}${num(r.change)} (${relText})`;
    const threshold = t.kind === "relative"
      ? `±${(t.value * 100).toFixed(0)}%`
      : `±${num(t.value)}`;
    let noise: string;
    if (r.noise === undefined) noise = "–";
    else if (r.noise === null) {
      noise = "n<2: not judged";
      notJudged++;
    } else noise = `±${num(r.noise, 2)}`;
    lines.push(
      `| ${keyCell} | ${r.metric} | ${cell(r.baseline)} | ${
        cell({ value: r.current.mean, spread: r.current.std, n: r.current.n })
      } | ${change} | ${threshold} | ${noise} | ${MARK[r.verdict]}${
        r.note ? ` (${r.note})` : ""
      } |`,
    );
  }
  if (visible.length) lines.push("");
  if (hidden) lines.push(`${hidden} unchanged rows not shown.`);
  if (notJudged) {
    lines.push(
      `"n<2: not judged": too few repetitions on both sides to measure noise; the threshold alone decides (run with --repetitions 3 for a noise estimate).`,
    );
  }
  const count = (v: Verdict) => c.rows.filter((r) => r.verdict === v).length;
  const summary = c.regressions
    ? `**Result: ${c.regressions} regression${
      c.regressions === 1 ? "" : "s"
    } (❌) in ${c.casesWithRegressions} of ${c.casesCompared + c.casesMissing} cases**`
    : `**Result: no regression** in ${c.casesCompared} cases`;
  lines.push(
    `${summary}; ${count("better") + count("fixed")} better, ${
      count("unchanged") + count("still-errored")
    } unchanged, ${count("worse-within-noise")} worse within noise, ${count("not-run")} not run, ${
      count("missing")
    } missing, ${count("new")} new.`,
  );
  return lines.join("\n") + "\n";
}
