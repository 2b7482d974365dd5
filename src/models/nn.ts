/**
 * Small, pure tensor functions shared by the non-equivariant models: dense maps on the last axis,
 * layer norm, GELU, multi-head self-attention. Everything here is a function of tensors and
 * variables; nothing holds state.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { fusedAttention } from "../backend/fused_attention.ts";
import { fusedDense } from "../backend/fused_dense.ts";
import {
  applyFused,
  applyFusedGrad,
  fusedOpsEnabled,
  type FusedUnaryOp,
} from "../backend/fused_op.ts";
import { RESIDUAL_LAYER_NORM_KERNEL } from "../backend/webgpu_layer_norm.ts";
import {
  gateGradInto,
  gateInto,
  GELU_GATE,
  layerNormGradInto,
  layerNormInto,
  siluGradInto,
  siluInto,
} from "../backend/simd_kernels.ts";

/** A dense layer's parameters: weight `[in, out]`, optional bias `[out]`. */
export interface DenseParams {
  readonly w: Tensor;
  readonly b?: Tensor;
}

/**
 * Dense map on the last axis: one kernel each way on wasm with OpenBLAS
 * ({@link ../backend/fused_dense.ts}) and on webgpu ({@link ../backend/webgpu_dense.ts}), the
 * composite elsewhere.
 *
 * @param x `[..., in]`
 * @returns `[..., out]`
 */
export function dense(x: Tensor, p: DenseParams): Tensor {
  return fusedDense(x, p.w, p.b) ?? denseComposite(x, p);
}

/** {@linkcode dense} from tfjs's own ops (reshape, matMul, add); the reference of the fused kernel. */
export function denseComposite(x: Tensor, p: DenseParams): Tensor {
  return tf.tidy(() => {
    const [fanIn, fanOut] = p.w.shape;
    const lead = x.shape.slice(0, -1);
    let y = tf.matMul(x.reshape([-1, fanIn]), p.w as tf.Tensor2D);
    if (p.b) y = y.add(p.b);
    return y.reshape([...lead, fanOut]);
  });
}

/**
 * Layer norm over the last axis without affine parameters (as in GATr's baseline Transformer),
 * biased variance. One fused kernel each way on wasm and cpu ({@link ../backend/fused_op.ts}) and
 * on webgpu (WGSL, {@link ../backend/webgpu_layer_norm.ts}).
 *
 * @param x `[..., C]`
 */
export function layerNorm(x: Tensor): Tensor {
  return applyFused(LAYER_NORM, x);
}

/**
 * A residual connection followed by a layer norm, as in a pre-LN Transformer: `sum = x + y` and
 * `layerNorm(sum)`. One kernel each way on webgpu (`RemulResidualLayerNorm`,
 * {@link ../backend/webgpu_layer_norm.ts}: the sum and its norm in one program, and backward the
 * norm's gradient and the sum's own in one); elsewhere `x.add(y)` and {@linkcode layerNorm}, the
 * same arithmetic.
 *
 * @param x `[..., C]`, the residual stream.
 * @param y `[..., C]`, what the block adds to it.
 */
export function residualLayerNorm(x: Tensor, y: Tensor): { sum: Tensor; normed: Tensor } {
  if (
    fusedOpsEnabled() && x.dtype === "float32" && y.dtype === "float32" && x.rank > 0 &&
    x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]) &&
    tf.getKernel(RESIDUAL_LAYER_NORM_KERNEL, tf.getBackend())
  ) {
    const [sum, normed] = tf.engine().runKernel(
      RESIDUAL_LAYER_NORM_KERNEL,
      { x, y },
      {},
    ) as unknown as [Tensor, Tensor];
    return { sum, normed };
  }
  const sum = x.add(y);
  return { sum, normed: layerNorm(sum) };
}

const LN_EPS = 1e-5;

/** Mean and 1/√(variance + ε) of `x[r .. r + c)`, written to `out[0]`, `out[1]`. */
function rowStats(x: Float32Array, r: number, c: number, out: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < c; i++) mean += x[r + i];
  mean /= c;
  let v = 0;
  for (let i = 0; i < c; i++) v += (x[r + i] - mean) ** 2;
  out[0] = mean;
  out[1] = 1 / Math.sqrt(v / c + LN_EPS);
}

/**
 * Layer norm as one kernel: `(x − μ)/√(σ² + ε)` per row of the last axis. Rows whose width is a
 * multiple of 4 (every model here) run as WebAssembly SIMD loops on the wasm heap
 * ({@link ../backend/simd_kernels.ts}; 2–4× faster than a JavaScript loop in float64, which is
 * what other widths keep), with float32 statistics.
 */
export const LAYER_NORM: FusedUnaryOp = {
  name: "RemulLayerNorm",
  forward(x, out, c) {
    if (c % 4 === 0) return layerNormInto(x, out, x.length / c, c);
    const stats = new Float64Array(2);
    for (let r = 0; r < x.length; r += c) {
      rowStats(x, r, c, stats);
      const [mean, inv] = stats;
      for (let i = 0; i < c; i++) out[r + i] = (x[r + i] - mean) * inv;
    }
  },
  backward(x, dy, dx, c) {
    if (c % 4 === 0) return layerNormGradInto(x, dy, dx, x.length / c, c);
    // dx = inv·(dy − mean(dy) − ŷ·mean(dy·ŷ))
    const stats = new Float64Array(2);
    for (let r = 0; r < x.length; r += c) {
      rowStats(x, r, c, stats);
      const [mean, inv] = stats;
      let sumDy = 0;
      let sumDyY = 0;
      for (let i = 0; i < c; i++) {
        sumDy += dy[r + i];
        sumDyY += dy[r + i] * (x[r + i] - mean) * inv;
      }
      sumDy /= c;
      sumDyY /= c;
      for (let i = 0; i < c; i++) {
        dx[r + i] = inv * (dy[r + i] - sumDy - (x[r + i] - mean) * inv * sumDyY);
      }
    }
  },
  composite(x) {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS)));
    });
  },
};

/**
 * GELU, tanh approximation (PyTorch `approximate="tanh"`). Elementwise. One fused kernel each
 * way on wasm and cpu ({@link GELU}) and on webgpu (WGSL, {@link ../backend/webgpu_gelu.ts});
 * elsewhere `x·σ(2√(2/π)·(x + 0.044715·x³))`, the same function (`½(1 + tanh z) = σ(2z)`),
 * without `pow` or `tanh`, the two slowest elementwise kernels of tfjs-backend-wasm.
 */
export function gelu(x: Tensor): Tensor {
  return applyFused(GELU, x);
}

const GELU_C = GELU_GATE.c;

/**
 * `dy·GELU'(x)` (tanh form): GELU's gradient kernel where the backend has it, else composed
 * (`σ + x·σ·(1 − σ)·c·(1 + 3k·x²)`, σ at `c·(x + k·x³)`).
 */
export function geluVjp(x: Tensor, dy: Tensor): Tensor {
  return applyFusedGrad(GELU, x, dy, () =>
    tf.tidy(() => {
      const k = 0.044715;
      const x2 = x.square();
      const sg = tf.sigmoid(x.mul(x2.mul(GELU_C * k).add(GELU_C)));
      return dy.mul(sg.add(x.mul(sg).mul(tf.sub(1, sg)).mul(x2.mul(3 * GELU_C * k).add(GELU_C))));
    }));
}

/**
 * GELU as one kernel each way: on the wasm heap one SIMD loop each way
 * ({@link ../backend/simd_kernels.ts}, the same `exp` as SiLU's; before it, tfjs's six SIMD
 * kernels beat a JavaScript loop with `Math.exp`, which is what cpu runs).
 */
export const GELU: FusedUnaryOp = {
  name: "RemulGelu",
  forward(x, out) {
    gateInto(x, out, GELU_GATE);
  },
  backward(x, dy, dx) {
    gateGradInto(x, dy, dx, GELU_GATE);
  },
  composite(x) {
    return tf.tidy(() => {
      const z = x.mul(x.square().mul(GELU_C * 0.044715).add(GELU_C));
      return x.mul(tf.sigmoid(z));
    });
  },
};

/**
 * SiLU, also called swish: `x·σ(x)`, elementwise; the one used by every model here (the graph
 * models' message MLPs, the MLP baseline, EMLP's gated nonlinearity on scalars and RPP's
 * residual). One kernel each way on wasm and cpu ({@link SILU}); elsewhere `Sigmoid` and
 * `Multiply`, whose gradient tfjs writes as six kernels.
 */
export function silu(x: Tensor): Tensor {
  return applyFused(SILU, x);
}

/**
 * SiLU as one kernel each way, as WebAssembly SIMD loops on the wasm heap
 * ({@link ../backend/simd_kernels.ts}): forward `y = x·σ(x)` with a SIMD `exp` (relative error below 4e-7;
 * deterministic: multiply and add, no fused multiply-add),
 * backward `dx = dy·σ·(1 + x·(1 − σ))` with `σ = y/x` recovered from the saved output, so the
 * backward pass needs no `exp`. JavaScript loops with `Math.exp` on cpu.
 */
export const SILU: FusedUnaryOp = {
  name: "RemulSilu",
  backwardReadsOutput: true,
  forward(x, out) {
    siluInto(x, out);
  },
  backward(x, dy, dx, _inner, y) {
    siluGradInto(x, y!, dy, dx);
  },
  composite(x) {
    return tf.tidy(() => x.mul(tf.sigmoid(x)));
  },
};

/** Parameters of multi-head self-attention with fused QKV. */
export interface AttentionParams {
  /** `[C, 3C]` and `[3C]` */
  readonly qkv: DenseParams;
  /** `[C, C]` and `[C]` */
  readonly out: DenseParams;
  readonly heads: number;
}

/**
 * Multi-head scaled dot-product self-attention over the node axis, no mask and no positional
 * encoding, so it is permutation-equivariant over nodes. On wasm, cpu and webgpu the attention
 * itself is one fused kernel ({@link ../backend/fused_attention.ts},
 * {@link ../backend/webgpu_attention.ts}); elsewhere tfjs ops.
 *
 * @param x `[B, N, C]`
 * @returns `[B, N, C]`
 */
export function selfAttention(x: Tensor, p: AttentionParams): Tensor {
  return tf.tidy(() => {
    const [b, n, c] = x.shape;
    const qkv = dense(x, p.qkv); // [B,N,3C]: per token q, k, v, each split into heads
    const o = fusedAttention(qkv, p.heads) ?? attentionComposite(qkv, p.heads); // [B,N,C]
    return dense(o.reshape([b, n, c]), p.out);
  });
}

/**
 * Attention from the fused projection in tfjs ops: the reference for the fused kernel, and the
 * path on backends without it.
 *
 * @param qkv `[B, N, 3C]` (q, k, v side by side, each split into `heads` heads).
 * @returns `[B, N, C]` (heads side by side).
 */
export function attentionComposite(qkv: Tensor, heads: number): Tensor {
  return tf.tidy(() => {
    const [b, n, c3] = qkv.shape;
    const c = c3 / 3;
    const d = c / heads;
    const split = qkv.reshape([b, n, 3, heads, d]).transpose([2, 0, 3, 1, 4]); // [3,B,H,N,D]
    const [q, k, v] = tf.unstack(split, 0);
    const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(d)); // [B,H,N,N]
    const attn = tf.softmax(scores, -1);
    return tf.matMul(attn, v).transpose([0, 2, 1, 3]).reshape([b, n, c]); // [B,N,C]
  });
}

/**
 * Concatenates per-node input fields along the feature axis.
 *
 * @param fields tensors `[B, N, k_i]` in the given order.
 * @returns `[B, N, Σ k_i]`
 */
export function concatNodeFeatures(fields: readonly Tensor[]): Tensor {
  return fields.length === 1 ? fields[0] : tf.concat(fields as Tensor[], -1);
}
