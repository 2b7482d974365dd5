/**
 * Runs a suite: the one path from a suite definition to its records, taken by `deno task bench`
 * and by library callers alike. Selects the cases ({@linkcode selectCases}: expand, filter,
 * shard), checks the output folder and skips what it already holds completed (`resume`), picks
 * the backend and the number of workers, fans the cases out over the worker pool, and writes the
 * results folder (`output.ts`). Prints nothing: what a person should know comes through
 * `onNote`, progress through `onEvent`.
 *
 * @module
 */
import { type BackendChoice, type BackendRequest, chooseBackend } from "../backend/backend.ts";
import { createRegistries, type Registries } from "../registry.ts";
import { collectEnvironment } from "./environment.ts";
import { RunInputError } from "./input_error.ts";
import {
  appendResult,
  finishOutput,
  inspectOutput,
  type OutputState,
  prepareOutput,
} from "./output.ts";
import { type PoolEvent, runPool } from "./pool.ts";
import { costliestFirst } from "./schedule.ts";
import type { ResultRecord } from "./result.ts";
import { type CaseSelection, emptySelection, selectCases } from "./select_cases.ts";
import type { RunSpec, SuiteDefinition } from "./suite.ts";

/** Options of {@linkcode runSuite}: which cases ({@linkcode CaseSelection}), where and how. */
export interface RunSuiteOptions extends CaseSelection {
  /** Parallel workers; default: 1 on WebGPU, else min(2, cores); always 1 for timing suites. */
  readonly jobs?: number;
  /** Backend request (`auto` by default) or an already resolved choice. */
  readonly backend?: BackendRequest | BackendChoice;
  /**
   * Results folder: each record is appended to its `results.jsonl` as it finishes, and the
   * views are written at the end. Without it nothing is written.
   */
  readonly out?: string;
  /** With `out`: keep the folder's results and run only the cases not completed there. */
  readonly resume?: boolean;
  /** Per-experiment wall-clock limit in ms; 0 or absent means none. */
  readonly timeoutMs?: number;
  /** Registries to resolve ids in (default: the built-in ones). */
  readonly registries?: Registries;
  /** Worker module; the default is `src/runner/worker.ts` beside this file. */
  readonly workerUrl?: URL | string;
  /** Commit id recorded in every result (the CLI passes `git rev-parse HEAD`); default null. */
  readonly gitCommit?: string | null;
  /** Called once the cases, folder, backend and workers are settled, before the first case. */
  readonly onStart?: (plan: RunPlan) => void;
  /** Called on every start, progress and finish, with cases done and total. */
  readonly onEvent?: (
    event: PoolEvent & { readonly done: number; readonly total: number },
  ) => void | Promise<void>;
  /** Receives notes for a person (a skipped partial line, `jobs` ignored, no report). */
  readonly onNote?: (note: string) => void;
  /** Aborts the run: running cases become `aborted`, unstarted ones are left out. */
  readonly signal?: AbortSignal;
}

/** What a run is about to do. */
export interface RunPlan {
  /** The cases to run now. */
  readonly todo: readonly RunSpec[];
  /** Selected cases the folder already holds completed (`resume`). */
  readonly completed: number;
  /** The backend, with the reason it was chosen. */
  readonly backend: BackendChoice;
  /** Parallel workers. */
  readonly jobs: number;
}

/** What a run produced. */
export interface SuiteRun {
  /** The cases that were scheduled (selected, less those already completed). */
  readonly specs: readonly RunSpec[];
  /** One record per case that ran, in case order. */
  readonly records: readonly ResultRecord[];
  /** The selected cases (filtered and sharded), whether they ran now or before. */
  readonly selected: readonly RunSpec[];
  /** A record for every selected case that has one (this run's or a resumed one), in case order. */
  readonly results: readonly ResultRecord[];
  /** The backend the cases ran on, with the reason it was chosen. */
  readonly backend: BackendChoice;
  /** Parallel workers used. */
  readonly jobs: number;
}

/** The default number of parallel workers for a backend. */
export function defaultJobs(backend: BackendChoice): number {
  if (backend.name === "webgpu") return 1;
  return Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
}

/**
 * Runs the suite; resolves when every selected case has a record (or the signal aborted).
 *
 * @param suite the suite definition.
 * @param options cases, output folder, backend, workers, hooks.
 * @returns the records of this run and of every selected case.
 * @throws RunInputError before anything is written: bad settings, a selection of no case, an
 *   unusable output folder, a backend that cannot start.
 */
export async function runSuite(
  suite: SuiteDefinition,
  options: RunSuiteOptions,
): Promise<SuiteRun> {
  const registries = options.registries ?? createRegistries();
  const note = options.onNote ?? (() => {});
  const cases = selectCases(suite, registries, options);
  const empty = emptySelection(suite, cases, options);
  if (empty) throw empty;
  if (options.resume && options.out === undefined) {
    throw new RunInputError("needs an output folder (out) to resume", "resume");
  }
  let output: OutputState | undefined;
  if (options.out !== undefined) {
    output = await inspectOutput(options.out, {
      resume: options.resume ?? false,
      suite: suite.id,
      scale: options.scale,
      expanded: cases.expanded,
    });
    output.notes.forEach(note);
  }
  let backend: BackendChoice;
  try {
    backend = typeof options.backend === "object"
      ? options.backend
      : await chooseBackend(options.backend ?? "auto");
  } catch (e) {
    throw new RunInputError((e as Error).message);
  }
  if (output) await prepareOutput(output);

  const previous = output?.previous ?? [];
  const completed = new Set(previous.filter((r) => r.state === "completed").map((r) => r.id));
  const todo = cases.selected.filter((s) => !completed.has(s.id));
  if (suite.exclusive && options.jobs && options.jobs > 1) {
    note(`suite ${suite.id} times its cases, so they run one at a time (--jobs ignored)`);
  }
  const jobs = suite.exclusive ? 1 : options.jobs ?? defaultJobs(backend);
  const alreadyDone = cases.selected.length - todo.length;
  options.onStart?.({ todo, completed: alreadyDone, backend, jobs });

  const environment = collectEnvironment(backend, options.gitCommit ?? null);
  let done = 0;
  // Parallel lanes start the costliest cases first; one lane keeps the suite's order.
  const order = jobs > 1 ? costliestFirst(todo, registries) : todo;
  const finished = await runPool(order, {
    jobs,
    environment,
    timeoutMs: options.timeoutMs,
    workerUrl: options.workerUrl,
    signal: options.signal,
    onEvent: async (event) => {
      if (event.type === "done") {
        done++;
        if (output) await appendResult(output.dir, event.record);
      }
      await options.onEvent?.({ ...event, done, total: todo.length });
    },
  });
  const finishedById = new Map(finished.map((r) => [r.id, r]));
  const records = todo.flatMap((s) => finishedById.has(s.id) ? [finishedById.get(s.id)!] : []);
  const byId = new Map<string, ResultRecord>(previous.map((r) => [r.id, r]));
  for (const r of records) byId.set(r.id, r);
  const results = cases.selected.flatMap((s) => (byId.has(s.id) ? [byId.get(s.id)!] : []));
  if (output) {
    // Resumed cases this run's filter or shard left out stay in the folder.
    const ran = new Set(cases.selected.map((s) => s.id));
    const kept = previous.filter((r) => !ran.has(r.id));
    const noReport = await finishOutput(output.dir, [...output.others, ...kept, ...results], {
      title: `${suite.id} (${options.scale})`,
      ratios: suite.ratios,
      reference: suite.reference,
      registries,
    });
    if (noReport) note(`no report.html: ${noReport}`);
  }
  return { specs: todo, records, selected: cases.selected, results, backend, jobs };
}
