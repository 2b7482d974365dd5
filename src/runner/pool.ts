/**
 * The worker pool: one fresh Web Worker per experiment, at most `jobs` at a time. A worker that
 * throws, dies or runs past its time limit becomes an `errored` record; the others go on. An
 * abort terminates the running workers and records them as `aborted`.
 *
 * @module
 */
import { type Environment, erroredResult, resultBase, type ResultRecord } from "./result.ts";
import { runtimeFailureKind } from "./failure.ts";
import type { CaseProgress } from "./run_case.ts";
import type { RunSpec } from "./suite.ts";
import type { WorkerMessage, WorkerRequest } from "./worker.ts";

/** What the pool reports while it runs. */
export type PoolEvent =
  | { readonly type: "start"; readonly spec: RunSpec }
  | { readonly type: "progress"; readonly spec: RunSpec; readonly progress: CaseProgress }
  | { readonly type: "done"; readonly spec: RunSpec; readonly record: ResultRecord };

/** Options of {@linkcode runPool}. */
export interface PoolOptions {
  /** Experiments at once (≥ 1). */
  readonly jobs: number;
  readonly environment: Environment;
  /** CPU threads each worker may use for native BLAS (default: cores ÷ jobs, at least 1). */
  readonly threadsPerJob?: number;
  /** Per-experiment wall-clock limit in ms; 0 = none. */
  readonly timeoutMs?: number;
  /** Worker module (tests substitute their own). */
  readonly workerUrl?: URL | string;
  readonly onEvent?: (event: PoolEvent) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

const DEFAULT_WORKER = new URL("./worker.ts", import.meta.url);

function runOne(spec: RunSpec, options: PoolOptions): Promise<ResultRecord> {
  const started = new Date();
  const base = () => resultBase(spec, options.environment, started);
  return new Promise((resolve) => {
    const worker = new Worker(options.workerUrl ?? DEFAULT_WORKER, { type: "module" });
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (record: ResultRecord) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      worker.terminate();
      resolve(record);
    };
    const onAbort = () => finish({ ...base(), state: "aborted", reason: "interrupted" });
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.timeoutMs) {
      timer = setTimeout(
        () =>
          finish(
            erroredResult(base(), `timed out after ${options.timeoutMs! / 1000} s`, "timeout"),
          ),
        options.timeoutMs,
      );
    }
    worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      const m = ev.data;
      if (m.type === "progress") {
        options.onEvent?.({ type: "progress", spec, progress: m.progress });
      } else if (m.type === "result") finish(m.record);
    };
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      // the worker's own error is gone with it: its message is all there is
      const kind = runtimeFailureKind(ev.message) ?? "worker-died";
      finish(erroredResult(base(), `worker died: ${ev.message}`, kind));
    };
    worker.onmessageerror = () =>
      finish(erroredResult(base(), "worker sent an unreadable message", "exception"));
    const threads = options.threadsPerJob ??
      Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / options.jobs));
    const request: WorkerRequest = { spec, environment: options.environment, threads };
    worker.postMessage(request);
  });
}

/**
 * Runs every spec, at most `jobs` at a time, and resolves to their records in spec order.
 * Specs not started when the signal aborts are left out.
 */
export async function runPool(
  specs: readonly RunSpec[],
  options: PoolOptions,
): Promise<ResultRecord[]> {
  if (!Number.isInteger(options.jobs) || options.jobs < 1) {
    throw new Error(`jobs must be a positive integer, got ${options.jobs}`);
  }
  const results = new Map<string, ResultRecord>();
  let next = 0;
  const lane = async () => {
    while (next < specs.length && !options.signal?.aborted) {
      const spec = specs[next++];
      await options.onEvent?.({ type: "start", spec });
      const record = await runOne(spec, options);
      results.set(spec.id, record);
      await options.onEvent?.({ type: "done", spec, record });
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, specs.length) }, lane));
  return specs.flatMap((s) => results.has(s.id) ? [results.get(s.id)!] : []);
}
