/**
 * For the test files of WGSL kernels: the webgpu backend started once per file, or a note that the
 * tests are skipped where the machine has no WebGPU adapter.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend, probeAdapter } from "../backend/backend.ts";
import { countDeviceCalls } from "../backend/webgpu_queue.ts";

/**
 * Probes the adapter now; the function returned starts webgpu on its first call.
 *
 * @param what the tests, for the note, e.g. `the WGSL block linear tests`.
 * @returns a function that resolves to true with webgpu active, or false (with a note) where
 *   there is no adapter.
 */
export async function webgpuOnce(what: string): Promise<() => Promise<boolean>> {
  const adapter = await probeAdapter();
  let started: Promise<unknown> | undefined;
  return async () => {
    if (!adapter) {
      console.warn(`no WebGPU adapter here: ${what} are skipped`);
      return false;
    }
    started ??= initBackend("webgpu");
    await started;
    assert.equal(tf.getBackend(), "webgpu");
    return true;
  };
}

/**
 * A test of a WGSL kernel file: runs `fn` once `webgpu` (from {@linkcode webgpuOnce}) has started
 * the backend, and passes with its note where there is no adapter. The sanitizers are off: the
 * WebGPU device keeps resources and pending operations from one test to the next.
 */
export function webgpuTest(
  webgpu: () => Promise<boolean>,
  name: string,
  fn: () => void | Promise<void>,
): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if (await webgpu()) await fn();
    },
  });
}

/**
 * GPU programs dispatched while `f` runs (its result disposed): the count the WGSL kernel tests
 * assert, taken from the device-call window of `webgpu_queue.ts`.
 */
export function dispatchesOf(f: () => tf.Tensor | tf.Tensor[]): number {
  const calls = countDeviceCalls();
  try {
    tf.dispose(f());
  } finally {
    calls.close();
  }
  return calls.counts.dispatches;
}
