/**
 * The experiment worker: receives one run spec, starts its own tfjs backend, runs the case and
 * posts the record back. Plain JSON crosses `postMessage` both ways.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { initBackend } from "../backend/backend.ts";
import { createRegistries, type Registries } from "../registry.ts";
import { failureKindOf } from "./failure.ts";
import { type CaseProgress, runCase } from "./run_case.ts";
import { type Environment, erroredResult, resultBase, type ResultRecord } from "./result.ts";
import type { RunSpec } from "./suite.ts";

/** Main → worker. */
export interface WorkerRequest {
  readonly spec: RunSpec;
  readonly environment: Environment;
  /** CPU threads this worker may use for native BLAS (cores ÷ concurrent jobs). */
  readonly threads?: number;
}

/** Worker → main. */
export type WorkerMessage =
  | { readonly type: "progress"; readonly id: string; readonly progress: CaseProgress }
  | { readonly type: "result"; readonly record: ResultRecord };

/** Handles one request in the current (worker) scope; exported so test workers can wrap it. */
export async function handleRequest(
  request: WorkerRequest,
  post: (m: WorkerMessage) => void,
  registries: Registries = createRegistries(),
): Promise<void> {
  const { spec } = request;
  let environment = request.environment;
  const started = new Date();
  try {
    const kernels = await initBackend(environment.backend.name, { blasThreads: request.threads });
    environment = { ...environment, kernels };
  } catch (e) {
    post({
      type: "result",
      record: erroredResult(
        resultBase(spec, environment, started),
        `backend ${environment.backend.name} failed to start: ${(e as Error).message}`,
        failureKindOf(e),
      ),
    });
    return;
  }
  const record = await runCase(spec, environment, registries, {
    onProgress: (progress) => post({ type: "progress", id: spec.id, progress }),
  });
  post({ type: "result", record });
}

// The worker does not close itself: in Deno a message posted right before `self.close()` can be
// lost (denoland/deno#11526), and a close in a `finally` also swallows an uncaught error, either
// of which left the pool waiting for a finished SE(3) case until its time limit. The pool
// terminates the worker once a record or an error arrives.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") {
  self.onmessage = (ev: MessageEvent<WorkerRequest>) => {
    handleRequest(ev.data, (m) => self.postMessage(m));
  };
}
