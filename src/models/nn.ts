/**
 * Small, pure tensor functions shared by the non-equivariant models: dense maps on the last axis,
 * layer norm, GELU, multi-head self-attention. Everything here is a function of tensors and
 * variables; nothing holds state.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { fusedAttention } from "../backend/fused_attention.ts";

/** A dense layer's parameters: weight `[in, out]`, optional bias `[out]`. */
export interface DenseParams {
  readonly w: Tensor;
  readonly b?: Tensor;
}

/**
 * Dense map on the last axis.
 *
 * @param x `[..., in]`
 * @returns `[..., out]`
 */
export function dense(x: Tensor, p: DenseParams): Tensor {
  return tf.tidy(() => {
    const [fanIn, fanOut] = p.w.shape;
    const lead = x.shape.slice(0, -1);
    let y = tf.matMul(x.reshape([-1, fanIn]), p.w as tf.Tensor2D);
    if (p.b) y = y.add(p.b);
    return y.reshape([...lead, fanOut]);
  });
}

/**
 * Layer norm over the last axis without affine parameters (as in GATr's baseline Transformer).
 *
 * @param x `[..., C]`
 */
export function layerNorm(x: Tensor, eps = 1e-5): Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(eps)));
  });
}

/**
 * GELU, tanh approximation (PyTorch `approximate="tanh"`). Elementwise. Computed as
 * `x·σ(2√(2/π)·(x + 0.044715·x³))`, the same function (`½(1 + tanh z) = σ(2z)`), without `pow`
 * or `tanh`, the two slowest elementwise kernels of tfjs-backend-wasm.
 */
export function gelu(x: Tensor): Tensor {
  return tf.tidy(() => {
    const c = 2 * Math.sqrt(2 / Math.PI);
    const z = x.mul(x.square().mul(c * 0.044715).add(c));
    return x.mul(tf.sigmoid(z));
  });
}

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
 * encoding, so it is permutation-equivariant over nodes. On wasm and cpu the attention itself is
 * one fused kernel ({@link ../backend/fused_attention.ts}); elsewhere tfjs ops.
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
