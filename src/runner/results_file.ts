/**
 * `results.jsonl`, the one file every result lands in: one record per line, appended as each
 * experiment finishes. This module is the only code that writes it: {@linkcode appendResult} adds
 * a line, {@linkcode writeResultsFile} replaces the whole file atomically (temporary file +
 * rename, so a kill during the rewrite leaves the old file, never an empty one).
 *
 * Reading is strict with one exception: a crash while appending leaves a last line cut off
 * mid-write (no newline at its end, not valid JSON). That line is skipped with a warning naming
 * it; a bad line anywhere else, or a record that lacks fields ({@linkcode checkResultRecord}),
 * is an error naming the file and line.
 *
 * @module
 */
import { writeTextFileAtomic } from "./atomic_write.ts";
import { checkResultRecord } from "./record_check.ts";
import type { ResultRecord } from "./result.ts";

/** The file name. */
export const RESULTS_FILE = "results.jsonl";

/** A last line cut off mid-write, as {@linkcode parseResults} found it. */
export interface PartialLine {
  /** 1-based line number. */
  readonly line: number;
  /** Its text (possibly long; shorten for messages). */
  readonly text: string;
}

/** What {@linkcode parseResults} found. */
export interface ParsedResults {
  /** The records, last record of each (suite, scale, id) winning, in order of first appearance. */
  readonly records: ResultRecord[];
  /** Records read, duplicates included. */
  readonly lines: number;
  /** The last line, when it was cut off mid-write and skipped. */
  readonly partial?: PartialLine;
}

/**
 * Parses the text of a `results.jsonl`.
 *
 * @param text the file's contents.
 * @param where the file's path, for messages.
 * @returns the records and the skipped partial last line, if any.
 * @throws Error naming the file and line: a line that is not JSON (other than a partial last
 *   line), or a record that lacks fields.
 *
 * @example
 * ```ts
 * import { parseResults } from "./results_file.ts";
 * const r = parseResults('{"id":"mlp","sta', "out/results.jsonl");
 * console.log(r.records.length, r.partial?.line); // 0 1
 * ```
 */
export function parseResults(text: string, where: string): ParsedResults {
  const lines = text.split("\n");
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === "") last--;
  const byKey = new Map<string, ResultRecord>();
  let count = 0;
  let partial: PartialLine | undefined;
  for (let i = 0; i <= last; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      // Cut off mid-write: the last line, and nothing (no newline) after it.
      if (i === last && i === lines.length - 1) {
        partial = { line: i + 1, text: line };
        continue;
      }
      throw new Error(
        `${where} line ${i + 1}: not valid JSON (${
          i === last
            ? "the last line ends with a newline, so it is not a cut-off write"
            : "not the last line"
        }); fix or remove the line`,
      );
    }
    const r = checkResultRecord(raw, `${where} line ${i + 1}`);
    count++;
    const key = `${r.suite}\u0000${r.scale}\u0000${r.id}`;
    byKey.set(key, r); // a later record replaces an earlier one, in the earlier one's place
  }
  return { records: [...byKey.values()], lines: count, ...(partial ? { partial } : {}) };
}

/** The warning for a skipped partial line: file, line number, case id if readable. */
export function partialLineWarning(where: string, partial: PartialLine): string {
  const id = /"id"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(partial.text)?.[1];
  return `${where} line ${partial.line} is cut off mid-write (${partial.text.length} bytes, ` +
    `no newline${id ? `, case "${id}"` : ""}): skipped; its case counts as not run`;
}

/**
 * Reads `dir/results.jsonl` with its partial last line, if any; a missing file gives no records.
 *
 * @throws Error as {@linkcode parseResults}, or when the file cannot be read.
 */
export async function readResultsFile(dir: string): Promise<ParsedResults> {
  const where = `${dir}/${RESULTS_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(where);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { records: [], lines: 0 };
    throw e;
  }
  return parseResults(text, where);
}

/**
 * Reads `dir/results.jsonl`: the last record of each (suite, scale, id) wins, so a folder may
 * hold several suites whose case ids coincide. Missing file → no records. A last line cut off
 * mid-write is skipped and reported through `onWarning` (default: printed to stderr).
 *
 * @param dir a results folder.
 * @param options `onWarning` receives the warning about a skipped partial line.
 * @returns the records.
 * @throws Error naming the file and line of a bad line or an incomplete record.
 */
export async function readResults(
  dir: string,
  options: { onWarning?: (message: string) => void } = {},
): Promise<ResultRecord[]> {
  const parsed = await readResultsFile(dir);
  if (parsed.partial) {
    const warn = options.onWarning ?? ((m: string) => console.error(`warning: ${m}`));
    warn(partialLineWarning(`${dir}/${RESULTS_FILE}`, parsed.partial));
  }
  return parsed.records;
}

/**
 * Cuts a last line left without its newline (a crash mid-append) off `dir/results.jsonl`,
 * atomically, leaving every complete line byte for byte, so the next append starts on a line of
 * its own. Does nothing to a missing file or one that ends with a newline.
 *
 * @returns the line cut off, if any (for a warning).
 */
export async function dropPartialLastLine(dir: string): Promise<PartialLine | undefined> {
  const path = `${dir}/${RESULTS_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  if (text === "" || text.endsWith("\n")) return undefined;
  const cut = text.lastIndexOf("\n") + 1;
  await writeTextFileAtomic(path, text.slice(0, cut));
  return { line: text.slice(0, cut).split("\n").length, text: text.slice(cut) };
}

/** Appends one record to `dir/results.jsonl` as one line (one write). */
export async function appendResult(dir: string, record: ResultRecord): Promise<void> {
  await Deno.writeTextFile(`${dir}/${RESULTS_FILE}`, JSON.stringify(record) + "\n", {
    append: true,
  });
}

/** Replaces `dir/results.jsonl` with `records`, one per line, atomically. */
export async function writeResultsFile(
  dir: string,
  records: readonly ResultRecord[],
): Promise<void> {
  await writeTextFileAtomic(
    `${dir}/${RESULTS_FILE}`,
    records.map((r) => JSON.stringify(r)).join("\n") + (records.length ? "\n" : ""),
  );
}
