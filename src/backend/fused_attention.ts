/**
 * Multi-head self-attention over a few tokens as one kernel (and one for its gradient), for the
 * wasm and cpu backends: from the fused projection `qkv [B, N, 3·H·D]` straight to the heads'
 * outputs `[B, N, H·D]`, in plain loops over each (batch, head) pair. The composite form needs a
 * 5-D transpose, an unstack, two batched matmuls, a scale, a softmax, a transpose back and the
 * gradients of each (about 25 kernels per layer, 43% of a Transformer step on wasm when the
 * transposes were tfjs's); with N ≤ 31 tokens the whole attention is a few hundred thousand
 * multiply-adds, cheaper than the kernel launches. Same function as the composite
 * ({@link ../models/nn.ts}'s `selfAttention`): scores `q·kᵀ/√D`, softmax over keys, no mask.
 *
 * WebGPU has the same kernels in WGSL ({@link ./webgpu_attention.ts}, installed by
 * `initBackend("webgpu")`); on a backend without them {@linkcode fusedAttention} reports
 * `undefined` and the caller uses the composite.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { TensorInfo } from "./_wasm_heap.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";
import {
  type AttentionDims,
  attentionGradSimd,
  attentionScratch,
  attentionSimd,
  simdBound,
} from "./simd_kernels.ts";

/** Kernel name of the forward pass. */
export const FUSED_ATTENTION = "RemulFusedAttention";
/** Kernel name of its gradient. */
const FUSED_ATTENTION_GRAD = "RemulFusedAttentionGrad";
/** Longest sequence the kernel takes (per-row scratch is sized by it). */
export const MAX_TOKENS = 64;

/** Scratch arrays for one (batch, head) pair, reused across pairs. */
class Scratch {
  readonly q: Float64Array;
  readonly k: Float64Array;
  readonly v: Float64Array;
  readonly g: Float64Array;
  readonly p: Float64Array;
  readonly dp: Float64Array;
  readonly dq: Float64Array;
  readonly dk: Float64Array;
  readonly dv: Float64Array;
  constructor(n: number, d: number) {
    [this.q, this.k, this.v, this.g, this.dq, this.dk, this.dv] = Array.from(
      { length: 7 },
      () => new Float64Array(n * d),
    );
    this.p = new Float64Array(n * n);
    this.dp = new Float64Array(n * n);
  }
}

/** Copies head `hi` of q, k, v of batch element `bi` into the scratch (rows of width d). */
function gather(
  qkv: Float32Array,
  s: Scratch,
  bi: number,
  hi: number,
  n: number,
  d: number,
  c: number,
): void {
  const row = 3 * c;
  for (let i = 0; i < n; i++) {
    const at = bi * n * row + i * row + hi * d;
    for (let t = 0; t < d; t++) {
      s.q[i * d + t] = qkv[at + t];
      s.k[i * d + t] = qkv[at + c + t];
      s.v[i * d + t] = qkv[at + 2 * c + t];
    }
  }
}

/** Softmax rows of `q·kᵀ·scale` into `s.p`. */
function probabilities(s: Scratch, n: number, d: number, scale: number): void {
  const { q, k, p } = s;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < d; t++) acc += q[i * d + t] * k[j * d + t];
      acc *= scale;
      p[i * n + j] = acc;
      if (acc > max) max = acc;
    }
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(p[i * n + j] - max);
      p[i * n + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) p[i * n + j] *= inv;
  }
}

/**
 * Forward pass on arrays. `qkv` is `[B, N, 3, H, D]` row-major (the fused projection's last axis
 * read as q, k, v, each split into heads); `out` is `[B, N, H, D]`.
 *
 * @example
 * ```ts
 * import { attentionForward } from "./fused_attention.ts";
 * // one token attends only to itself: the output is its value
 * const out = new Float32Array(2);
 * attentionForward(new Float32Array([1, 2, 3, 4, 5, 6]), out, 1, 1, 1, 2);
 * if (out[0] !== 5 || out[1] !== 6) throw new Error();
 * ```
 */
export function attentionForward(
  qkv: Float32Array,
  out: Float32Array,
  b: number,
  n: number,
  h: number,
  d: number,
): void {
  const c = h * d;
  const scale = 1 / Math.sqrt(d);
  const s = new Scratch(n, d);
  const { p, v } = s;
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      gather(qkv, s, bi, hi, n, d, c);
      probabilities(s, n, d, scale);
      for (let i = 0; i < n; i++) {
        const o = (bi * n + i) * c + hi * d;
        for (let t = 0; t < d; t++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += p[i * n + j] * v[j * d + t];
          out[o + t] = acc;
        }
      }
    }
  }
}

/**
 * Gradient on arrays: from `qkv [B, N, 3, H, D]` and the output gradient `dOut [B, N, H, D]`,
 * writes `dQkv [B, N, 3, H, D]`.
 */
export function attentionBackward(
  qkv: Float32Array,
  dOut: Float32Array,
  dQkv: Float32Array,
  b: number,
  n: number,
  h: number,
  d: number,
): void {
  const c = h * d;
  const row = 3 * c;
  const scale = 1 / Math.sqrt(d);
  const s = new Scratch(n, d);
  const { q, k, v, g, p, dp, dq, dk, dv } = s;
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      gather(qkv, s, bi, hi, n, d, c);
      probabilities(s, n, d, scale);
      for (let i = 0; i < n; i++) {
        const at = (bi * n + i) * c + hi * d;
        for (let t = 0; t < d; t++) g[i * d + t] = dOut[at + t];
      }
      // dV = Pᵀ·dO; dP = dO·Vᵀ
      dv.fill(0);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const pij = p[i * n + j];
          let acc = 0;
          for (let t = 0; t < d; t++) {
            const gt = g[i * d + t];
            dv[j * d + t] += pij * gt;
            acc += gt * v[j * d + t];
          }
          dp[i * n + j] = acc;
        }
      }
      // dS = P ∘ (dP − rowsum(P ∘ dP))·scale; dQ = dS·K; dK = dSᵀ·Q
      dq.fill(0);
      dk.fill(0);
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += p[i * n + j] * dp[i * n + j];
        for (let j = 0; j < n; j++) {
          const ds = p[i * n + j] * (dp[i * n + j] - dot) * scale;
          for (let t = 0; t < d; t++) {
            dq[i * d + t] += ds * k[j * d + t];
            dk[j * d + t] += ds * q[i * d + t];
          }
        }
      }
      for (let i = 0; i < n; i++) {
        const at = bi * n * row + i * row + hi * d;
        for (let t = 0; t < d; t++) {
          dQkv[at + t] = dq[i * d + t];
          dQkv[at + c + t] = dk[i * d + t];
          dQkv[at + 2 * c + t] = dv[i * d + t];
        }
      }
    }
  }
}

type Attrs = { heads: number };

function dims(qkv: TensorInfo, heads: number) {
  const [b, n, c3] = qkv.shape;
  const c = c3 / 3;
  return { b, n, h: heads, d: c / heads, c };
}

/** Head width rounded up to the SIMD loops' groups of four. */
const padded = (d: number) => (d + 3) & ~3;

/**
 * Scratch floats of a kernel: the SIMD loops' per-row arrays, and for head widths that are not a
 * multiple of 4, the padded copies (forward: q, k, v and the output; gradient: those and dq, dk,
 * dv); none where the SIMD loops are not bound (the cpu backend runs float64 loops).
 */
function scratchFloats(qkv: TensorInfo, heads: number, grad: boolean): number {
  if (!simdBound()) return 0;
  const { b, n, h, d } = dims(qkv, heads);
  const base = attentionScratch(n);
  return d % 4 === 0 ? base : base + b * n * h * padded(d) * (grad ? 7 : 4);
}

/** Copies `rows` rows of width `d` into rows of width `dp` ≥ `d`, zero after each (`dp` = `d`: a copy). */
function padRows(src: Float32Array, dst: Float32Array, rows: number, d: number, dp: number): void {
  for (let r = 0, s = 0, t = 0; r < rows; r++, s += d, t += dp) {
    for (let i = 0; i < d; i++) dst[t + i] = src[s + i];
    for (let i = d; i < dp; i++) dst[t + i] = 0;
  }
}

/** The inverse of {@linkcode padRows}: the first `d` of every row of width `dp`. */
function unpadRows(src: Float32Array, dst: Float32Array, rows: number, d: number, dp: number) {
  for (let r = 0, s = 0, t = 0; r < rows; r++, s += dp, t += d) {
    for (let i = 0; i < d; i++) dst[t + i] = src[s + i];
  }
}

/**
 * Consecutive views of the scratch after the SIMD loops' own `attentionScratch(n)` floats, each
 * `count` rows of the padded width: the padded copies of {@linkcode forwardSimd} and
 * {@linkcode backwardSimd}.
 */
function paddedViews(scratch: Float32Array, dm: AttentionDims, counts: number[]): Float32Array[] {
  const size = dm.b * dm.n * dm.h * padded(dm.d);
  let at = attentionScratch(dm.n);
  return counts.map((count) => scratch.subarray(at, at += count * size));
}

/**
 * The SIMD forward loop; for head widths that are not a multiple of 4 on copies padded with zero
 * columns, which change no dot product (the padded output columns are zero and dropped).
 */
function forwardSimd(
  qkv: Float32Array,
  out: Float32Array,
  dm: AttentionDims,
  scratch: Float32Array | undefined,
): boolean {
  if (!scratch) return false;
  if (dm.d % 4 === 0) return attentionSimd(qkv, out, dm, scratch);
  const dp = padded(dm.d), rows = dm.b * dm.n * dm.h;
  const [qkvP, outP] = paddedViews(scratch, dm, [3, 1]);
  padRows(qkv, qkvP, 3 * rows, dm.d, dp);
  if (!attentionSimd(qkvP, outP, { ...dm, d: dp, width: dm.d }, scratch)) return false;
  unpadRows(outP, out, rows, dm.d, dp);
  return true;
}

/** The SIMD gradient loop, padded as {@linkcode forwardSimd} (the padded columns' gradients are zero). */
function backwardSimd(
  qkv: Float32Array,
  dy: Float32Array,
  dqkv: Float32Array,
  dm: AttentionDims,
  scratch: Float32Array | undefined,
): boolean {
  if (!scratch) return false;
  if (dm.d % 4 === 0) return attentionGradSimd(qkv, dy, dqkv, dm, scratch);
  const dp = padded(dm.d), rows = dm.b * dm.n * dm.h;
  const [qkvP, dyP, dqkvP] = paddedViews(scratch, dm, [3, 1, 3]);
  padRows(qkv, qkvP, 3 * rows, dm.d, dp);
  padRows(dy, dyP, rows, dm.d, dp);
  if (!attentionGradSimd(qkvP, dyP, dqkvP, { ...dm, d: dp, width: dm.d }, scratch)) return false;
  unpadRows(dqkvP, dqkv, 3 * rows, dm.d, dp);
  return true;
}

const KERNELS: readonly HostKernel<"qkv" | "dy", Attrs>[] = [
  {
    name: FUSED_ATTENTION,
    outputShape: ({ qkv }, { heads }) => {
      const { b, n, c } = dims(qkv, heads);
      return [b, n, c];
    },
    scratch: ({ qkv }, { heads }) => scratchFloats(qkv, heads, false),
    compute: (v, out, { qkv }, { heads }, scratch) => {
      const { b, n, h, d } = dims(qkv, heads);
      if (!forwardSimd(v.qkv, out, { b, n, h, d }, scratch)) {
        attentionForward(v.qkv, out, b, n, h, d);
      }
    },
  },
  {
    name: FUSED_ATTENTION_GRAD,
    outputShape: ({ qkv }) => [...qkv.shape],
    scratch: ({ qkv }, { heads }) => scratchFloats(qkv, heads, true),
    compute: (v, out, { qkv }, { heads }, scratch) => {
      const { b, n, h, d } = dims(qkv, heads);
      if (!backwardSimd(v.qkv, v.dy, out, { b, n, h, d }, scratch)) {
        attentionBackward(v.qkv, v.dy, out, b, n, h, d);
      }
    },
  },
];

let installed = false;
let enabled = true;

/**
 * Turns the fused path off (or back on) for this thread, so that {@linkcode fusedAttention}
 * reports `undefined` and callers use the composite form (tests compare the two paths).
 */
export function setFusedAttention(on: boolean): void {
  enabled = on;
}

/**
 * Registers the kernels for wasm and cpu and the gradient; idempotent.
 *
 * @example
 * ```ts
 * import { installFusedAttention } from "./fused_attention.ts";
 * installFusedAttention();
 * ```
 */
export function installFusedAttention(): void {
  if (installed) return;
  installed = true;
  registerHostKernels(KERNELS);
  if (!tf.getGradient(FUSED_ATTENTION)) {
    tf.registerGradient({
      kernelName: FUSED_ATTENTION,
      inputsToSave: ["qkv"],
      gradFunc: (dy, saved, attrs) => ({
        qkv: () =>
          tf.engine().runKernel(
            FUSED_ATTENTION_GRAD,
            { qkv: saved[0], dy: dy as Tensor },
            attrs as unknown as tf.NamedAttrMap,
          ) as Tensor,
      }),
    });
  }
}

/**
 * Self-attention from the fused projection as one kernel, where the active backend has it.
 *
 * @param qkv `[B, N, 3·heads·D]`: per token q, k, v, each split into `heads` heads of width D.
 * @returns `[B, N, heads·D]` (heads side by side), or `undefined` when the backend has no such
 *   kernel or N exceeds {@linkcode MAX_TOKENS} (use the composite form then).
 */
export function fusedAttention(qkv: Tensor, heads: number): Tensor | undefined {
  installFusedAttention();
  if (
    !enabled || qkv.rank !== 3 || (qkv.shape[1] ?? 0) > MAX_TOKENS ||
    !tf.getKernel(FUSED_ATTENTION, tf.getBackend())
  ) {
    return undefined;
  }
  return tf.engine().runKernel(FUSED_ATTENTION, { qkv }, { heads }) as Tensor;
}
