/**
 * The queue side of tfjs-backend-webgpu, as the profiler and the backend set-up need it: how many
 * kernels go into one command buffer before it is submitted (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`,
 * a recorded setting), flushing the pending commands and waiting for the GPU to finish them
 * (the time until the queue is drained), and whether the device can time kernels
 * (`timestamp-query`).
 *
 * The uniform blocks and bind groups tfjs-webgpu makes per kernel are cached by
 * `webgpu_bind_cache.ts`; what is left per kernel is the encoding, and per command buffer its
 * `finish`, its submit and the first kernel of the next one.
 *
 * @module
 */
import { tf } from "../tf.ts";

/** tfjs-webgpu's default: a command buffer is submitted after this many kernels. */
export const TFJS_SUBMIT_BATCH = 15;

/**
 * The project's default submit batch. Every command buffer costs the host, outside
 * `queue.submit` itself, its `finish` (~150 µs) and a slower first kernel in the next one (+~140
 * µs): measured on llvmpipe (README, "Performance on WebGPU"), the cost suite's host-bound
 * Transformer step takes 42–52 ms of host time outside submits at 15 kernels a buffer and 25–32
 * ms at 200 (GATr 155–169 → 111–123 ms). Training submits at the end of every step anyway, and
 * steps are queued without a readback, so the GPU still runs one step while the host records the
 * next; what a large batch costs is memory (released buffers go back to the pool only at a submit)
 * and, where a step is read back (GradNorm), the GPU starting after the first 200 kernels.
 */
export const DEFAULT_SUBMIT_BATCH = 200;

/** The environment variable that sets the submit batch in every thread (workers included). */
export const SUBMIT_BATCH_ENV = "REMUL_WEBGPU_SUBMIT_BATCH";

/** What the profiler and the set-up use of tfjs-webgpu's backend object (not public API). */
export interface WebGpuBackendInternals {
  readonly device: GPUDevice;
  readonly queue: GPUQueue;
  readonly commandEncoder: GPUCommandEncoder | null;
  readonly supportTimestampQuery: boolean;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

function webgpuBackend(): WebGpuBackendInternals | null {
  if (tf.getBackend() !== "webgpu") return null;
  return tf.backend() as unknown as WebGpuBackendInternals;
}

/**
 * Parses a submit batch size given as a flag or environment value.
 *
 * @param source names the flag or variable in the error.
 * @throws Error naming `source` when the value is not an integer ≥ 1.
 */
export function parseSubmitBatch(value: string | number, source: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `${source}: expected an integer ≥ 1 (kernels per command buffer), got "${value}"`,
    );
  }
  return n;
}

/**
 * Sets how many kernels tfjs-webgpu records before it submits a command buffer; call after the
 * backend module is loaded. `undefined` takes `REMUL_WEBGPU_SUBMIT_BATCH` or
 * {@linkcode DEFAULT_SUBMIT_BATCH}.
 *
 * @returns one line for the record of the run's settings.
 * @throws Error when the value (or the environment variable) is not an integer ≥ 1.
 */
export function setWebGpuSubmitBatch(kernels?: number): string {
  let n = kernels;
  let source = "setting";
  if (n === undefined) {
    const env = Deno.env.get(SUBMIT_BATCH_ENV);
    if (env !== undefined && env !== "") {
      n = parseSubmitBatch(env, SUBMIT_BATCH_ENV);
      source = SUBMIT_BATCH_ENV;
    } else {
      n = DEFAULT_SUBMIT_BATCH;
      source = "default";
    }
  } else n = parseSubmitBatch(n, "webgpuSubmitBatch");
  tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", n);
  return `WebGPU command buffers: submitted every ${n} kernels (${source}; tfjs's own ${TFJS_SUBMIT_BATCH})`;
}

/** The submit batch in force (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`), or null off webgpu. */
export function webGpuSubmitBatch(): number | null {
  if (!webgpuBackend()) return null;
  return Number(tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE"));
}

/**
 * Submits the kernels tfjs-webgpu has recorded but not yet submitted, without waiting; nothing
 * off webgpu. The training loop calls it at the end of every step, so that each step's command
 * buffers start at the step's first kernel: buffers then go back to tfjs's pool at the same
 * points of every step, the pool hands the same buffers to the same kernels, and their bind
 * groups come from the cache (`webgpu_bind_cache.ts`). Costs one submit a step at most.
 */
export function submitPending(): void {
  const b = webgpuBackend();
  if (!b?.commandEncoder) return;
  b.endComputePassEncoder();
  b.submitQueue();
}

/**
 * Submits the kernels tfjs-webgpu has recorded but not yet submitted and waits until the GPU has
 * finished all submitted work. Resolves at once on other backends (their kernels have run when
 * they return). Under Deno the wait polls and sleeps, so it costs at least ~10 ms.
 */
export async function drainQueue(): Promise<void> {
  const b = webgpuBackend();
  if (!b) return;
  submitPending();
  await b.queue.onSubmittedWorkDone();
}

/**
 * How the active backend's kernel times are measured: GPU timestamps (`timestamp-query`), none
 * (a WebGPU device without the feature), or host time around each kernel (wasm, cpu).
 */
export function kernelTiming(): "gpu-timestamps" | "unavailable" | "host" {
  const b = webgpuBackend();
  if (!b) return "host";
  return b.supportTimestampQuery ? "gpu-timestamps" : "unavailable";
}

/** Counts of device calls made while a {@linkcode countDeviceCalls} window was open. */
export interface DeviceCallCounts {
  /**
   * Tensor reads (`data()`, `dataSync()`, `array()`: the engine's `read`/`readSync`). Reads a
   * backend makes of its own host-resident values (tfjs-webgpu's small Concat on the CPU) are
   * not counted; on webgpu a read that waits for the GPU also shows as a buffer map.
   */
  reads: number;
  /** `GPUQueue.submit` calls (command buffers handed to the GPU); 0 off webgpu. */
  submits: number;
  /** `GPUBuffer.mapAsync` calls (each waits for the GPU); 0 off webgpu. */
  maps: number;
  /**
   * Bind groups created (`GPUDevice.prototype.createBindGroup`; with the bind-group cache of
   * `webgpu_bind_cache.ts`, only its misses); 0 off webgpu.
   */
  bindGroups: number;
  /** `GPUDevice.createBuffer` calls; 0 off webgpu. */
  buffers: number;
  /** Compute dispatches (`dispatchWorkgroups`): the kernels that reach the GPU; 0 off webgpu. */
  dispatches: number;
  /** `GPUQueue.writeBuffer` calls (uniform blocks and uploads); 0 off webgpu. */
  writes: number;
  /**
   * Buffer-to-buffer copies recorded (`GPUCommandEncoder.copyBufferToBuffer`: the project's copy
   * kernels, Adam's flat vector, copy-outs of packed outputs, tfjs's own); 0 off webgpu.
   */
  copies: number;
  /**
   * Compute passes begun (`beginComputePass`); a copy ends the pass, so the next dispatch begins
   * another. 0 off webgpu.
   */
  passes: number;
  /**
   * Host time inside `GPUQueue.submit`, ms. On a software adapter (llvmpipe) this is where the
   * kernels run; the host time outside it is what a real GPU's host would also spend.
   */
  submitMs: number;
  /**
   * Time with an asynchronous read (`data()`) waiting for its result, ms, less the submits made
   * meanwhile (counted in `submitMs`).
   */
  readWaitMs: number;
}

type Obj = Record<PropertyKey, unknown>;

/**
 * Wraps `obj[key]` to call `count` first, with the call's arguments; returns the restore (the
 * device-call counters here, and the step recorder of `webgpu_step_replay.ts`). `nest` guards
 * reentry; `"timed"` instead calls `count` after the call with the milliseconds it took.
 */
export function wrapMethod(
  obj: Obj,
  key: string,
  count: (ms: number, args: unknown[]) => void,
  nest?: { depth: number } | "timed",
): () => void {
  const own = Object.getOwnPropertyDescriptor(obj, key);
  const original = obj[key] as (...a: unknown[]) => unknown;
  if (typeof original !== "function") return () => {};
  obj[key] = function (this: unknown, ...args: unknown[]) {
    if (nest === "timed") {
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        count(performance.now() - t, args);
      }
    }
    if (!nest) {
      count(0, args);
      return original.apply(this, args);
    }
    // a read inside a read (a backend's read() that calls readSync()) is one read
    if (nest.depth === 0) count(0, args);
    nest.depth++;
    try {
      return original.apply(this, args);
    } finally {
      nest.depth--;
    }
  };
  return () => {
    if (own) Object.defineProperty(obj, key, own);
    else delete obj[key];
  };
}

/**
 * While open, attributes every compute dispatch to the kernel that made it, when tfjs profiles
 * kernels (`tf.profile`: the engine then runs each kernel through its profiler, which is where
 * the kernel's name is known). Nested kernels count for the innermost. Nothing off webgpu.
 *
 * @returns the counts by kernel name so far, and `close()` (restores what it wrapped).
 */
export function attributeDispatches(): { byKernel: Map<string, number>; close(): void } {
  const byKernel = new Map<string, number>();
  const pass = (globalThis as unknown as Record<string, { prototype: Obj } | undefined>)
    .GPUComputePassEncoder?.prototype;
  const profiler = (tf.engine() as unknown as { profiler?: Obj }).profiler;
  if (!webgpuBackend() || !pass || !profiler) return { byKernel, close() {} };
  const names: string[] = [];
  const ownProfile = Object.getOwnPropertyDescriptor(profiler, "profileKernel");
  const profileKernel = profiler.profileKernel as (name: string, ...rest: unknown[]) => unknown;
  profiler.profileKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    names.push(name);
    try {
      return profileKernel.call(this, name, ...rest);
    } finally {
      names.pop();
    }
  };
  const restoreDispatch = wrapMethod(pass, "dispatchWorkgroups", () => {
    const name = names.at(-1) ?? "(outside a kernel)";
    byKernel.set(name, (byKernel.get(name) ?? 0) + 1);
  });
  let open = true;
  return {
    byKernel,
    close() {
      if (!open) return;
      open = false;
      restoreDispatch();
      if (ownProfile) Object.defineProperty(profiler, "profileKernel", ownProfile);
      else delete profiler.profileKernel;
    },
  };
}

/**
 * Wraps the engine's asynchronous `read` to report the time during which at least one read is
 * waiting (overlapping reads count once); returns the restore.
 */
function timeReads(
  engine: Obj,
  add: (ms: number) => void,
  state: { pending: number },
): () => void {
  const own = Object.getOwnPropertyDescriptor(engine, "read");
  const original = engine.read as (...a: unknown[]) => Promise<unknown>;
  let since = 0;
  engine.read = function (this: unknown, ...args: unknown[]) {
    if (state.pending++ === 0) since = performance.now();
    const settle = () => {
      if (--state.pending === 0) add(performance.now() - since);
    };
    let result: Promise<unknown>;
    try {
      result = original.apply(this, args);
    } catch (e) {
      settle();
      throw e;
    }
    return Promise.resolve(result).finally(settle);
  };
  return () => {
    if (own) Object.defineProperty(engine, "read", own);
    else delete engine.read;
  };
}

/**
 * Opens a window that counts the active backend's reads and, on webgpu, its submits, buffer maps,
 * bind groups and buffers. Call `close()` to stop counting (restores every wrapped method).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { countDeviceCalls } from "./webgpu_queue.ts";
 * await tf.setBackend("cpu");
 * const w = countDeviceCalls();
 * const x = tf.scalar(2);
 * await x.data();
 * x.dispose();
 * w.close();
 * if (w.counts.reads !== 1) throw new Error(`${w.counts.reads}`);
 * ```
 */
export function countDeviceCalls(): { counts: DeviceCallCounts; close(): void } {
  const counts: DeviceCallCounts = {
    reads: 0,
    submits: 0,
    maps: 0,
    bindGroups: 0,
    buffers: 0,
    dispatches: 0,
    writes: 0,
    copies: 0,
    passes: 0,
    submitMs: 0,
    readWaitMs: 0,
  };
  const engine = tf.engine() as unknown as Obj;
  const nest = { depth: 0 };
  const reading = { pending: 0 };
  const restore = [
    wrapMethod(engine, "read", () => counts.reads++, nest),
    wrapMethod(engine, "readSync", () => counts.reads++, nest),
    timeReads(engine, (ms) => counts.readWaitMs += ms, reading),
  ];
  const gpu = webgpuBackend();
  if (gpu) {
    restore.push(wrapMethod(gpu.queue as unknown as Obj, "submit", (ms) => {
      counts.submits++;
      counts.submitMs += ms;
      // a submit while a read waits: its time is the submit's, not the wait's
      if (reading.pending > 0) counts.readWaitMs -= ms;
    }, "timed"));
    restore.push(wrapMethod(gpu.queue as unknown as Obj, "writeBuffer", () => counts.writes++));
    const g = globalThis as unknown as Record<string, { prototype: Obj } | undefined>;
    const device = g.GPUDevice?.prototype ?? gpu.device as unknown as Obj;
    restore.push(wrapMethod(device, "createBindGroup", () => counts.bindGroups++));
    restore.push(wrapMethod(gpu.device as unknown as Obj, "createBuffer", () => counts.buffers++));
    const pass = g.GPUComputePassEncoder?.prototype;
    if (pass) restore.push(wrapMethod(pass, "dispatchWorkgroups", () => counts.dispatches++));
    const encoder = g.GPUCommandEncoder?.prototype;
    if (encoder) {
      restore.push(wrapMethod(encoder, "copyBufferToBuffer", () => counts.copies++));
      restore.push(wrapMethod(encoder, "beginComputePass", () => counts.passes++));
    }
    const proto = g.GPUBuffer?.prototype;
    if (proto) restore.push(wrapMethod(proto, "mapAsync", () => counts.maps++));
  }
  let open = true;
  return {
    counts,
    close() {
      if (!open) return;
      open = false;
      for (const r of restore.reverse()) r();
    },
  };
}
