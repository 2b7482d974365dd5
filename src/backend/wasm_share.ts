/**
 * `Identity` and same-dtype `Cast` for tfjs-backend-wasm 4.22 that share the input's memory (a
 * reference count, as its `Reshape` and the cpu and WebGPU backends already do) instead of
 * copying it. tfjs clones every tensor it saves for the backward pass through `Identity`, and
 * multiplication's gradient casts its other operand to float32, so the copies ran hundreds of
 * times per training step. tfjs tensors are immutable (a variable's `assign` swaps its data, it
 * does not write into it), so sharing is safe.
 *
 * @module
 */
import { KernelSwap, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

type Args = {
  inputs: { x: TensorInfo };
  backend: WasmBackend & { incRef(dataId: object): void };
  attrs: { dtype?: string };
};

function share({ inputs: { x }, backend }: Args): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(args: Args): TensorInfo {
  if (args.inputs.x.dtype === "string") {
    return swap.original<TensorInfo>("Identity", args);
  }
  return share(args);
}

function cast(args: Args): TensorInfo {
  if (args.inputs.x.dtype !== args.attrs.dtype || args.inputs.x.dtype === "string") {
    return swap.original<TensorInfo>("Cast", args);
  }
  return share(args);
}

const swap = new KernelSwap("wasm", { Identity: identity, Cast: cast });

/** Installs the kernels on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmShare(): void {
  swap.install();
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmShare(): void {
  swap.uninstall();
}
