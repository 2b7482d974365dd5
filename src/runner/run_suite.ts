/**
 * Runs a suite programmatically: expand, filter, skip what is already completed, fan the rest out
 * over the worker pool. Prints nothing; writes `results.jsonl` only when `outDir` is given.
 *
 * @module
 */
import { type BackendChoice, type BackendRequest, chooseBackend } from "../backend/backend.ts";
import { createRegistries, type Registries } from "../registry.ts";
import { collectEnvironment } from "./environment.ts";
import { appendResult, dropPartialLastLine } from "./results_file.ts";
import { type PoolEvent, runPool } from "./pool.ts";
import type { ResultRecord } from "./result.ts";
import {
  expandSuite,
  filterSpecs,
  type RunSpec,
  type Scale,
  type SuiteDefinition,
} from "./suite.ts";

/** Options of {@linkcode runSuite}. */
export interface RunSuiteOptions {
  /** Scale to run: `smoke`, `small` or `paper`. */
  readonly scale: Scale;
  /** Case filter: `/regex/` or comma-separated substrings. */
  readonly filter?: string;
  /** Parallel workers; default: 1 on WebGPU, else min(2, cores). */
  readonly jobs?: number;
  /** Backend request (`auto` by default) or an already resolved choice. */
  readonly backend?: BackendRequest | BackendChoice;
  /** Override of the scale's repetitions. */
  readonly repetitions?: number;
  /** Folder of downloaded data files (default `data`). */
  readonly dataDir?: string;
  /** Ids already completed (skipped, e.g. on `--resume`). */
  readonly skip?: ReadonlySet<string>;
  /**
   * The exact cases to run, already expanded (e.g. by a caller that filtered or sharded them);
   * when given, `scale`'s expansion, `filter` and `repetitions` are not applied again.
   */
  readonly specs?: readonly RunSpec[];
  /**
   * Append each record to `outDir/results.jsonl` as it finishes (a last line cut off by an
   * earlier crash is dropped first).
   */
  readonly outDir?: string;
  /** Per-experiment wall-clock limit in ms; 0 or absent means none. */
  readonly timeoutMs?: number;
  /** Registries to resolve ids in (default: the built-in ones). */
  readonly registries?: Registries;
  /** Worker module; the default is `src/runner/worker.ts` beside this file. */
  readonly workerUrl?: URL | string;
  /** Commit id recorded in every result (the CLI passes `git rev-parse HEAD`); default null. */
  readonly gitCommit?: string | null;
  /** Called on every start, progress and finish, with cases done and total. */
  readonly onEvent?: (
    event: PoolEvent & { readonly done: number; readonly total: number },
  ) => void | Promise<void>;
  /** Aborts the run: running cases become `aborted`, unstarted ones are left out. */
  readonly signal?: AbortSignal;
}

/** What a run produced. */
export interface SuiteRun {
  /** The cases that were scheduled. */
  readonly specs: readonly RunSpec[];
  /** One record per case that ran, in case order. */
  readonly records: readonly ResultRecord[];
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

/** Runs the suite; resolves when every case has a record (or the signal aborted). */
export async function runSuite(
  suite: SuiteDefinition,
  options: RunSuiteOptions,
): Promise<SuiteRun> {
  const registries = options.registries ?? createRegistries();
  const specs = (options.specs ?? filterSpecs(
    expandSuite(suite, options.scale, registries, {
      repetitions: options.repetitions,
      dataDir: options.dataDir,
    }),
    options.filter,
  )).filter((s) => !options.skip?.has(s.id));
  const backend = typeof options.backend === "object"
    ? options.backend
    : await chooseBackend(options.backend ?? "auto");
  const jobs = suite.exclusive ? 1 : options.jobs ?? defaultJobs(backend);
  const environment = collectEnvironment(backend, options.gitCommit ?? null);
  // a line cut off by a crash would swallow the first new record: drop it before appending
  if (options.outDir) await dropPartialLastLine(options.outDir);
  let done = 0;
  const records = await runPool(specs, {
    jobs,
    environment,
    timeoutMs: options.timeoutMs,
    workerUrl: options.workerUrl,
    signal: options.signal,
    onEvent: async (event) => {
      if (event.type === "done") {
        done++;
        if (options.outDir) await appendResult(options.outDir, event.record);
      }
      await options.onEvent?.({ ...event, done, total: specs.length });
    },
  });
  return { specs, records, backend, jobs };
}
