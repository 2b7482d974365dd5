/**
 * Uploads of host values to the GPU by `queue.writeBuffer`, in front of tfjs-backend-webgpu 4.22's
 * `uploadToGPU`.
 *
 * When a tensor made on the host (a batch, a scalar, the rotations REMUL samples) first goes to
 * the GPU and the buffer pool hands it a buffer already used, tfjs creates a mapped staging buffer
 * of the same size, copies the values into it, ends the current compute pass and records a
 * buffer-to-buffer copy, then destroys the staging buffer after the next submit. Per upload that is
 * a new buffer, a map, a destroy and a compute pass ended (the next dispatch begins another): the
 * "new buffers" a training step creates are mostly these (8 a step for the cost suite's
 * Transformer, 19 for GATr). `queue.writeBuffer` puts the values in the pooled buffer with none of
 * that.
 *
 * Order: a write is done on the queue's timeline, before the command buffer being recorded, where
 * tfjs's copy is done inside it. That is the same order for every command that can see the
 * buffer: a buffer in the pool was used only by command buffers already submitted (tfjs holds the
 * buffers of a tensor freed while the command buffer being recorded uses it until that is
 * submitted, `commandQueueOwnedIds`; the project's copies and dispatches mark theirs the same
 * way), and the queue runs those before the write; every command that reads the tensor is recorded
 * after this upload, so it runs after the write. A buffer the pool has to create is written the
 * same way (not mapped at creation, as tfjs would), so that every upload is a queue write, which
 * a recorded training step sees (`webgpu_step_replay.ts`). Values are identical either way
 * (tested, down to a training run's losses).
 * `REMUL_WEBGPU_WRITE_UPLOADS=0` turns it off.
 *
 * @module
 */
import { envSwitch } from "./_env_switch.ts";
import type { WebGPUBackend } from "./_webgpu_program.ts";

/** What this module uses of tfjs-webgpu's backend object (not public API). */
interface UploadInternals {
  readonly device: GPUDevice;
  readonly tensorMap: {
    get(dataId: object): {
      resource: unknown;
      values: ArrayLike<number> | null;
      readonly dtype: string;
      readonly shape: number[];
      readonly complexTensorInfos?: unknown;
    };
  };
  readonly bufferManager: {
    acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean): GPUBuffer;
  };
  uploadToGPU(dataId: object): void;
}

/** Counts of this thread's uploads of host values since install (each one a `writeBuffer`). */
export const uploadStats = { written: 0 };

/** The environment variable that turns the path off (`0`) in every thread. */
export const WRITE_UPLOADS_ENV = "REMUL_WEBGPU_WRITE_UPLOADS";

// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST, as tfjs asks for a tensor's buffer
const TENSOR_USAGE = 0x80 | 0x4 | 0x8;
const INSTALLED = Symbol.for("remul-bench.writeUploads");

/** Whether a tensor's buffer holds int32 (`int32` and `bool`, as tfjs-webgpu stores them). */
const holdsInt32 = (dtype: string) => dtype === "int32" || dtype === "bool";

/**
 * Puts `writeBuffer` uploads in front of a tfjs-webgpu backend's `uploadToGPU` (idempotent per
 * backend). Off when `enabled` is false or `REMUL_WEBGPU_WRITE_UPLOADS=0`.
 *
 * @returns one line for the record of the run's settings.
 * @throws Error when `REMUL_WEBGPU_WRITE_UPLOADS` is neither 0 nor 1.
 */
export function installWebGpuWriteUploads(backend: WebGPUBackend, enabled?: boolean): string {
  const { on, source } = envSwitch(WRITE_UPLOADS_ENV, enabled);
  if (!on) return `WebGPU uploads: tfjs's own (a staging buffer and a copy each; ${source})`;
  const b = backend as unknown as UploadInternals & Record<PropertyKey, unknown>;
  if (!b[INSTALLED]) {
    b[INSTALLED] = true;
    const original = b.uploadToGPU;
    b.uploadToGPU = function (this: UploadInternals, dataId: object): void {
      const data = this.tensorMap.get(dataId);
      const values = data.values;
      // an output's buffer, a tensor on the GPU already, complex values: tfjs's own path
      if (data.resource != null || values == null || data.complexTensorInfos != null) {
        return original.call(this, dataId);
      }
      let n = 1;
      for (const d of data.shape) n *= d;
      if (n === 0 || values.length !== n) return original.call(this, dataId);
      // never mapped at creation, even when the pool has to make it: every upload is then a
      // queue write, which a recorded step sees (webgpu_step_replay.ts)
      const buffer = this.bufferManager.acquireBuffer(4 * n, TENSOR_USAGE, false);
      const typed = holdsInt32(data.dtype)
        ? (values instanceof Int32Array ? values : Int32Array.from(values))
        : (values instanceof Float32Array ? values : Float32Array.from(values));
      this.device.queue.writeBuffer(buffer, 0, typed as Float32Array<ArrayBuffer>);
      uploadStats.written++;
      data.values = null;
      data.resource = buffer;
    } as typeof b.uploadToGPU;
  }
  return `WebGPU uploads: queue.writeBuffer into the pooled buffer (${source})`;
}
