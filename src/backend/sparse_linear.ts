/**
 * A fixed sparse linear map from a list of tensors to a list of tensors as one kernel, and its
 * adjoint as one kernel: JavaScript loops on the backends whose tensors live on the host (wasm,
 * cpu) and WGSL on webgpu (`webgpu_sparse_linear.ts`, installed with the other WGSL kernels).
 * The map is a plan of entries `out[o][p] += c · in[s][i]`, built once by the caller. It serves
 * weight assembly: GATr's equivariant linear maps build their two block matrices and bias from
 * five to seven variables every step (a matMul against the basis table, a transpose, an unstack,
 * pads and concats: about a dozen kernels forward and as many for the adjoint, for each of 17
 * layers of the N-body GATr), which here is one loop over a few thousand entries each way.
 *
 * On the host it accumulates in float64 and rounds once; on webgpu each output element sums its
 * own entries in float32. Other backends compose (the caller keeps its tfjs form;
 * {@linkcode sparseLinearAvailable} says which applies).
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { type HostKernelOutputs, registerHostKernels } from "./_host_memory.ts";

/** Kernel name of the map: the plan's inputs in, its outputs out. */
export const SPARSE_LINEAR = "RemulSparseLinear";
/** Kernel name of the adjoint: the outputs' gradients in, the inputs' gradients out. */
export const SPARSE_LINEAR_ADJOINT = "RemulSparseLinearAdjoint";

/** A sparse linear map: `outputs[out[e]][pos[e]] += coef[e] · inputs[src[e]][idx[e]]`. */
export interface SparseLinearPlan {
  /** Shape of each input (its gradient takes it). */
  readonly inputShapes: readonly (readonly number[])[];
  /** Element count of each input. */
  readonly inputSizes: readonly number[];
  /** Shape of each output. */
  readonly outputShapes: readonly (readonly number[])[];
  /** Per entry: output index, position in it, input index, position in it, coefficient. */
  readonly out: Int32Array;
  readonly pos: Int32Array;
  readonly src: Int32Array;
  readonly idx: Int32Array;
  readonly coef: Float64Array;
}

/** Builds a {@linkcode SparseLinearPlan} entry by entry. */
export class SparseLinearPlanBuilder {
  readonly #entries: number[][] = [[], [], [], [], []];
  readonly #inputShapes: number[][];
  readonly #inputSizes: number[];
  readonly #outputShapes: number[][];

  /**
   * @param inputShapes shape of each input.
   * @param outputShapes shape of each output.
   */
  constructor(
    inputShapes: readonly (readonly number[])[],
    outputShapes: readonly (readonly number[])[],
  ) {
    this.#inputShapes = inputShapes.map((s) => [...s]);
    this.#inputSizes = this.#inputShapes.map(sizeOf);
    this.#outputShapes = outputShapes.map((s) => [...s]);
  }

  /**
   * Adds `outputs[out][pos] += coef · inputs[src][idx]`.
   *
   * @throws Error when an index is out of range.
   */
  add(out: number, pos: number, src: number, idx: number, coef = 1): void {
    const size = this.#outputShapes[out]?.reduce((a, d) => a * d, 1);
    if (size === undefined || pos < 0 || pos >= size || idx < 0 || idx >= this.#inputSizes[src]) {
      throw new Error(`SparseLinearPlan: entry (${out}, ${pos}) ← (${src}, ${idx}) out of range`);
    }
    [out, pos, src, idx, coef].forEach((v, k) => this.#entries[k].push(v));
  }

  /** The plan. */
  build(): SparseLinearPlan {
    const [out, pos, src, idx, coef] = this.#entries;
    return {
      inputShapes: this.#inputShapes,
      inputSizes: this.#inputSizes,
      outputShapes: this.#outputShapes,
      out: Int32Array.from(out),
      pos: Int32Array.from(pos),
      src: Int32Array.from(src),
      idx: Int32Array.from(idx),
      coef: Float64Array.from(coef),
    };
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

type PlanAttrs = { plan: SparseLinearPlan };

// inputs arrive as an array (keyed "0", "1", …): the plan's inputs forward, its outputs' gradients
// in the adjoint
const forward: HostKernelOutputs<string, PlanAttrs> = {
  name: SPARSE_LINEAR,
  outputShapes: (_, { plan }) => plan.outputShapes.map((s) => [...s]),
  compute(values, outs, _, { plan }) {
    const acc = plan.outputShapes.map((s) => new Float64Array(sizeOf(s)));
    for (let e = 0; e < plan.out.length; e++) {
      acc[plan.out[e]][plan.pos[e]] += plan.coef[e] * values[plan.src[e]][plan.idx[e]];
    }
    outs.forEach((o, k) => o.set(acc[k]));
  },
};

const adjoint: HostKernelOutputs<string, PlanAttrs> = {
  name: SPARSE_LINEAR_ADJOINT,
  outputShapes: (_, { plan }) => plan.inputShapes.map((s) => [...s]),
  compute(values, outs, _, { plan }) {
    const acc = plan.inputSizes.map((n) => new Float64Array(n));
    for (let e = 0; e < plan.out.length; e++) {
      acc[plan.src[e]][plan.idx[e]] += plan.coef[e] * values[plan.out[e]][plan.pos[e]];
    }
    outs.forEach((o, k) => o.set(acc[k]));
  },
};

let installed = false;
let enabled = true;

/** Turns the kernels off (or back on) in this thread; callers compose (tests compare both). */
export function setSparseLinear(on: boolean): void {
  enabled = on;
}

function install(): void {
  if (installed) return;
  installed = true;
  registerHostKernels([forward, adjoint]);
}

/**
 * True where {@linkcode sparseLinear} runs one kernel on the active backend: wasm and cpu, and
 * webgpu once its WGSL kernels are installed (`initBackend("webgpu")` does it).
 */
export function sparseLinearAvailable(): boolean {
  install();
  return enabled && tf.getKernel(SPARSE_LINEAR, tf.getBackend()) !== undefined;
}

function check(tensors: readonly Tensor[], sizes: readonly number[], what: string): void {
  if (tensors.length !== sizes.length || tensors.some((t, k) => t.size !== sizes[k])) {
    throw new Error(
      `sparseLinear: ${what} of sizes [${tensors.map((t) => t.size)}], the plan has [${sizes}]`,
    );
  }
}

/**
 * Applies the plan (no gradient of its own: pair it with {@linkcode sparseLinearAdjoint}).
 *
 * @param inputs float32 tensors of the plan's input sizes.
 * @returns one tensor per output shape of the plan.
 * @throws Error when the kernel is not available or the inputs do not fit the plan.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { SparseLinearPlanBuilder, sparseLinear, sparseLinearAvailable } from "./sparse_linear.ts";
 * const b = new SparseLinearPlanBuilder([[2]], [[2]]);
 * b.add(0, 0, 0, 1, 3); // out[0] = 3·in[1]
 * b.add(0, 1, 0, 0, -1); // out[1] = −in[0]
 * if (sparseLinearAvailable()) {
 *   const [y] = sparseLinear([tf.tensor1d([1, 2])], b.build());
 *   if ((await y.data()).join() !== "6,-1") throw new Error();
 * }
 * ```
 */
export function sparseLinear(inputs: readonly Tensor[], plan: SparseLinearPlan): Tensor[] {
  if (!sparseLinearAvailable()) throw new Error(`${SPARSE_LINEAR}: not available on this backend`);
  check(inputs, plan.inputSizes, "inputs");
  // an array of inputs, as tfjs's own Concat passes them
  return tf.engine().runKernel(
    SPARSE_LINEAR,
    [...inputs] as never,
    { plan } as never,
  ) as unknown as Tensor[];
}

/**
 * The adjoint of the plan: the gradients of its inputs from those of its outputs.
 *
 * @param dys one gradient per output of the plan.
 * @returns one gradient per input, in the input's shape.
 */
export function sparseLinearAdjoint(dys: readonly Tensor[], plan: SparseLinearPlan): Tensor[] {
  if (!sparseLinearAvailable()) {
    throw new Error(`${SPARSE_LINEAR_ADJOINT}: not available on this backend`);
  }
  check(dys, plan.outputShapes.map(sizeOf), "output gradients");
  return tf.engine().runKernel(
    SPARSE_LINEAR_ADJOINT,
    [...dys] as never,
    { plan } as never,
  ) as unknown as Tensor[];
}
