/**
 * Worker scaling as numbers: the same cases run at several `--jobs` values, in rounds, and how
 * much faster the larger values finish. `deno task scaling` runs the suite and writes what this
 * module computes.
 *
 * Two measures besides the wall time explain a speed-up below the number of jobs:
 * - **case-time inflation**: the summed durations of the cases (each record's `startedAt` to
 *   `endedAt`) over those of the base run. Cases that share the cores run slower than alone
 *   (memory bandwidth, cache, clock); 1.0 would be perfect overlap.
 * - **busy**: summed case time ÷ (jobs × wall). Below 1, lanes stood idle: between cases (a
 *   worker's start-up) or at the end, when one lane still runs and the others have nothing left.
 *
 * A machine's speed drifts over minutes, so a single pair of runs can be off by 10–20%: rounds
 * alternate the order of the jobs values (1, 2 then 2, 1 …) so that a steady drift falls on both,
 * and the summary takes medians over rounds.
 *
 * @module
 */
import type { ResultRecord } from "./result.ts";

/** One run of the suite at one jobs value. */
export interface ScalingRun {
  /** Round, from 0. */
  readonly round: number;
  readonly jobs: number;
  /** Records written. */
  readonly cases: number;
  /** Of those, completed. */
  readonly completed: number;
  /** Wall time of the whole run, seconds. */
  readonly wallS: number;
  /** Summed durations of the cases, seconds. */
  readonly caseS: number;
}

/** A run with its measures against the base run (the first jobs value) of its round. */
export interface ScalingRow extends ScalingRun {
  readonly casesPerMinute: number;
  /** Base run's wall ÷ this wall: the throughput gain. */
  readonly speedup: number;
  /** This run's summed case time ÷ the base run's. */
  readonly caseInflation: number;
  /** Summed case time ÷ (jobs × wall). */
  readonly busy: number;
}

/** Medians over the rounds, per jobs value. */
export interface ScalingSummary {
  readonly jobs: number;
  readonly rounds: number;
  readonly medianWallS: number;
  readonly medianSpeedup: number;
  readonly minSpeedup: number;
  readonly maxSpeedup: number;
  readonly medianCaseInflation: number;
  readonly medianBusy: number;
}

/** The jobs values in the order round `round` runs them: as given, reversed on odd rounds. */
export function roundOrder(jobs: readonly number[], round: number): number[] {
  return round % 2 === 0 ? [...jobs] : [...jobs].reverse();
}

/** Summed `endedAt − startedAt` of the records, seconds (unparsable times count 0). */
export function caseSeconds(records: readonly ResultRecord[]): number {
  let total = 0;
  for (const r of records) {
    const a = Date.parse(r.startedAt), b = Date.parse(r.endedAt);
    if (Number.isFinite(a) && Number.isFinite(b)) total += Math.max(0, b - a) / 1000;
  }
  return total;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Each run measured against the base run of its round: the run of `baseJobs` (the first jobs
 * value asked for).
 */
export function scalingRows(runs: readonly ScalingRun[], baseJobs: number): ScalingRow[] {
  return runs.map((r) => {
    const base = runs.find((b) => b.round === r.round && b.jobs === baseJobs);
    if (!base) throw new Error(`round ${r.round} has no run at --jobs ${baseJobs}`);
    return {
      ...r,
      casesPerMinute: (60 * r.cases) / r.wallS,
      speedup: base.wallS / r.wallS,
      caseInflation: base.caseS > 0 ? r.caseS / base.caseS : NaN,
      busy: r.caseS / (r.jobs * r.wallS),
    };
  });
}

/**
 * Medians over rounds per jobs value, in the order of `jobs`.
 *
 * @example
 * ```ts
 * import { scalingRows, scalingSummary } from "./scaling.ts";
 * const run = (round: number, jobs: number, wallS: number, caseS: number) =>
 *   ({ round, jobs, cases: 10, completed: 10, wallS, caseS });
 * const rows = scalingRows([run(0, 1, 100, 96), run(0, 2, 55, 104)], 1);
 * const [, two] = scalingSummary(rows, [1, 2]);
 * if (Math.abs(two.medianSpeedup - 100 / 55) > 1e-12) throw new Error();
 * ```
 */
export function scalingSummary(
  rows: readonly ScalingRow[],
  jobs: readonly number[],
): ScalingSummary[] {
  return jobs.map((j) => {
    const mine = rows.filter((r) => r.jobs === j);
    const speedups = mine.map((r) => r.speedup);
    return {
      jobs: j,
      rounds: mine.length,
      medianWallS: median(mine.map((r) => r.wallS)),
      medianSpeedup: median(speedups),
      minSpeedup: Math.min(...speedups),
      maxSpeedup: Math.max(...speedups),
      medianCaseInflation: median(mine.map((r) => r.caseInflation)),
      medianBusy: median(mine.map((r) => r.busy)),
    };
  });
}

/** The Markdown report: every run, then the medians. */
export function scalingMarkdown(
  title: string,
  rows: readonly ScalingRow[],
  summary: readonly ScalingSummary[],
): string {
  const f = (x: number, d: number) => Number.isFinite(x) ? x.toFixed(d) : "–";
  return [
    `## ${title}`,
    "",
    "| round | jobs | cases | completed | wall s | case s | cases/min | speed-up | case-time inflation | busy |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.round + 1} | ${r.jobs} | ${r.cases} | ${r.completed} | ${f(r.wallS, 1)} | ${
        f(r.caseS, 1)
      } | ${f(r.casesPerMinute, 1)} | ${f(r.speedup, 2)} | ${f(r.caseInflation, 2)} | ${
        f(r.busy, 2)
      } |`
    ),
    "",
    "Medians over rounds (speed-up range in brackets):",
    "",
    "| jobs | rounds | wall s | speed-up | case-time inflation | busy |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...summary.map((s) =>
      `| ${s.jobs} | ${s.rounds} | ${f(s.medianWallS, 1)} | ${f(s.medianSpeedup, 2)} (${
        f(s.minSpeedup, 2)
      }–${f(s.maxSpeedup, 2)}) | ${f(s.medianCaseInflation, 2)} | ${f(s.medianBusy, 2)} |`
    ),
  ].join("\n") + "\n";
}
