/**
 * Defines an op that runs as one JavaScript kernel on the wasm and cpu backends (and one for its
 * gradient) and as tfjs ops elsewhere. Each launch through tfjs's engine costs about 5–10 µs of
 * bookkeeping whatever the kernel does, so a small model's step is dominated by the number of
 * kernels: an op that tfjs writes as eight elementwise kernels forward and fifteen backward
 * becomes two. The arithmetic is plain loops over typed arrays (float64 accumulation), tested
 * against the composite form.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { TensorInfo } from "./_wasm_heap.ts";
import { registerHostKernels } from "./_host_memory.ts";

/** A fused op over float32 tensors with one input and one output of the same shape. */
export interface FusedUnaryOp {
  /** Kernel name (the gradient's is `${name}Grad`). */
  readonly name: string;
  /** `out = f(x)`, elementwise or along the last axis (`inner` is its length). */
  forward(x: Float32Array, out: Float32Array, inner: number): void;
  /** `dx = J(x)ᵀ·dy`; `y` is the forward pass's output when the op sets `backwardReadsOutput`. */
  backward(
    x: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    inner: number,
    y?: Float32Array,
  ): void;
  /** The same function in tfjs ops (other backends, and the tests' reference). */
  composite(x: Tensor): Tensor;
  /** The gradient keeps the output `y` and the backward pass reads it (e.g. to skip an `exp`). */
  readonly backwardReadsOutput?: boolean;
}

const registered = new Set<string>();
let enabled = true;

/** Turns every fused op off (or on) in this thread: callers then get the composite (tests). */
export function setFusedOps(on: boolean): void {
  enabled = on;
}

/** Whether fused ops are on in this thread ({@linkcode setFusedOps}); other fused kernels follow it. */
export function fusedOpsEnabled(): boolean {
  return enabled;
}

function register(op: FusedUnaryOp): void {
  if (registered.has(op.name)) return;
  registered.add(op.name);
  const grad = `${op.name}Grad`;
  registerHostKernels([{
    name: op.name,
    outputShape: ({ x }: Record<"x", TensorInfo>) => [...x.shape],
    compute: (v: Record<"x", Float32Array>, out: Float32Array, { x }: Record<"x", TensorInfo>) =>
      op.forward(v.x, out, x.shape.at(-1) ?? 1),
  }, {
    name: grad,
    outputShape: ({ x }: Record<"x", TensorInfo>) => [...x.shape],
    compute: (
      v: Record<"x" | "dy" | "y", Float32Array>,
      out: Float32Array,
      { x }: Record<"x", TensorInfo>,
    ) => op.backward(v.x, v.dy, out, x.shape.at(-1) ?? 1, v.y),
  }]);
  if (!tf.getGradient(op.name)) {
    const reads = op.backwardReadsOutput === true;
    tf.registerGradient({
      kernelName: op.name,
      inputsToSave: ["x"],
      outputsToSave: [reads],
      gradFunc: (dy, saved) => ({
        x: () => {
          const inputs: Record<string, Tensor> = { x: saved[0], dy: dy as Tensor };
          if (reads) inputs.y = saved[1];
          return tf.engine().runKernel(grad, inputs, {}) as Tensor;
        },
      }),
    });
  }
}

/**
 * Applies a fused op: one kernel on wasm and cpu, and on webgpu where a WGSL kernel of the same
 * name is registered (`webgpu_fused_kernels.ts`); the composite elsewhere.
 *
 * @param x float32 tensor of any shape (rank ≥ 1).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { applyFused, type FusedUnaryOp } from "./fused_op.ts";
 * const double: FusedUnaryOp = {
 *   name: "ExampleDouble",
 *   forward: (x, out) => x.forEach((v, i) => (out[i] = 2 * v)),
 *   backward: (_x, dy, dx) => dy.forEach((v, i) => (dx[i] = 2 * v)),
 *   composite: (x) => x.mul(2),
 * };
 * const y = applyFused(double, tf.tensor1d([1, 2]));
 * if ((await y.data())[1] !== 4) throw new Error();
 * ```
 */
export function applyFused(op: FusedUnaryOp, x: Tensor): Tensor {
  register(op);
  if (!enabled || x.dtype !== "float32" || x.rank === 0) return op.composite(x);
  if (!tf.getKernel(op.name, tf.getBackend())) return op.composite(x);
  return tf.engine().runKernel(op.name, { x }, {}) as Tensor;
}

/**
 * The op's vector-Jacobian product `J(x)ᵀ·dy` as its one gradient kernel where the active backend
 * has it (for callers with hand-written gradients, e.g. GATr's MLP nonlinearity), else
 * `fallback()`.
 */
export function applyFusedGrad(
  op: FusedUnaryOp,
  x: Tensor,
  dy: Tensor,
  fallback: () => Tensor,
): Tensor {
  register(op);
  const grad = `${op.name}Grad`;
  if (
    !enabled || x.dtype !== "float32" || x.rank === 0 || op.backwardReadsOutput ||
    !tf.getKernel(grad, tf.getBackend())
  ) {
    return fallback();
  }
  return tf.engine().runKernel(grad, { x, dy }, {}) as Tensor;
}
