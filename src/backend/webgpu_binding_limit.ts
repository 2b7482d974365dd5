/**
 * A clear error, before anything is recorded, for a WebGPU program that would bind a tensor larger
 * than the device allows (`maxStorageBufferBindingSize`).
 *
 * WebGPU reports such a binding asynchronously, as an uncaptured validation error, and drops the
 * whole command buffer the program was recorded into: the step then seems to run in a fraction of
 * its time and computes nothing (`gpu_errors.ts` turns the error into a failure at the next check,
 * with wgpu's message, which names a binding number but not the program). Found on llvmpipe, whose
 * limit is 128 MiB: GATr's attention gradient at the cost suite's batch 1024 packs a
 * `[20480, 2048]` float32 tensor (160 MiB). This check throws at the dispatch instead, naming the
 * program, the tensor's shape, its size and the limit, so that the experiment is reported as
 * errored with that message. It looks at every program, the project's and tfjs's, on either
 * dispatch path.
 *
 * @module
 */
import type { WebGPUBackend } from "./_webgpu_program.ts";

/** A tensor as tfjs-webgpu's programs take it. */
interface Info {
  readonly shape: readonly number[];
  readonly dtype: string;
}

/** Bytes of a tensor of `shape` in a tfjs-webgpu buffer: 8 per element for complex64, 4 otherwise. */
function bytesOf(shape: readonly number[], dtype: string): number {
  let n = dtype === "complex64" ? 8 : 4;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * The first of a program's output and inputs that is larger than `limit` bytes, as a sentence
 * naming the program, or `undefined` when all fit.
 *
 * @example
 * ```ts
 * import { oversizedBinding } from "./webgpu_binding_limit.ts";
 * const x = { shape: [20480, 2048], dtype: "float32" };
 * const why = oversizedBinding("remul_gatr_attn_core_grad", x, [], 134217728);
 * if (!why?.includes("[20480, 2048]")) throw new Error();
 * if (oversizedBinding("add", { shape: [4], dtype: "float32" }, [x], 2 ** 31) !== undefined) throw new Error();
 * ```
 */
export function oversizedBinding(
  program: string,
  output: Info,
  inputs: readonly Info[],
  limit: number,
): string | undefined {
  const tensors = [output, ...inputs];
  for (let i = 0; i < tensors.length; i++) {
    const bytes = bytesOf(tensors[i].shape, tensors[i].dtype);
    if (bytes > limit) {
      const which = i === 0 ? "its output" : `its input ${i - 1}`;
      return `WebGPU program "${program}": ${which} [${tensors[i].shape.join(", ")}] ` +
        `(${tensors[i].dtype}) takes ${bytes} bytes, more than this device binds ` +
        `(maxStorageBufferBindingSize ${limit}); use a smaller batch or model`;
    }
  }
  return undefined;
}

/** What the check uses of tfjs-webgpu's backend object (not public API). */
interface Internals {
  readonly device: GPUDevice;
  runWebGPUProgram(
    program: { shaderKey: string; outputShape: number[] },
    inputs: Info[],
    outputDtype: string,
    uniforms?: unknown,
    output?: Info,
  ): unknown;
}

const INSTALLED = Symbol.for("remul-bench.bindingLimit");

/**
 * Puts the check in front of a tfjs-webgpu backend's `runWebGPUProgram` (idempotent per backend;
 * install it after any other wrapper, so that it sees every program first).
 *
 * @returns one line for the record of the run's settings.
 */
export function installWebGpuBindingLimit(backend: WebGPUBackend): string {
  const b = backend as unknown as Internals & Record<PropertyKey, unknown>;
  const limit = b.device.limits.maxStorageBufferBindingSize;
  if (!b[INSTALLED]) {
    b[INSTALLED] = true;
    const next = b.runWebGPUProgram;
    b.runWebGPUProgram = function (
      this: Internals,
      program,
      inputs,
      outputDtype,
      uniforms,
      output,
    ) {
      // no allocation on the way through. Its cost, by a CPU profile of the cost suite's
      // Transformer step (llvmpipe, samples in queue.submit left out): 1.1% of the host time, and
      // 1.4% for a first version that built an array and an object per dispatch
      let over = output
        ? bytesOf(output.shape, output.dtype) > limit
        : bytesOf(program.outputShape, outputDtype) > limit;
      for (let k = 0; k < inputs.length && !over; k++) {
        over = bytesOf(inputs[k].shape, inputs[k].dtype) > limit;
      }
      if (over) {
        const out = output ?? { shape: program.outputShape, dtype: outputDtype };
        throw new Error(oversizedBinding(program.shaderKey, out, inputs, limit));
      }
      return next.call(this, program, inputs, outputDtype, uniforms, output);
    } as typeof b.runWebGPUProgram;
  }
  return `WebGPU bindings: a program binding more than ${limit} bytes is an error at its dispatch`;
}
