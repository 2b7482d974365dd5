/**
 * One Adam step over every parameter as a single kernel on the wasm and cpu backends: the global
 * gradient norm, clipping, both moment updates, bias correction and the new weights in two passes
 * over the gradients, instead of some sixteen elementwise kernels over the concatenated vectors
 * (each a full pass over memory: 150 ms a step for the 11.8M-parameter Transformer on wasm).
 *
 * The moments are the optimiser's private flat vectors and are updated in place; the weights are
 * new tensors (a weight's memory may be shared with a copy, e.g. the best-validation snapshot).
 * The update in float32, as tfjs's Adam (ε added to √v̂), as WebAssembly SIMD loops on the wasm
 * heap ({@link ./simd_kernels.ts}; a JavaScript twin with the same bits on cpu); the gradient norm
 * in float64. WebGPU has the same kernel in WGSL ({@link ./webgpu_adam.ts}, float32, installed by
 * `initBackend("webgpu")`).
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { type HostKernelOutputs, registerHostKernels } from "./_host_memory.ts";
import { adamInto, sumSquares } from "./simd_kernels.ts";

/** Kernel name. */
export const FUSED_ADAM = "RemulAdamStep";

/** Settings of one step. */
export interface AdamStepAttrs {
  /** Number of parameters (inputs `p0…`, `g0…`). */
  readonly n: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Step number, from 1 (bias correction). */
  readonly t: number;
  /** Global-norm clip; 0 for none. */
  readonly clip: number;
  /** Write the new weights into the parameters (webgpu only; see {@linkcode FusedAdamExtras}). */
  readonly inPlace?: boolean;
}

/**
 * The step on arrays: updates `m` and `v` in place and writes the new weights to `out`.
 *
 * @example
 * ```ts
 * import { adamStep } from "./fused_adam.ts";
 * const out = [new Float32Array(2)];
 * adamStep([new Float32Array([1, 1])], [new Float32Array([1, -1])], new Float32Array(2),
 *   new Float32Array(2), out, { n: 1, lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, t: 1, clip: 0 });
 * // the first step moves each weight by lr against its gradient's sign
 * if (Math.abs(out[0][0] - 0.9) > 1e-6 || Math.abs(out[0][1] - 1.1) > 1e-6) throw new Error();
 * ```
 */
export function adamStep(
  params: readonly Float32Array[],
  grads: readonly Float32Array[],
  m: Float32Array,
  v: Float32Array,
  out: readonly Float32Array[],
  a: AdamStepAttrs,
): void {
  let scale = 1;
  if (a.clip > 0) {
    let sq = 0;
    for (const g of grads) sq += sumSquares(g);
    scale = Math.min(1, a.clip / (Math.sqrt(sq) + 1e-12));
  }
  const constants = {
    scale,
    beta1: a.beta1,
    beta2: a.beta2,
    c1: 1 / (1 - a.beta1 ** a.t),
    c2: 1 / (1 - a.beta2 ** a.t),
    lr: a.lr,
    epsilon: a.epsilon,
  };
  let k = 0;
  for (let j = 0; j < params.length; j++) {
    const n = params[j].length;
    adamInto(params[j], grads[j], m.subarray(k, k + n), v.subarray(k, k + n), out[j], constants);
    k += n;
  }
}

const kernel: HostKernelOutputs<string, AdamStepAttrs> = {
  name: FUSED_ADAM,
  outputShapes: (inputs, { n }) => Array.from({ length: n }, (_, i) => [...inputs[`p${i}`].shape]),
  compute: (values, outs, _, attrs) => {
    const ps = Array.from({ length: attrs.n }, (_, i) => values[`p${i}`]);
    const gs = Array.from({ length: attrs.n }, (_, i) => values[`g${i}`]);
    adamStep(ps, gs, values.m, values.v, outs, attrs);
  },
};

let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  registerHostKernels([kernel]);
}

/** True when the active backend runs the fused step. */
export function fusedAdamAvailable(): boolean {
  install();
  return tf.getKernel(FUSED_ADAM, tf.getBackend()) !== undefined;
}

/**
 * Whether the active backend's fused step wants a flat mirror of the weights (`w` of
 * {@linkcode fusedAdamStep}): webgpu, where it saves copying every parameter in each step.
 */
export function fusedAdamMirrorsWeights(): boolean {
  return tf.getBackend() === "webgpu";
}

/** What the webgpu kernel takes besides the parameters, gradients and moments. */
export interface FusedAdamExtras {
  /**
   * A flat float32 vector as long as `m`, private to the caller and kept from step to step, that
   * the step keeps equal to the weights it wrote (starting zeros is fine: the parameters are
   * copied in whenever they do not hold what the last step wrote); where
   * {@linkcode fusedAdamMirrorsWeights}.
   */
  readonly w?: Tensor;
  /**
   * The step's `[1 − β₁ᵗ, 1 − β₂ᵗ, ε, lr]` (float32; webgpu), made by the caller on the host so
   * that a step's only uploads are values it can name (`webgpu_step_replay.ts`); without it the
   * kernel makes it from the attributes.
   */
  readonly hyper?: Tensor;
  /**
   * Write the new weights into the parameters' own memory and return no tensors (webgpu). Only
   * when no other tensor shares a parameter's data (a clone does): the caller checks.
   */
  readonly inPlace?: boolean;
}

/**
 * Runs the fused step: `m` and `v` (flat, float32, private to the caller) are updated in place;
 * returns the new weights, in order, or nothing when `extras.inPlace` (the parameters then hold
 * them).
 */
export function fusedAdamStep(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  m: Tensor,
  v: Tensor,
  attrs: Omit<AdamStepAttrs, "n">,
  extras: FusedAdamExtras = {},
): Tensor[] {
  install();
  const inputs: Record<string, Tensor> = { m, v };
  if (extras.w) inputs.w = extras.w;
  if (extras.hyper) inputs.hyper = extras.hyper;
  params.forEach((p, i) => (inputs[`p${i}`] = p));
  grads.forEach((g, i) => (inputs[`g${i}`] = g));
  return tf.engine().runKernel(
    FUSED_ADAM,
    inputs as tf.NamedTensorMap,
    { ...attrs, n: params.length, inPlace: extras.inPlace ?? false } as unknown as tf.NamedAttrMap,
  ) as unknown as Tensor[];
}
