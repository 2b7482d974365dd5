/**
 * GATr's two row-wise layers on packed rows as one kernel each way: the block's pre-norm
 * (`RemulGatrNorm`, `RemulGatrNormGrad`) and the MLP's nonlinearity (`RemulGatrGate`,
 * `RemulGatrGateGrad`). A packed row (`src/models/gatr/_layout.ts`) is `S` scalars, then `16·C`
 * multivector columns blade-major: column `S + p·C + k` is blade position `p` of channel `k`.
 *
 * - Norm: the scalars get a layer norm (biased variance, ε = 1e-5, no affine), the multivectors
 *   GATr's equivariant norm `x / sqrt(max(σ, eps))`, `σ = Σ_{p ∈ mask, k} x_{p,k}² / C` (the mask:
 *   the blade positions of the invariant inner product).
 * - Gate: the scalars get the exact GELU `x·Φ(x)`, each multivector channel `k` is scaled by the
 *   tanh GELU of its blade position 0 (column `S + k`).
 *
 * Why: composed from tfjs ops (`normalizeInternal` and `mlpNonlinearityInternal` in
 * `src/models/gatr/`, which stay the reference and the fallback) the norm is some 8 kernels
 * forward and 28 backward, the nonlinearity 11 and 17; per GATr block (two norms, one
 * nonlinearity) that is ~130 kernels against 6 here, and on a real GPU each tfjs-webgpu dispatch
 * costs tens of microseconds of host time whatever it computes. The gradient kernels recompute the
 * row statistics from the input instead of saving them (one more pass over a row that is read
 * anyway).
 *
 * Registered here as JavaScript loops (float64 sums) on wasm; on webgpu the same names run WGSL
 * programs ({@link ./webgpu_gatr_rows.ts}). On cpu, or with {@linkcode setGatrRows}(false),
 * {@linkcode gatrRowsAvailable} is false and GATr composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";

/** Kernel name of the pre-norm. */
export const GATR_NORM = "RemulGatrNorm";
/** Kernel name of the pre-norm's gradient (`dx` from `x` and `dy`). */
export const GATR_NORM_GRAD = "RemulGatrNormGrad";
/**
 * Kernel name of a residual sum and the pre-norm after it: inputs `x`, `y`; outputs `x + y` and
 * its norm (webgpu only: `webgpu_gatr_rows.ts`; elsewhere the two compose).
 */
export const GATR_RESIDUAL_NORM = "RemulGatrResidualNorm";
/** Kernel name of its gradient: the norm's gradient `dx` from `x` and `dy`, plus `add`. */
export const GATR_RESIDUAL_NORM_GRAD = "RemulGatrResidualNormGrad";
/** Kernel name of the MLP nonlinearity. */
export const GATR_GATE = "RemulGatrGate";
/** Kernel name of the nonlinearity's gradient (`dx` from `x` and `dy`). */
export const GATR_GATE_GRAD = "RemulGatrGateGrad";

/** ε of the scalars' layer norm (as `layerNorm` in `src/models/nn.ts`). */
export const SCALAR_NORM_EPS = 1e-5;

/** Attributes of the norm kernels. */
export interface GatrNormAttrs {
  /** S, the scalar columns at the head of a row. */
  readonly sChannels: number;
  /** Lower clamp of the multivectors' mean squared norm (GATr: 0.01). */
  readonly eps: number;
  /** Bit `p` set: blade position `p` counts in the multivectors' squared norm. */
  readonly bladeMask: number;
}

/** Attributes of the gate kernels. */
export interface GatrGateAttrs {
  /** S, the scalar columns at the head of a row. */
  readonly sChannels: number;
}

/** The sizes of packed rows: `t` rows of `w = s + 16·c` columns. */
export interface GatrRowDims {
  t: number;
  w: number;
  s: number;
  c: number;
}

/**
 * The sizes of packed rows from their shape (shared with the webgpu kernels).
 *
 * @param x `[T, S + 16·C]` (or its `TensorInfo`)
 * @param sChannels S
 * @returns the sizes.
 * @throws Error when the rows are not 2-D or their width is not `S + 16·C`.
 *
 * @example
 * ```ts
 * import { gatrRowDims } from "./gatr_rows.ts";
 * if (gatrRowDims({ shape: [3, 37] }, 5).c !== 2) throw new Error();
 * ```
 */
export function gatrRowDims(
  x: { readonly shape: readonly number[] },
  sChannels: number,
): GatrRowDims {
  const [t, w] = x.shape;
  if (x.shape.length !== 2 || w < sChannels || (w - sChannels) % 16 !== 0) {
    throw new Error(`GATr rows: [${x.shape}] is not [T, ${sChannels} + 16·C]`);
  }
  return { t, w, s: sChannels, c: (w - sChannels) / 16 };
}

/** Coefficients of Abramowitz & Stegun 7.1.26, tfjs's `erf` on every backend. */
export const ERF = {
  p: 0.3275911,
  a1: 0.254829592,
  a2: -0.284496736,
  a3: 1.421413741,
  a4: -1.453152027,
  a5: 1.061405429,
} as const;

/** The tanh GELU's `c = 2√(2/π)` and `k = 0.044715`: `GELU(x) = x·σ(c·(x + k·x³))`. */
export const GELU_TANH = { c: 2 * Math.sqrt(2 / Math.PI), k: 0.044715 } as const;

function erf(x: number): number {
  const v = Math.abs(x);
  const t = 1 / (1 + ERF.p * v);
  const poly = ((((ERF.a5 * t + ERF.a4) * t + ERF.a3) * t + ERF.a2) * t + ERF.a1) * t;
  return Math.sign(x) * (1 - poly * Math.exp(-v * v));
}

/** σ of the tanh GELU at `x`. */
function geluSigmoid(x: number): number {
  return 1 / (1 + Math.exp(-GELU_TANH.c * (x + GELU_TANH.k * x * x * x)));
}

/** d/dx of the tanh GELU. */
function geluTanhGrad(x: number): number {
  const sg = geluSigmoid(x);
  return sg + x * sg * (1 - sg) * GELU_TANH.c * (1 + 3 * GELU_TANH.k * x * x);
}

/** Per row: the scalars' mean and `1/√(var + ε)`, the multivectors' `σ` and `1/√max(σ, eps)`. */
function normStats(x: Float32Array, base: number, d: GatrRowDims, a: GatrNormAttrs) {
  let mean = 0;
  for (let i = 0; i < d.s; i++) mean += x[base + i];
  mean /= Math.max(d.s, 1);
  let v = 0;
  for (let i = 0; i < d.s; i++) v += (x[base + i] - mean) ** 2;
  const inv = 1 / Math.sqrt(v / Math.max(d.s, 1) + SCALAR_NORM_EPS);
  let sq = 0;
  for (let p = 0; p < 16; p++) {
    if (!((a.bladeMask >> p) & 1)) continue;
    const from = base + d.s + p * d.c;
    for (let k = 0; k < d.c; k++) sq += x[from + k] ** 2;
  }
  sq /= Math.max(d.c, 1);
  return { mean, inv, sq, rs: 1 / Math.sqrt(Math.max(sq, a.eps)) };
}

const normForward: HostKernel<"x", GatrNormAttrs> = {
  name: GATR_NORM,
  outputShape: ({ x }) => [...x.shape],
  compute: ({ x }, y, inputs, attrs) => {
    const d = gatrRowDims(inputs.x, attrs.sChannels);
    for (let r = 0; r < d.t; r++) {
      const base = r * d.w;
      const { mean, inv, rs } = normStats(x, base, d, attrs);
      for (let i = 0; i < d.s; i++) y[base + i] = (x[base + i] - mean) * inv;
      for (let i = d.s; i < d.w; i++) y[base + i] = x[base + i] * rs;
    }
  },
};

const normBackward: HostKernel<"x" | "dy", GatrNormAttrs> = {
  name: GATR_NORM_GRAD,
  outputShape: ({ x }) => [...x.shape],
  compute: ({ x, dy }, dx, inputs, attrs) => {
    const d = gatrRowDims(inputs.x, attrs.sChannels);
    for (let r = 0; r < d.t; r++) {
      const base = r * d.w;
      const { mean, inv, sq, rs } = normStats(x, base, d, attrs);
      // scalars: dx = inv·(dy − mean(dy) − ŷ·mean(dy·ŷ))
      let meanDy = 0;
      let meanDyY = 0;
      for (let i = 0; i < d.s; i++) {
        meanDy += dy[base + i];
        meanDyY += dy[base + i] * (x[base + i] - mean) * inv;
      }
      meanDy /= Math.max(d.s, 1);
      meanDyY /= Math.max(d.s, 1);
      for (let i = 0; i < d.s; i++) {
        const yHat = (x[base + i] - mean) * inv;
        dx[base + i] = inv * (dy[base + i] - meanDy - yHat * meanDyY);
      }
      // multivectors: dx = dy·rs − m·x·rs³·[σ ≥ eps]·Σ dy·x, m = 1/C on the masked positions
      let g = 0;
      for (let i = d.s; i < d.w; i++) g += dy[base + i] * x[base + i];
      const k = sq >= attrs.eps ? g * rs * rs * rs / d.c : 0;
      for (let p = 0; p < 16; p++) {
        const masked = (attrs.bladeMask >> p) & 1;
        const from = base + d.s + p * d.c;
        for (let j = from; j < from + d.c; j++) {
          dx[j] = dy[j] * rs - (masked ? x[j] * k : 0);
        }
      }
    }
  },
};

const gateForward: HostKernel<"x", GatrGateAttrs> = {
  name: GATR_GATE,
  outputShape: ({ x }) => [...x.shape],
  compute: ({ x }, y, inputs, attrs) => {
    const d = gatrRowDims(inputs.x, attrs.sChannels);
    for (let r = 0; r < d.t; r++) {
      const base = r * d.w;
      for (let i = base; i < base + d.s; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] * Math.SQRT1_2));
      for (let k = 0; k < d.c; k++) {
        const x0 = x[base + d.s + k];
        const gate = x0 * geluSigmoid(x0);
        for (let j = base + d.s + k; j < base + d.w; j += d.c) y[j] = x[j] * gate;
      }
    }
  },
};

const gateBackward: HostKernel<"x" | "dy", GatrGateAttrs> = {
  name: GATR_GATE_GRAD,
  outputShape: ({ x }) => [...x.shape],
  compute: ({ x, dy }, dx, inputs, attrs) => {
    const d = gatrRowDims(inputs.x, attrs.sChannels);
    const norm = 1 / Math.sqrt(2 * Math.PI);
    for (let r = 0; r < d.t; r++) {
      const base = r * d.w;
      // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
      for (let i = base; i < base + d.s; i++) {
        const v = x[i];
        const phi = Math.exp(-0.5 * v * v) * norm;
        dx[i] = dy[i] * (0.5 * (1 + erf(v * Math.SQRT1_2)) + v * phi);
      }
      // dx = dy·gate, plus GELU'(x₀)·Σ dy·x on blade position 0
      for (let k = 0; k < d.c; k++) {
        const first = base + d.s + k;
        const x0 = x[first];
        const gate = x0 * geluSigmoid(x0);
        let g = 0;
        for (let j = first; j < base + d.w; j += d.c) g += dy[j] * x[j];
        for (let j = first; j < base + d.w; j += d.c) dx[j] = dy[j] * gate;
        dx[first] += geluTanhGrad(x0) * g;
      }
    }
  },
};

let installed = false;
let enabled = true;

/** Turns the kernels off (or back on) in this thread; GATr composes (tests compare both). */
export function setGatrRows(on: boolean): void {
  enabled = on;
}

function install(): void {
  if (installed) return;
  installed = true;
  registerHostKernels([normForward, normBackward, gateForward, gateBackward], ["wasm"]);
}

/**
 * True where the four kernels run on the active backend: wasm, and webgpu once its WGSL kernels
 * are installed (`initBackend("webgpu")` does it); not cpu, where GATr's composite is the
 * reference.
 */
export function gatrRowsAvailable(): boolean {
  install();
  return enabled && tf.getKernel(GATR_NORM, tf.getBackend()) !== undefined;
}

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: object): Tensor {
  if (!gatrRowsAvailable()) throw new Error(`${name}: not available on this backend`);
  return tf.engine().runKernel(name, inputs, attrs as never) as Tensor;
}

/**
 * GATr's pre-norm on packed rows as one kernel (no gradient of its own: pair it with
 * {@linkcode gatrNormGrad} in a hand-written gradient).
 *
 * @param x `[T, S + 16·C]` float32 packed rows.
 * @param attrs S, eps and the blade mask of the squared norm.
 * @returns `[T, S + 16·C]`: layer-normed scalars, normed multivectors.
 * @throws Error when the kernel is not available ({@linkcode gatrRowsAvailable}).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend } from "./backend.ts";
 * import { gatrNorm, gatrRowsAvailable } from "./gatr_rows.ts";
 * await initBackend("wasm");
 * if (gatrRowsAvailable()) {
 *   // no scalars, one channel, blade 0 counted: x / max(|x₀|, √eps)
 *   const x = tf.tensor2d([[2, ...new Array(15).fill(1)]]);
 *   const y = await gatrNorm(x, { sChannels: 0, eps: 0.01, bladeMask: 1 }).data();
 *   if (y[0] !== 1 || y[1] !== 0.5) throw new Error(`${y}`);
 * }
 * ```
 */
export function gatrNorm(x: Tensor, attrs: GatrNormAttrs): Tensor {
  gatrRowDims(x, attrs.sChannels);
  return runKernel(GATR_NORM, { x }, attrs);
}

/**
 * The gradient of {@linkcode gatrNorm} with respect to its input, in one kernel.
 *
 * @param x `[T, S + 16·C]` the norm's input.
 * @param dy `[T, S + 16·C]` the gradient of its output.
 * @returns `[T, S + 16·C]`
 */
export function gatrNormGrad(x: Tensor, dy: Tensor, attrs: GatrNormAttrs): Tensor {
  gatrRowDims(x, attrs.sChannels);
  return runKernel(GATR_NORM_GRAD, { x, dy }, attrs);
}

/**
 * GATr's MLP nonlinearity on packed rows as one kernel (pair it with {@linkcode gatrGateGrad}).
 *
 * @param x `[T, S + 16·C]` float32 packed rows.
 * @param attrs S.
 * @returns `[T, S + 16·C]`: exact GELU of the scalars, each channel times the tanh GELU of its
 *   blade position 0.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend } from "./backend.ts";
 * import { gatrGate, gatrRowsAvailable } from "./gatr_rows.ts";
 * await initBackend("wasm");
 * if (gatrRowsAvailable()) {
 *   // one scalar 0 (GELU(0) = 0), one channel whose gate GELU(x₀ = 0) is 0
 *   const x = tf.tensor2d([[0, 0, ...new Array(15).fill(1)]]);
 *   const y = await gatrGate(x, { sChannels: 1 }).data();
 *   if (y.some((v) => v !== 0)) throw new Error();
 * }
 * ```
 */
export function gatrGate(x: Tensor, attrs: GatrGateAttrs): Tensor {
  gatrRowDims(x, attrs.sChannels);
  return runKernel(GATR_GATE, { x }, attrs);
}

/**
 * The gradient of {@linkcode gatrGate} with respect to its input, in one kernel.
 *
 * @param x `[T, S + 16·C]` the nonlinearity's input.
 * @param dy `[T, S + 16·C]` the gradient of its output.
 * @returns `[T, S + 16·C]`
 */
export function gatrGateGrad(x: Tensor, dy: Tensor, attrs: GatrGateAttrs): Tensor {
  gatrRowDims(x, attrs.sChannels);
  return runKernel(GATR_GATE_GRAD, { x, dy }, attrs);
}
