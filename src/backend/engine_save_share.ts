/**
 * Saved tensors without a kernel launch. tfjs keeps every tensor a gradient will need through
 * `Engine.clone`: a full `runKernel` of `Identity` plus a tape node per saved tensor (149 of the
 * 441 kernels of a 3 × 64 Transformer step, 881 of an SE(3)-Transformer's). On wasm (with
 * {@link ./wasm_share.ts}), cpu and webgpu that `Identity` only takes a second reference to the
 * same data (no copy, no GPU dispatch); here the engine does the same directly: one reference
 * count up and a new tensor handle on the same data, which is exactly what the kernel returned. Tensors are immutable in tfjs (a variable's `assign` swaps its data),
 * so the handle stays valid.
 *
 * What is dropped is the tape node `clone` records for its own gradient, which matters only when
 * a gradient is itself differentiated (second order); no code here does that. Other backends and
 * string tensors keep tfjs's path.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { TensorInfo } from "./_wasm_heap.ts";

type EngineInternals = {
  backendName: string;
  backend: { incRef(dataId: object): void };
  clone(x: Tensor): Tensor;
  makeTensorFromTensorInfo(info: TensorInfo): Tensor;
};

const BACKENDS = new Set(["wasm", "cpu", "webgpu"]);
let original: ((x: Tensor) => Tensor) | undefined;

/** Installs the shortcut on tfjs's engine (this thread); idempotent. */
export function installEngineSaveShare(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (original) return;
  const tfjsClone = engine.clone;
  original = tfjsClone;
  engine.clone = function (this: EngineInternals, x: Tensor): Tensor {
    if (!BACKENDS.has(this.backendName) || x.dtype === "string") return tfjsClone.call(this, x);
    this.backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  };
}

/** Puts tfjs's `clone` back (tests compare both). */
export function uninstallEngineSaveShare(): void {
  if (!original) return;
  (tf.engine() as unknown as EngineInternals).clone = original;
  original = undefined;
}
