/**
 * The results folder, written only here. `results.jsonl` (through `results_file.ts`) gets one
 * line per case as it finishes, so an interrupted run keeps every completed result; when the run
 * ends it is rewritten in case order, one record per case, and the views are derived from the
 * same records: `results.csv`, `summary.md`, `ratios.csv`, the artifact tables and
 * `report.html` (formatting in `tables.ts`). Every file is replaced atomically.
 *
 * @module
 */
import type { Registries } from "../registry.ts";
import { reportFolder } from "../report/report_folder.ts";
import { metricColumns, resultColumns } from "./columns.ts";
import { writeTextFileAtomic } from "./atomic_write.ts";
import { RunInputError } from "./input_error.ts";
import type { ResultRecord } from "./result.ts";
import {
  appendResult,
  dropPartialLastLine,
  type PartialLine,
  partialLineWarning,
  readResultsFile,
  RESULTS_FILE,
  writeResultsFile,
} from "./results_file.ts";
import { describeConflicts, resumeConflicts } from "./settings_diff.ts";
import type { PaperReference, RatioSpec, RunSpec, Scale } from "./suite.ts";
import { artifactCsv, artifactFileName, ratiosCsv, summaryMarkdown, toCsv } from "./tables.ts";

export { appendResult };

/** What {@linkcode inspectOutput} found in a results folder. */
export interface OutputState {
  /** The folder. */
  readonly dir: string;
  /** Records of this suite and scale already in the folder (with `resume`). */
  readonly previous: readonly ResultRecord[];
  /** Records of other suites or scales in the folder: kept as they are. */
  readonly others: readonly ResultRecord[];
  /** A last line cut off mid-write, cut off by {@linkcode prepareOutput}. */
  readonly partial?: PartialLine;
  /** What a person should know (a skipped partial line, an empty results file). */
  readonly notes: readonly string[];
}

/** Options of {@linkcode inspectOutput}. */
export interface InspectOutputOptions {
  /** Keep the folder's results and run only the cases not completed. */
  readonly resume: boolean;
  /** Suite id of the run. */
  readonly suite: string;
  /** Scale of the run. */
  readonly scale: Scale;
  /** Every case of the suite at the scale, as this run expands it (settings to check against). */
  readonly expanded: readonly RunSpec[];
}

/**
 * Reads a results folder before a run, writing nothing.
 *
 * @param dir the folder (need not exist).
 * @param options whether to resume, and the run's suite, scale and cases.
 * @returns the records to keep and the notes.
 * @throws RunInputError (`out`) when the folder holds results and `resume` is off, or cannot be
 *   read for a file-system reason; (`resume` or `out`) when its `results.jsonl` is malformed;
 *   (`resume`) when its completed cases ran with other settings.
 */
export async function inspectOutput(
  dir: string,
  options: InspectOutputOptions,
): Promise<OutputState> {
  const { resume } = options;
  let existing;
  try {
    existing = await readResultsFile(dir);
  } catch (e) {
    // a file system error (a path through a file, no permission): the folder is unusable
    const fs = Object.values(Deno.errors).some((C) => e instanceof C);
    throw fs
      ? new RunInputError(`cannot write to "${dir}": ${(e as Error).message}`, "out")
      : new RunInputError(
        `cannot read ${dir}/${RESULTS_FILE}: ${(e as Error).message}`,
        resume ? "resume" : "out",
      );
  }
  if (!resume) {
    if (existing.lines > 0 || existing.partial) {
      throw new RunInputError(
        `"${dir}" already holds ${existing.records.length} result(s) in ${RESULTS_FILE}; ` +
          `add --resume to keep them and run only the cases not completed, or choose another --out`,
        "out",
      );
    }
    return { dir, previous: [], others: [], notes: [] };
  }
  const mine = (r: ResultRecord) => r.suite === options.suite && r.scale === options.scale;
  const previous = existing.records.filter(mine);
  const others = existing.records.filter((r) => !mine(r));
  const conflicts = resumeConflicts(previous, options.expanded);
  if (conflicts.length) {
    throw new RunInputError(
      `completed cases in ${dir}/${RESULTS_FILE} ran with other settings than this ` +
        `run (recorded → now): ${describeConflicts(conflicts)}; resume with the same --set ` +
        `values as before, or run into a new --out`,
      "resume",
    );
  }
  const notes: string[] = [];
  if (existing.partial) {
    notes.push(`warning: ${partialLineWarning(`${dir}/${RESULTS_FILE}`, existing.partial)}`);
  }
  if (existing.records.length === 0) {
    const csv = await Deno.readTextFile(`${dir}/results.csv`).catch(() => "");
    const rows = Math.max(0, csv.trim().split("\n").length - 1);
    notes.push(
      `--resume: ${dir}/${RESULTS_FILE} holds no results${
        rows ? ` (results.csv lists ${rows}: they are lost from ${RESULTS_FILE})` : ""
      }; every case runs`,
    );
  }
  return {
    dir,
    previous,
    others,
    notes,
    ...(existing.partial ? { partial: existing.partial } : {}),
  };
}

/**
 * Makes the folder ready for appending: creates it, checks that it can be written, and cuts off
 * a last line a crash left without its newline (so the first new record starts a line).
 *
 * @throws RunInputError (`out`) when the folder cannot be created or written.
 */
export async function prepareOutput(state: OutputState): Promise<void> {
  const { dir } = state;
  try {
    const st = await Deno.stat(dir).catch(() => null);
    if (st && !st.isDirectory) throw new Error("it exists and is not a folder");
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.write-test`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new RunInputError(`cannot write to "${dir}": ${(e as Error).message}`, "out");
  }
  if (state.partial) await dropPartialLastLine(dir);
}

/**
 * Writes the views of records: `results.csv`, `summary.md`, `ratios.csv` (when the suite has
 * ratios) and every artifact table as CSV, each atomically.
 */
export async function writeViews(
  dir: string,
  records: readonly ResultRecord[],
  options: { title?: string; ratios?: RatioSpec; registries?: Registries } = {},
): Promise<void> {
  const columns = resultColumns(options.registries);
  await writeTextFileAtomic(`${dir}/results.csv`, toCsv(records, columns));
  await writeTextFileAtomic(
    `${dir}/summary.md`,
    summaryMarkdown(records, { columns, title: options.title, ratios: options.ratios }),
  );
  if (options.ratios) {
    await writeTextFileAtomic(`${dir}/ratios.csv`, ratiosCsv(records, options.ratios));
  }
  for (const r of records) {
    if (r.state !== "completed" || !r.artifacts) continue;
    for (const [name, table] of Object.entries(r.artifacts)) {
      await writeTextFileAtomic(`${dir}/${artifactFileName(name, r.id)}`, artifactCsv(table));
    }
  }
}

/**
 * Writes a whole results folder from records: `results.jsonl` (in the given order, one record
 * per case) and its views ({@linkcode writeViews}), each atomically (temporary file + rename): a
 * kill at any moment leaves every file either as it was or complete.
 */
export async function writeOutputs(
  dir: string,
  records: readonly ResultRecord[],
  title?: string,
  ratios?: RatioSpec,
): Promise<void> {
  await writeResultsFile(dir, records);
  await writeViews(dir, records, { title, ratios });
}

/** Options of {@linkcode finishOutput}. */
export interface FinishOutputOptions {
  /** Summary and report title. */
  readonly title: string;
  /** The suite's ratios. */
  readonly ratios?: RatioSpec;
  /** The suite's published numbers, for the report. */
  readonly reference?: PaperReference;
  /** Where the metrics (and so the columns) are registered (default: the built-in ones). */
  readonly registries?: Registries;
}

/**
 * Ends a run's writing: `results.jsonl` rewritten as `records` (the kept records, then this
 * run's in case order), its views, and `report.html`.
 *
 * @returns why `report.html` could not be written, if it could not (the rest is written).
 */
export async function finishOutput(
  dir: string,
  records: readonly ResultRecord[],
  options: FinishOutputOptions,
): Promise<string | undefined> {
  await writeResultsFile(dir, records);
  await writeViews(dir, records, options);
  try {
    await reportFolder(dir, {
      columns: metricColumns(options.registries),
      reference: options.reference,
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
