/**
 * The comparison behind the tests of GATr's attention kernels (`src/backend/gatr_attention.ts`
 * and its WGSL twin): `geometricAttentionInternal` with the kernels and composed from tfjs ops
 * (the reference, `setGatrAttention(false)`), values and the gradients with respect to the packed
 * queries/keys/values and the log-weights, on the active backend. Asynchronous reads, so that it
 * runs on webgpu too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertCloseToRms } from "./assert_close.ts";
import { tf } from "../tf.ts";
import {
  GATR_ATTN_CORE,
  GATR_ATTN_CORE_GRAD,
  GATR_ATTN_FEATURES,
  GATR_ATTN_FEATURES_GRAD,
  GATR_ATTN_LOGW_GRAD,
  gatrAttentionAvailable,
  setGatrAttention,
  W_POS,
} from "../backend/gatr_attention.ts";
import { geometricAttentionInternal } from "../models/gatr/geometric_attention.ts";

/** Sizes of one case: `b` samples of `n` items, `h` heads of `c` multivector, `s` scalar channels. */
export interface AttentionCase {
  readonly b: number;
  readonly n: number;
  readonly h: number;
  readonly c: number;
  readonly s: number;
}

/** The kernels one call launches, forward then backward. */
export const ATTENTION_KERNELS: readonly string[] = [
  GATR_ATTN_FEATURES,
  GATR_ATTN_CORE,
  GATR_ATTN_CORE_GRAD,
  GATR_ATTN_FEATURES_GRAD,
  GATR_ATTN_LOGW_GRAD,
];

/**
 * Packed inputs of growing scale, log-weights, a cotangent. The e123 components of queries and
 * keys stay 0.1 away from 0: near the normaliser's ε (`|t₃| ≲ 0.03`) `d r²/d t₃` reaches 10⁴ and
 * the composite's float32 gradient there is off by up to 10⁻³ of the gradient's RMS (the kernels
 * agree with float64 finite differences to 10⁻⁶ there).
 */
function inputs({ b, n, h, c, s }: AttentionCase, seed: number): tf.Tensor[] {
  const t = b * n;
  const ctot = h * c + 2 * c;
  const w = h * s + 2 * s + 16 * ctot;
  const ow = h * s + 16 * h * c;
  const scale = tf.linspace(0.03, 1.5, w).reshape([1, w]);
  const wCols = new Float32Array(w);
  const from = h * s + 2 * s + W_POS * ctot;
  wCols.fill(0.1, from, from + h * c + c);
  const x = tf.randomNormal([t, w], 0, 1, "float32", seed).mul(scale);
  return [
    x.add(x.sign().mul(tf.tensor2d(wCols, [1, w]))),
    tf.randomNormal([h, c], 0, 0.5, "float32", seed + 1),
    tf.randomNormal([t, ow], 0, 1, "float32", seed + 2),
  ];
}

async function run(
  c: AttentionCase,
  [qkv, logW, dy]: tf.Tensor[],
  fused: boolean,
): Promise<{ values: Float32Array[]; kernels: string[] }> {
  setGatrAttention(fused);
  try {
    const sizes = { heads: c.h, mv: c.c, s: c.s, items: c.n };
    const f = (x: tf.Tensor, lw: tf.Tensor) => geometricAttentionInternal(x, lw, sizes);
    let out: tf.Tensor[] = [];
    const info = await tf.profile(() => {
      const value = f(qkv, logW);
      const grads = tf.grads((x: tf.Tensor, lw: tf.Tensor) => f(x, lw).mul(dy).sum())([qkv, logW]);
      out = [value, ...grads];
    });
    assert.deepEqual(out[1].shape, qkv.shape);
    assert.deepEqual(out[2].shape, logW.shape);
    const values = await Promise.all(out.map((v) => v.data() as Promise<Float32Array>));
    tf.dispose(out);
    return { values, kernels: info.kernelNames };
  } finally {
    setGatrAttention("auto");
  }
}

/**
 * Asserts that the kernels run (each once) and equal the composite: the output, and the gradients
 * with respect to `qkv` and the log-weights.
 *
 * @param tol relative tolerance (float32 sums in another order).
 */
export async function compareGatrAttention(
  c: AttentionCase,
  seed: number,
  tol = 1e-4,
): Promise<void> {
  setGatrAttention(true);
  try {
    assert.ok(gatrAttentionAvailable(c.n), "the kernels are registered and used here");
  } finally {
    setGatrAttention("auto");
  }
  const label = `B=${c.b} N=${c.n} H=${c.h} c=${c.c} s=${c.s}`;
  tf.engine().startScope();
  try {
    const x = inputs(c, seed);
    const fused = await run(c, x, true);
    const composite = await run(c, x, false);
    assert.deepEqual(
      fused.kernels.filter((k) => k.startsWith("RemulGatrAttn")),
      ATTENTION_KERNELS,
      `${label}: one launch of each kernel`,
    );
    assert.ok(!composite.kernels.some((k) => k.startsWith("RemulGatrAttn")), `${label}: composed`);
    for (const [i, what] of ["value", "d qkv", "d log w"].entries()) {
      assertCloseToRms(fused.values[i], composite.values[i], `${label}: ${what}`, tol);
    }
  } finally {
    tf.engine().endScope();
  }
}

/** The cases both tests run: GATr small on N-body, MoCap's 31 joints, batch 1, one item, odd sizes. */
export const ATTENTION_CASES: readonly AttentionCase[] = [
  { b: 3, n: 5, h: 8, c: 4, s: 8 }, // GATr small on N-body
  { b: 2, n: 31, h: 3, c: 2, s: 5 },
  { b: 1, n: 5, h: 2, c: 3, s: 4 },
  { b: 4, n: 1, h: 1, c: 1, s: 4 },
  { b: 1, n: 7, h: 5, c: 1, s: 7 },
];
