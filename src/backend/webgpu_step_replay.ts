/**
 * A training step recorded once as WebGPU commands and replayed with new inputs, without tfjs.
 *
 * On a real GPU a training step's kernels take microseconds and the host's work per kernel (tfjs's
 * engine and tape, the kernels' JavaScript, the uniform block, the bind group, the encoding) is
 * the step. A training step runs the same kernels on the same shapes every step; with the
 * bind-group cache (`webgpu_bind_cache.ts`) and the oldest-first buffer pool
 * (`webgpu_buffer_pool.ts`) it even binds the same buffers, Adam writes the weights in place
 * (`webgpu_adam.ts`) and GradNorm its task weights ({@linkcode copyInto}). What changes from step to step is the batch, the sampled group elements and
 * Adam's bias corrections: values the training loop makes on the host as tensors of their own.
 * So, as a CUDA graph does, {@linkcode StepReplay} records what a step asks of the device (compute
 * passes, pipelines, bind groups, dispatches, buffer copies, queue writes and submits) and then
 * issues the same commands each step, writing the new inputs' values where the recorded step
 * uploaded the old ones.
 *
 * **When a recording is used.** Two consecutive steps are recorded (the first after `warmup`
 * steps). They must ask the same of the device: the same commands with the same pipelines and
 * sizes; the same buffers where a buffer outlives the step (weights, moments, constants, uniform
 * blocks), and buffers that correspond one to one where it does not (the step's temporaries);
 * writes at the same places, with the same bytes unless they upload a declared input. The second
 * recording is then replayed. Nothing read back, no GPU timestamps and no other command buffer
 * may occur in a recorded step; no buffer that the step frees may be read before the step writes
 * it (it would hold a value from before the step): every upload must be a queue write, as the
 * project's uploads are (`webgpu_upload.ts`, new buffers included; an upload into a buffer filled
 * while mapped made the SE(3)-Transformer's replayed steps read a stale constant, and is what this
 * check rejects). A recording that does not qualify is dropped, and another pair
 * is tried, up to `attempts` times; after that the steps run through tfjs as before, and
 * {@linkcode StepReplay.status} says why. The comparison is what shows that a value made on the
 * host inside the step, other than a declared input, is a constant: a value that changed only
 * every hundredth step (a learning-rate schedule, say) would not be seen; none of the project's
 * steps makes one, and a new one must be declared as an input.
 *
 * **What a replay may rely on, checked before each one.** The step's temporaries are taken out of
 * the buffer pool (nothing else can be given them). Every other buffer it uses must still be the
 * one it was: not destroyed, not gone back to the pool since (`bufferReleases`), and each
 * state tensor (the parameters, GradNorm's task weights) still holding it, with no other tensor
 * sharing its data (Adam and GradNorm write them in place). A state tensor that got another buffer
 * during a recorded step (replaced instead of updated in place, because its data was shared then)
 * makes the recording unusable: the commands would read the old buffer. Anything else (a
 * parameter assigned, a clone kept, the optimiser disposed) drops the recording
 * and the step runs through tfjs, which may record again.
 *
 * Results are bit-identical with replay on and off (tested in child processes for the models
 * with WebGPU kernels); `REMUL_WEBGPU_REPLAY=0` turns it off.
 *
 * @module
 */
import { envSwitch } from "./_env_switch.ts";
import { bindGroupDescriptor, bufferDestroyed } from "./webgpu_bind_cache.ts";
import {
  type BufferPool,
  bufferReleases,
  bufferState,
  takeFreeBuffer,
} from "./webgpu_buffer_pool.ts";
import { tf } from "../tf.ts";
import { submitPending, wrapMethod } from "./webgpu_queue.ts";
import { copyElements, copyOut as copyOutOnGpu, type TensorInfo } from "./_webgpu_program.ts";

/** Environment switch of step replay (`0` off, `1` on; default on). */
export const STEP_REPLAY_ENV = "REMUL_WEBGPU_REPLAY";

/**
 * The line for the record of a run's backend settings; checks the environment switch.
 *
 * @throws Error when `REMUL_WEBGPU_REPLAY` is neither 0 nor 1.
 */
export function describeStepReplay(): string {
  const { on, source } = envSwitch(STEP_REPLAY_ENV);
  return on
    ? "WebGPU training steps: two recorded after two, and the rest replayed as recorded " +
      `commands, bit-identical (${source})`
    : `WebGPU training steps: every step through tfjs (${source})`;
}

/** A tensor as the replay sees it. */
export interface ReplayTensor {
  readonly dataId: object;
}

/** A step's output: a tensor the recording may keep (its loss). */
export type ReplayOutput = tf.Tensor;

/** One recorded call. */
type Op =
  | { readonly k: "pass" }
  | { readonly k: "pipeline"; readonly pipeline: GPUComputePipeline }
  | { readonly k: "group"; readonly index: number; readonly group: GPUBindGroup }
  | { readonly k: "dispatch"; readonly x: number; readonly y: number; readonly z: number }
  | { readonly k: "end" }
  | {
    readonly k: "copy";
    readonly src: GPUBuffer;
    readonly srcOffset: number;
    readonly dst: GPUBuffer;
    readonly dstOffset: number;
    readonly size: number;
  }
  | { readonly k: "submit" }
  | {
    readonly k: "write";
    readonly buffer: GPUBuffer;
    readonly offset: number;
    /** The bytes written (for an input, the recorded step's). */
    readonly bytes: Uint8Array;
    /** Which declared input this uploads, or -1. */
    readonly input: number;
  };

/** A recorded step. */
interface Recording {
  readonly ops: Op[];
  /** Buffers the step used that were free in the pool when it ended. */
  readonly temporaries: Set<GPUBuffer>;
  /** Every other buffer it used, with its release count then (-1: not the pool's). */
  readonly held: Map<GPUBuffer, number>;
  /** The step's output (kept: its buffer is the recording's). */
  readonly output: ReplayOutput;
  readonly outputBuffer: GPUBuffer;
  /** Each state tensor's buffer (the parameters, and state the trainer updates in place). */
  readonly state: GPUBuffer[];
}

/** What tfjs-webgpu's backend offers the replay (not public API). */
interface Internals {
  readonly device: GPUDevice;
  readonly queue: GPUQueue;
  readonly bufferManager: BufferPool;
  readonly tensorMap: {
    get(dataId: object): { resource: unknown; values: unknown; refCount: number } | undefined;
  };
  readonly commandEncoder: GPUCommandEncoder | null;
  makeTensorInfo(shape: number[], dtype: string): { dataId: object };
  activeTimers?: unknown;
  uploadToGPU(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** How a {@linkcode StepReplay} stands. */
export type ReplayStatus =
  | { readonly state: "off"; readonly reason: string }
  | {
    readonly state: "warming";
    readonly steps: number;
    /** Why a recording that was replayed was dropped, if one was. */
    readonly dropped?: string;
    /** Why the last recording compared did not qualify, if one did not. */
    readonly rejected?: string;
  }
  | { readonly state: "recording" }
  | { readonly state: "replaying"; readonly since: number; readonly replayed: number };

type Obj = Record<PropertyKey, unknown>;

/** Why a recorded step cannot be replayed. */
class NotReplayable extends Error {}

/** Wraps `obj[key]` with `before`, given the call's arguments; returns the restore. */
const wrap = (obj: Obj, key: string, before: (args: unknown[]) => void) =>
  wrapMethod(obj, key, (_, args) => before(args));

/** Records the device calls of one step; `stop()` restores what it wrapped. */
class Recorder {
  readonly ops: Op[] = [];
  failure: string | undefined;
  #uploading: object | undefined;
  readonly #restore: (() => void)[] = [];

  constructor(backend: Internals, inputs: readonly ReplayTensor[]) {
    const g = globalThis as unknown as Record<string, { prototype: Obj } | undefined>;
    const pass = g.GPUComputePassEncoder!.prototype;
    const encoder = g.GPUCommandEncoder!.prototype;
    const queue = backend.queue as unknown as Obj;
    const fail = (why: string) => () => (this.failure ??= why);
    const ids = inputs.map((t) => t.dataId);
    const r = this.#restore;
    r.push(wrap(encoder, "beginComputePass", ([d]) => {
      if ((d as GPUComputePassDescriptor | undefined)?.timestampWrites) {
        this.failure ??= "a compute pass writes GPU timestamps";
      }
      this.ops.push({ k: "pass" });
    }));
    r.push(wrap(pass, "setPipeline", ([p]) => {
      this.ops.push({ k: "pipeline", pipeline: p as GPUComputePipeline });
    }));
    r.push(wrap(pass, "setBindGroup", ([index, group, offsets]) => {
      if (offsets !== undefined && (offsets as ArrayLike<number>).length > 0) {
        this.failure ??= "a bind group with dynamic offsets";
      }
      this.ops.push({ k: "group", index: index as number, group: group as GPUBindGroup });
    }));
    r.push(wrap(pass, "dispatchWorkgroups", ([x, y, z]) => {
      this.ops.push({
        k: "dispatch",
        x: x as number,
        y: (y ?? 1) as number,
        z: (z ?? 1) as number,
      });
    }));
    r.push(wrap(pass, "end", () => this.ops.push({ k: "end" })));
    r.push(wrap(encoder, "copyBufferToBuffer", ([src, srcOffset, dst, dstOffset, size]) => {
      this.ops.push({
        k: "copy",
        src: src as GPUBuffer,
        srcOffset: srcOffset as number,
        dst: dst as GPUBuffer,
        dstOffset: dstOffset as number,
        size: size as number,
      });
    }));
    r.push(wrap(queue, "submit", ([buffers]) => {
      if ((buffers as unknown[]).length !== 1) {
        this.failure ??= "a submit of several command buffers";
      }
      this.ops.push({ k: "submit" });
    }));
    r.push(wrap(queue, "writeBuffer", ([buffer, offset, data, dataOffset, size]) => {
      const view = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data as ArrayBuffer);
      const elem = ArrayBuffer.isView(data) && "BYTES_PER_ELEMENT" in data
        ? (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT
        : 1;
      const from = ((dataOffset as number | undefined) ?? 0) * elem;
      const bytes = size === undefined
        ? view.slice(from)
        : view.slice(from, from + (size as number) * elem);
      const input = this.#uploading === undefined ? -1 : ids.indexOf(this.#uploading);
      this.ops.push({
        k: "write",
        buffer: buffer as GPUBuffer,
        offset: offset as number,
        bytes,
        input,
      });
    }));
    // an upload's writes belong to the tensor being uploaded
    const b = backend as unknown as Obj;
    const own = Object.getOwnPropertyDescriptor(b, "uploadToGPU");
    const upload = b.uploadToGPU as (dataId: object) => void;
    b.uploadToGPU = (dataId: object) => {
      const outer = this.#uploading;
      this.#uploading = dataId;
      try {
        upload.call(backend, dataId);
      } finally {
        this.#uploading = outer;
      }
    };
    r.push(() => {
      if (own) Object.defineProperty(b, "uploadToGPU", own);
      else delete b.uploadToGPU;
    });
    const buffer = g.GPUBuffer!.prototype;
    r.push(wrap(buffer, "mapAsync", fail("a buffer is read back")));
    r.push(wrap(queue, "onSubmittedWorkDone", fail("the step waits for the GPU")));
    r.push(wrap(encoder, "clearBuffer", fail("a buffer is cleared")));
    r.push(wrap(encoder, "resolveQuerySet", fail("a query set is resolved")));
    r.push(wrap(encoder, "writeTimestamp", fail("a timestamp is written"))); // if it exists
  }

  stop(): void {
    for (const restore of this.#restore.reverse()) restore();
    this.#restore.length = 0;
  }
}

/** The buffers `op` uses. */
function buffersOf(op: Op): GPUBuffer[] {
  switch (op.k) {
    case "copy":
      return [op.src, op.dst];
    case "write":
      return [op.buffer];
    case "group": {
      const d = bindGroupDescriptor(op.group);
      if (!d) throw new NotReplayable("a bind group the cache did not make");
      return [...d.entries].map((e) => {
        const buffer = (e.resource as GPUBufferBinding).buffer;
        if (!(buffer instanceof GPUBuffer)) {
          throw new NotReplayable("a bind group binds something other than a buffer");
        }
        return buffer;
      });
    }
    default:
      return [];
  }
}

/**
 * Whether `b` asks the same of the device as `a`: buffers in `held` must be the same, the others
 * (temporaries, and the outputs) must correspond one to one. Returns the first difference.
 */
function firstDifference(
  a: readonly Op[],
  b: readonly Op[],
  sameObject: (x: GPUBuffer, y: GPUBuffer) => boolean,
): string | undefined {
  if (a.length !== b.length) return `${a.length} and ${b.length} device calls`;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    const at = `call ${i + 1} (${x.k})`;
    if (x.k !== y.k) return `${at}: ${x.k} and then ${y.k}`;
    switch (x.k) {
      case "pipeline":
        if (x.pipeline !== (y as typeof x).pipeline) return `${at}: another pipeline`;
        break;
      case "dispatch": {
        const z = y as typeof x;
        if (x.x !== z.x || x.y !== z.y || x.z !== z.z) return `${at}: another dispatch size`;
        break;
      }
      case "group": {
        const z = y as typeof x;
        if (x.index !== z.index) return `${at}: another bind group index`;
        if (x.group === z.group) break;
        const [dx, dz] = [bindGroupDescriptor(x.group), bindGroupDescriptor(z.group)];
        if (!dx || !dz) return `${at}: a bind group the cache did not make`;
        if (dx.layout !== dz.layout) return `${at}: another bind group layout`;
        const [ex, ez] = [[...dx.entries], [...dz.entries]];
        if (ex.length !== ez.length) return `${at}: another number of bindings`;
        for (let j = 0; j < ex.length; j++) {
          const [rx, rz] = [ex[j].resource as GPUBufferBinding, ez[j].resource as GPUBufferBinding];
          if (
            ex[j].binding !== ez[j].binding || (rx.offset ?? 0) !== (rz.offset ?? 0) ||
            rx.size !== rz.size || !sameObject(rx.buffer, rz.buffer)
          ) return `${at}: binding ${ex[j].binding} differs`;
        }
        break;
      }
      case "copy": {
        const z = y as typeof x;
        if (
          x.srcOffset !== z.srcOffset || x.dstOffset !== z.dstOffset || x.size !== z.size ||
          !sameObject(x.src, z.src) || !sameObject(x.dst, z.dst)
        ) return `${at}: another copy`;
        break;
      }
      case "write": {
        const z = y as typeof x;
        if (x.input !== z.input) return `${at}: another input`;
        if (x.offset !== z.offset || x.bytes.length !== z.bytes.length) {
          return `${at}: another place or size`;
        }
        if (!sameObject(x.buffer, z.buffer)) return `${at}: another buffer`;
        if (x.input < 0 && !x.bytes.every((v, j) => v === z.bytes[j])) {
          return `${at}: other bytes, not from a declared input (a value made on the host each step)`;
        }
        break;
      }
    }
  }
  return undefined;
}

/** Whether tfjs is profiling kernels (`tf.profile`): they must run through its engine then. */
function profiling(): boolean {
  return (tf.engine() as unknown as { state: { profiling: boolean } }).state.profiling;
}

/** The bytes of a host tensor's values, or undefined when it has none on the host. */
function hostBytes(backend: Internals, t: ReplayTensor): Uint8Array | undefined {
  const v = backend.tensorMap.get(t.dataId)?.values;
  if (!ArrayBuffer.isView(v)) return undefined;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/**
 * A copy of `t` in a buffer of its own (a buffer copy on webgpu: exact, whatever the values;
 * elsewhere a clone, which shares the data: only webgpu's Adam writes weights in place).
 */
export function copyTensor(t: tf.Tensor): tf.Tensor {
  const backend = tf.backend() as unknown as Internals;
  if (tf.getBackend() !== "webgpu" || t.size === 0) return t.clone();
  const info = copyOutOnGpu(
    backend as never,
    { dataId: t.dataId, shape: t.shape, dtype: t.dtype as "float32" | "int32" } as TensorInfo,
    0,
    t.shape,
    t.dtype as "float32" | "int32",
  );
  return tf.engine().makeTensorFromTensorInfo(info as never);
}

/**
 * Copies `src` into `dst`'s own buffer on webgpu (a buffer copy, recorded after whatever reads
 * `dst` before it) and returns true; false, and nothing done, elsewhere or when another tensor
 * shares `dst`'s data. For state that a step replaces (GradNorm's task weights): kept in one
 * buffer, it can be replayed.
 *
 * @throws Error when the two differ in shape or dtype.
 */
export function copyInto(src: tf.Tensor, dst: tf.Tensor): boolean {
  if (src.dtype !== dst.dtype || src.size !== dst.size) {
    throw new Error(`copyInto: ${src.dtype} [${src.shape}] into ${dst.dtype} [${dst.shape}]`);
  }
  if (tf.getBackend() !== "webgpu" || src.size === 0) return false;
  const backend = tf.backend() as unknown as Internals;
  if (backend.tensorMap.get(dst.dataId)?.refCount !== 1) return false;
  const info = (t: tf.Tensor) =>
    ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype as "float32" | "int32" }) as TensorInfo;
  copyElements(backend as never, info(src), 0, info(dst), 0, src.size);
  return true;
}

/**
 * Records a training step and replays it. One per trainer; see the module doc. Never replays
 * unless the backend is webgpu with the bind-group cache and `REMUL_WEBGPU_REPLAY` is not 0.
 */
export class StepReplay {
  readonly #backend: Internals | undefined;
  readonly #on: boolean;
  readonly #warmup: number;
  readonly #attempts: number;
  #status: ReplayStatus;
  /** Steps run through tfjs since the last recording was dropped (or since the start). */
  #steps = 0;
  #tries = 0;
  #recorder: Recorder | undefined;
  /** The inputs' bytes, taken before a recorded step uploads them. */
  #inputBytes: (Uint8Array | undefined)[] = [];
  /** The state tensors' buffers when a recorded step began. */
  #stateBuffers: unknown[] = [];
  /** A recording waiting for the next to compare with. */
  #previous: Recording | undefined;
  #replay: Recording | undefined;
  #replayed = 0;
  #total = 0;
  #since = 0;
  /** Why the last recording replayed was dropped. */
  #dropped: string | undefined;
  /** Why the last recording compared did not qualify. */
  #rejected: string | undefined;

  /**
   * @param backend tfjs's active backend (anything but webgpu: never replays).
   * @param options `warmup`: steps run through tfjs before the first recording (default 2);
   *   `attempts`: recordings compared before giving up (default 4); `enabled` overrides the
   *   environment switch; `off`, a reason not to replay at all (the inputs are still uploaded
   *   by {@linkcode begin}).
   * @throws Error when `REMUL_WEBGPU_REPLAY` is neither 0 nor 1.
   */
  constructor(
    backend: unknown,
    options: { warmup?: number; attempts?: number; enabled?: boolean; off?: string } = {},
  ) {
    this.#warmup = options.warmup ?? 2;
    this.#attempts = options.attempts ?? 4;
    const b = backend as Partial<Internals> | undefined;
    if (b?.device && b.bufferManager) this.#backend = b as Internals;
    if (!this.#backend || options.off) {
      this.#on = false;
      this.#status = { state: "off", reason: options.off ?? "not on webgpu" };
      return;
    }
    const { on, source } = envSwitch(STEP_REPLAY_ENV, options.enabled);
    this.#on = on;
    this.#status = on
      ? { state: "warming", steps: 0 }
      : { state: "off", reason: `switched off (${source})` };
  }

  /** Steps replayed so far, over every recording. */
  get replayedSteps(): number {
    return this.#total;
  }

  /** Where it stands (for the record of a run). */
  get status(): ReplayStatus {
    const s = this.#status;
    if (s.state !== "warming") return s;
    return {
      ...s,
      ...(this.#dropped ? { dropped: this.#dropped } : {}),
      ...(this.#rejected ? { rejected: this.#rejected } : {}),
    };
  }

  /**
   * Replays the recorded step when there is one that may still run (see the module doc),
   * writing `inputs`' host values (in the order {@linkcode begin} was given them) where the
   * recorded step uploaded its own. `state`: the tensors a step updates in place and the next
   * reads (the parameters, GradNorm's task weights), as given to {@linkcode begin}.
   *
   * @returns the step's output, a new tensor (copied from the recording's, in the step's last
   *   command buffer), or undefined when the step must run through tfjs (then call
   *   {@linkcode begin} and {@linkcode end} around it).
   */
  replay(
    inputs: readonly ReplayTensor[],
    state: readonly ReplayTensor[],
  ): tf.Tensor | undefined {
    const rec = this.#replay;
    const b = this.#backend;
    if (!rec || !b) return undefined;
    // this step through tfjs, the recording kept: its temporaries stay taken, the weights are
    // written in place
    if (b.activeTimers != null || profiling()) return undefined;
    submitPending(); // what tfjs recorded since the last step goes first
    const why = this.#invalid(rec, state, b);
    if (why) {
      this.#dropped = why;
      this.#drop(rec, true);
      this.#replay = undefined;
      this.#steps = 0;
      this.#tries = 0;
      this.#status = { state: "warming", steps: 0 };
      return undefined;
    }
    const values = inputs.map((t) => hostBytes(b, t));
    // the caller's copy of the output, in a buffer of its own, written by the last command buffer
    const output = rec.output;
    const copy = b.makeTensorInfo(output.shape, output.dtype);
    b.uploadToGPU(copy.dataId);
    const copyBuffer = b.tensorMap.get(copy.dataId)!.resource as GPUBuffer;
    const device = b.device;
    const queue = b.queue;
    let encoder = device.createCommandEncoder();
    let pass: GPUComputePassEncoder | undefined;
    /** Whether the recording's last submit is still to be made (with the copy). */
    let submitDue = false;
    for (const op of rec.ops) {
      if (submitDue) {
        queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder();
        submitDue = false;
      }
      switch (op.k) {
        case "pass":
          pass = encoder.beginComputePass();
          break;
        case "pipeline":
          pass!.setPipeline(op.pipeline);
          break;
        case "group":
          pass!.setBindGroup(op.index, op.group);
          break;
        case "dispatch":
          pass!.dispatchWorkgroups(op.x, op.y, op.z);
          break;
        case "end":
          pass!.end();
          pass = undefined;
          break;
        case "copy":
          encoder.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
          break;
        case "submit":
          submitDue = true;
          break;
        case "write": {
          let bytes = op.bytes;
          if (op.input >= 0) {
            const v = values[op.input];
            if (!v || v.byteLength !== bytes.byteLength) {
              throw new Error(
                `step replay: input ${op.input} has ${v?.byteLength ?? "no"} bytes on the host; ` +
                  `the recorded step uploaded ${bytes.byteLength}`,
              );
            }
            bytes = v;
          }
          queue.writeBuffer(op.buffer, op.offset, bytes as Uint8Array<ArrayBuffer>);
          break;
        }
      }
    }
    if (pass) pass.end();
    encoder.copyBufferToBuffer(rec.outputBuffer, 0, copyBuffer, 0, 4 * output.size);
    queue.submit([encoder.finish()]);
    this.#replayed++;
    this.#total++;
    this.#status = { state: "replaying", since: this.#since, replayed: this.#replayed };
    return tf.engine().makeTensorFromTensorInfo(copy as never);
  }

  /**
   * Call before a step that runs through tfjs, with the host tensors it uploads (the batch, the
   * group elements, the optimiser's step constants): uploads them now, on webgpu whether or not
   * the step is recorded (so that results are the same with replay on and off), and records the
   * step when it is time to. `state`: the tensors the step updates and the next step reads (the
   * parameters, GradNorm's task weights); a recording whose state changed buffers is not used. Pair with {@linkcode end}, or {@linkcode abort} if the step throws.
   */
  begin(inputs: readonly ReplayTensor[], state: readonly ReplayTensor[] = []): void {
    const b = this.#backend;
    if (!b) return;
    if (this.#on && !this.#replay && this.#status.state !== "off") {
      this.#steps++;
      if (this.#steps > this.#warmup && b.activeTimers == null && !profiling()) {
        submitPending(); // a recorded step starts with its own command buffer
        this.#inputBytes = inputs.map((t) => hostBytes(b, t)?.slice());
        this.#stateBuffers = state.map((t) => b.tensorMap.get(t.dataId)?.resource);
        this.#recorder = new Recorder(b, inputs);
        this.#status = { state: "recording" };
      } else {
        this.#status = { state: "warming", steps: this.#steps };
      }
    }
    for (const t of inputs) b.uploadToGPU(t.dataId);
  }

  /** Call when a step begun with {@linkcode begin} throws: stops recording it. */
  abort(): void {
    this.#recorder?.stop();
    this.#recorder = undefined;
  }

  /**
   * Call after the step, once its work is submitted, with its output (a tensor the step made)
   * and its state tensors as they are now (in {@linkcode begin}'s order).
   *
   * @returns `output`, or a copy of it when the recording keeps `output` itself (whose buffer it
   *   writes when replayed).
   */
  end(output: ReplayOutput, state: readonly ReplayTensor[]): tf.Tensor {
    const recorder = this.#recorder;
    const b = this.#backend;
    if (!recorder || !b) return output;
    recorder.stop();
    this.#recorder = undefined;
    let rec: Recording;
    try {
      if (recorder.failure) throw new NotReplayable(recorder.failure);
      if (b.commandEncoder) throw new NotReplayable("work left unsubmitted after the step");
      // state that a step replaces instead of updating in place (a new tensor each step, the old
      // one freed) is read from one buffer and written to another: a replay would read stale
      // values
      const now = state.map((t) => b.tensorMap.get(t.dataId)?.resource);
      const moved = now.findIndex((r, i) => r !== this.#stateBuffers[i]);
      if (now.length !== this.#stateBuffers.length || moved >= 0) {
        throw new NotReplayable(
          `state tensor ${moved} (of the parameters and the optimiser's) changed buffers during ` +
            "the step (not updated in place: another tensor shared its data)",
        );
      }
      rec = this.#classify(recorder.ops, output, state, b);
    } catch (e) {
      if (!(e instanceof NotReplayable)) throw e;
      this.#fail(e.message);
      return output;
    }
    const previous = this.#previous;
    this.#previous = rec;
    if (!previous) return copyTensor(output);
    // the two recordings must ask the same of the device
    const difference = firstDifference(previous.ops, rec.ops, correspondence(previous, rec)) ??
      this.#invalid(rec, state, b);
    this.#drop(previous, false);
    if (difference) {
      const mine = copyTensor(output); // before #fail, which may drop this recording
      this.#fail(`two recorded steps differ: ${difference}`);
      return mine;
    }
    // the temporaries are taken before anything else can be given one (the copy below)
    const taken: GPUBuffer[] = [];
    for (const buffer of rec.temporaries) {
      if (!takeFreeBuffer(b.bufferManager, buffer)) {
        for (const t of taken) b.bufferManager.releaseBuffer(t);
        const mine = copyTensor(output);
        this.#fail("a temporary of the step is in use");
        return mine;
      }
      taken.push(buffer);
    }
    this.#previous = undefined;
    this.#replay = rec;
    this.#since = this.#steps + 1;
    this.#replayed = 0;
    this.#status = { state: "replaying", since: this.#since, replayed: 0 };
    return copyTensor(output);
  }

  /** Gives back what the replay holds: recorded outputs, and temporaries to the pool. */
  dispose(): void {
    this.abort();
    if (this.#previous) this.#drop(this.#previous, false);
    if (this.#replay) this.#drop(this.#replay, true);
    this.#previous = this.#replay = undefined;
  }

  /** A recording did not qualify: try again, or give up after `attempts`. */
  #fail(reason: string): void {
    this.#rejected = reason;
    if (++this.#tries < this.#attempts) {
      this.#status = { state: "warming", steps: this.#steps };
      return;
    }
    if (this.#previous) this.#drop(this.#previous, false);
    this.#previous = undefined;
    this.#status = {
      state: "off",
      reason: `no step could be replayed after ${this.#attempts} recordings; the last: ${reason}`,
    };
  }

  /** Frees a recording's output and, with `taken`, gives its temporaries back to the pool. */
  #drop(rec: Recording, taken: boolean): void {
    rec.output.dispose();
    if (!taken) return;
    for (const t of rec.temporaries) {
      if (!bufferDestroyed(t)) this.#backend!.bufferManager.releaseBuffer(t);
    }
  }

  /** Sorts the buffers the step used into temporaries and held ones; checks the uploads. */
  #classify(
    ops: Op[],
    output: ReplayOutput,
    state: readonly ReplayTensor[],
    b: Internals,
  ): Recording {
    const bufferOf = (t: ReplayTensor, what: string) => {
      const r = b.tensorMap.get(t.dataId)?.resource;
      if (!(r instanceof GPUBuffer)) throw new NotReplayable(`${what} is not in a GPU buffer`);
      return r;
    };
    const outputBuffer = bufferOf(output, "the step's output");
    const temporaries = new Set<GPUBuffer>();
    const held = new Map<GPUBuffer, number>();
    for (const op of ops) {
      if (op.k === "write" && op.input >= 0) {
        const mine = this.#inputBytes[op.input];
        if (
          op.offset !== 0 || !mine || mine.length !== op.bytes.length ||
          !mine.every((v, j) => v === op.bytes[j])
        ) throw new NotReplayable(`input ${op.input} is not uploaded as its host values`);
      }
      for (const buffer of buffersOf(op)) {
        if (temporaries.has(buffer) || held.has(buffer)) continue;
        if (bufferDestroyed(buffer)) throw new NotReplayable("a buffer of the step is destroyed");
        if (bufferState(buffer) === "free") temporaries.add(buffer);
        else held.set(buffer, bufferReleases(buffer));
      }
    }
    if (!held.has(outputBuffer)) throw new NotReplayable("the step's output is not written");
    // a temporary must be written before it is read: one read first holds what was there before
    // the step (a tensor the step frees), which a replay would find stale
    const written = new Set<GPUBuffer>();
    let group: GPUBindGroup | undefined;
    const read = (buffer: GPUBuffer, at: number) => {
      if (temporaries.has(buffer) && !written.has(buffer)) {
        throw new NotReplayable(
          `call ${at + 1} reads a buffer of ${buffer.size} bytes that the step frees, before the ` +
            "step writes it (a value from before the step)",
        );
      }
    };
    for (const [at, op] of ops.entries()) {
      if (op.k === "group") group = op.group;
      else if (op.k === "write") written.add(op.buffer);
      else if (op.k === "copy") {
        read(op.src, at);
        written.add(op.dst);
      } else if (op.k === "dispatch" && group) {
        // tfjs binds a program's output first, then its inputs (and the uniforms); a kernel that
        // writes in place reads its output too, which only state tensors (held) do
        const entries = [...bindGroupDescriptor(group)!.entries];
        for (const e of entries.slice(1)) read((e.resource as GPUBufferBinding).buffer, at);
        written.add((entries[0].resource as GPUBufferBinding).buffer);
      }
    }
    return {
      ops,
      temporaries,
      held,
      output,
      outputBuffer,
      state: state.map((t, i) => bufferOf(t, `state tensor ${i}`)),
    };
  }

  /** Why `rec` may never run again, or undefined. */
  #invalid(rec: Recording, state: readonly ReplayTensor[], b: Internals): string | undefined {
    if (state.length !== rec.state.length) return "other state tensors";
    for (let i = 0; i < state.length; i++) {
      const d = b.tensorMap.get(state[i].dataId);
      if (d?.resource !== rec.state[i]) return `state tensor ${i} holds other data`;
      if (d.refCount !== 1) return `state tensor ${i} shares its data`;
    }
    for (const [buffer, releases] of rec.held) {
      if (buffer === rec.outputBuffer) continue;
      if (bufferDestroyed(buffer) || bufferReleases(buffer) !== releases) {
        return "a buffer the step uses has changed hands";
      }
    }
    return undefined;
  }
}

/**
 * How buffers of recording `a` correspond to those of `b`: a buffer that outlives the step must
 * be the same; the outputs and the temporaries must correspond one to one.
 */
function correspondence(a: Recording, b: Recording): (x: GPUBuffer, y: GPUBuffer) => boolean {
  const pairs = new Map<GPUBuffer, GPUBuffer>([[a.outputBuffer, b.outputBuffer]]);
  const used = new Set<GPUBuffer>([b.outputBuffer]);
  return (x, y) => {
    const known = pairs.get(x);
    if (known) return known === y;
    if (a.held.has(x)) return x === y && b.held.has(y);
    if (used.has(y) || !b.temporaries.has(y)) return false;
    pairs.set(x, y);
    used.add(y);
    return true;
  };
}
