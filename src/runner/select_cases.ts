/**
 * Which cases a run runs, decided in one place for the command line and the library: the suite
 * expanded at a scale (with `--set` overrides and repetitions), then filtered, then sharded.
 *
 * @module
 */
import type { Registries } from "../registry.ts";
import { RunInputError } from "./input_error.ts";
import type { ScaleOverrides } from "./overrides.ts";
import { type Shard, shardItems } from "./shard.ts";
import {
  caseFilter,
  expandSuite,
  type RunSpec,
  type Scale,
  type SuiteDefinition,
} from "./suite.ts";

/** What selects the cases of a run. */
export interface CaseSelection {
  /** Scale to run: `smoke`, `small` or `paper`. */
  readonly scale: Scale;
  /** Case filter: `/regex/` or comma-separated substrings ({@linkcode caseFilter}). */
  readonly filter?: string;
  /** Run only this shard of the filtered cases. */
  readonly shard?: Shard;
  /** Override of the scale's repetitions. */
  readonly repetitions?: number;
  /** Folder of downloaded data files (default `data`). */
  readonly dataDir?: string;
  /** Overrides of the scale's settings (`--set`), recorded with every result. */
  readonly overrides?: ScaleOverrides;
}

/** The cases of a run. */
export interface SelectedCases {
  /** Every case of the suite at the scale (what a resumed folder is checked against). */
  readonly expanded: readonly RunSpec[];
  /** The filtered cases, before sharding. */
  readonly filtered: readonly RunSpec[];
  /** The cases to run: filtered, then sharded, in grid order. */
  readonly selected: readonly RunSpec[];
}

/**
 * Expands, filters and shards a suite's cases.
 *
 * @param options scale, filter, shard, repetitions, data folder and overrides.
 * @returns every case, the filtered ones and the selected ones (possibly none).
 * @throws RunInputError for an invalid filter (`option` "filter"), or naming the suite, entry and
 *   key for an unknown id or key, a value of the wrong type or out of its declared range.
 */
export function selectCases(
  suite: SuiteDefinition,
  registries: Registries,
  options: CaseSelection,
): SelectedCases {
  let keep: (id: string) => boolean;
  try {
    keep = caseFilter(options.filter);
  } catch (e) {
    throw new RunInputError(`invalid regular expression: ${(e as Error).message}`, "filter");
  }
  let expanded: RunSpec[];
  try {
    expanded = expandSuite(suite, options.scale, registries, {
      repetitions: options.repetitions,
      dataDir: options.dataDir,
      overrides: options.overrides,
    });
  } catch (e) {
    throw new RunInputError(`suite "${suite.id}": ${(e as Error).message}`);
  }
  const filtered = expanded.filter((s) => keep(s.id));
  const selected = options.shard ? shardItems(filtered, options.shard) : filtered;
  return { expanded, filtered, selected };
}

/**
 * The error for a selection of no case, naming the option that emptied it.
 *
 * @returns undefined when cases are selected.
 */
export function emptySelection(
  suite: SuiteDefinition,
  cases: SelectedCases,
  options: CaseSelection,
): RunInputError | undefined {
  if (cases.selected.length > 0) return undefined;
  const { shard } = options;
  return shard && cases.filtered.length
    ? new RunInputError(
      `shard ${shard.index}/${shard.count} of ${cases.filtered.length} cases is empty`,
      "shard",
    )
    : new RunInputError(`"${options.filter}" matches no case of suite ${suite.id}`, "filter");
}
