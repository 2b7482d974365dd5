/**
 * GATr primitive: geometric (multi-query) scaled dot-product attention over items (reference
 * notes §2.6, `gatr/primitives/attention.py::geometric_attention`).
 *
 * Per head, the logit between query item i and key item j is the dot product of two feature
 * vectors, one per multivector channel plus the auxiliary scalars:
 * 1. the PGA inner product over components {1, e1, e2, e3, e12, e13, e23};
 * 2. a distance term from the trivector part t = (e012, e013, e023, e123), normalised as
 *    `t̃ = t · t₃ / (t₃² + 1e-3)`: `φ(q) = [Σ_{a<3} q̃_a², q̃₃², q̃₃q̃₀, q̃₃q̃₁, q̃₃q̃₂]` (times a
 *    positive per-head, per-channel weight) and `ψ(k) = [−k̃₃², −Σ_{a<3} k̃_a², 2k̃₃k̃₀, 2k̃₃k̃₁,
 *    2k̃₃k̃₂]`, so `φ·ψ = −‖q̃_{0..2}k̃₃ − k̃_{0..2}q̃₃‖²` (minus the squared distance for points);
 * 3. the Euclidean dot product of the scalar queries and keys.
 * The scale is `1/sqrt(12·c + s)`. Softmax over keys; the output averages all 16 components of
 * every value channel and the value scalars. Keys and values are shared by all heads.
 *
 * The reference pads the features to a multiple of 8 and rescales the keys so that the scale is
 * exactly this one; we use the unpadded features directly (identical result).
 *
 * Kernel economy: every feature is a product of the normalisation factor and components picked
 * by one constant matMul (`[Σ a², w², w·a]` are `r²·(u ⊙ v)·C` for `r = t₃/(t₃² + ε)`), query
 * and key features are computed in one pass, the key's signs and swap are one `[12, 12]` matMul,
 * the distance weights and the scale are folded into one per-head factor on the queries, and the
 * queries keep their `[B, N·H, D]` item-major order (no transposes): rows of a matMul are
 * independent, so the heads need not be contiguous.
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { constant } from "./_constants.ts";
import { customOp } from "./_custom_op.ts";
import { BLADE_ORDER } from "./_layout.ts";
import {
  gatrAttention,
  gatrAttentionAvailable,
  gatrAttentionGrad,
} from "../../backend/gatr_attention.ts";

/** ε of the trivector normaliser `t₃ / (t₃² + ε)`. */
export const ATTENTION_NORMALIZER_EPS = 1e-3;

/** Components used by the attention inner product (e123 enters through the distance term). */
const INNER_NO_TRIVECTOR = [0, 2, 3, 4, 8, 9, 10];
/** Ideal trivector components e012, e013, e023, then e123. */
const [E012, E013, E023, E123] = [11, 12, 13, 14];
/** Left and right factors of the 7 products `a₀², a₁², a₂², w², w·a₀, w·a₁, w·a₂`. */
const PRODUCT_LEFT = [E012, E013, E023, E123, E123, E123, E123];
const PRODUCT_RIGHT = [E012, E013, E023, E123, E012, E013, E023];

/** Per-channel attention features per multivector channel: 7 inner-product + 5 distance. */
export const FEATURES_PER_CHANNEL = 12;

/** Queries, keys and values of one geometric attention call. */
export interface GeometricAttentionInputs {
  /** `[B, N, H, c, 16]` multivector queries, one set per head. */
  readonly qMv: Tensor;
  /** `[B, N, c, 16]` multivector keys, shared by all heads. */
  readonly kMv: Tensor;
  /** `[B, N, cv, 16]` multivector values, shared by all heads. */
  readonly vMv: Tensor;
  /** `[B, N, H, s]` scalar queries (optional, with `kS`). */
  readonly qS?: Tensor;
  /** `[B, N, s]` scalar keys. */
  readonly kS?: Tensor;
  /** `[B, N, sv]` scalar values (optional). */
  readonly vS?: Tensor;
}

/** `[16, 22]`: the inner-product components, both product factors, then e123. */
function featureSelection(): Tensor {
  const cols = [...INNER_NO_TRIVECTOR, ...PRODUCT_LEFT, ...PRODUCT_RIGHT, E123];
  return constant("attnSelect", [16, cols.length], () => {
    const m = new Float32Array(16 * cols.length);
    cols.forEach((g, c) => (m[g * cols.length + c] = 1));
    return m;
  });
}

/** `[7, 5]`: products → `[Σ a², w², w·a₀, w·a₁, w·a₂]`. */
function productSums(): Tensor {
  return constant("attnProducts", [7, 5], () => {
    const m = new Float32Array(35);
    for (let p = 0; p < 3; p++) m[p * 5] = 1;
    m[3 * 5 + 1] = 1;
    for (let p = 4; p < 7; p++) m[p * 5 + p - 2] = 1;
    return m;
  });
}

/** `[12, 12]`: query-form features → key form `[ip, −w², −Σ a², 2w·a]`. */
function keyForm(): Tensor {
  return constant("attnKeyForm", [12, 12], () => {
    const m = new Float32Array(144);
    for (let i = 0; i < 7; i++) m[i * 12 + i] = 1;
    m[7 * 12 + 8] = -1; // Σ a² → −Σ a² in slot 8
    m[8 * 12 + 7] = -1; // w² → −w² in slot 7
    for (let i = 9; i < 12; i++) m[i * 12 + i] = 2;
    return m;
  });
}

/** `[12]` masks of the inner-product and the distance features, times `scale`. */
function featureMasks(scale: number): [Tensor, Tensor] {
  const mask = (dist: boolean) =>
    constant(
      `attnMask:${dist}:${scale}`,
      [12],
      () => Float32Array.from({ length: 12 }, (_, i) => (i >= 7) === dist ? scale : 0),
    );
  return [mask(false), mask(true)];
}

/**
 * Query-form features of single multivectors: `[ip (7), Σ ã², w̃², w̃·ã (3)]` with the normalised
 * trivector `t̃ = t · t₃ / (t₃² + ε)` (ã its ideal part, w̃ its e123 part).
 *
 * @param rows `[M, 16]`
 * @returns `[M, 12]`
 */
function queryForm(rows: Tensor): Tensor {
  return tf.tidy(() => {
    const sel = tf.matMul(rows as tf.Tensor2D, featureSelection() as tf.Tensor2D); // [M, 22]
    const [ip, u, v, t3] = tf.split(sel, [7, 7, 7, 1], 1);
    const t3sq = t3.square();
    const r2 = t3sq.div(t3sq.add(ATTENTION_NORMALIZER_EPS).square()); // (t₃ / (t₃² + ε))²
    const dist = tf.matMul(u.mul(v) as tf.Tensor2D, productSums() as tf.Tensor2D).mul(r2); // [M, 5]
    return tf.concat([ip, dist], 1);
  });
}

/**
 * Query or key features of multivector channels.
 *
 * @param mv `[..., c, 16]`
 * @param role `query` builds φ, `key` builds ψ.
 * @param weights `[H, c]` positive weights on φ, or none; broadcast against `mv`'s `[..., H, c]`.
 * @returns `[..., c·12]`, invariant under E(3) in the sense that `features_q · features_k` is.
 */
export function attentionFeatures(mv: Tensor, role: "query" | "key", weights?: Tensor): Tensor {
  return tf.tidy(() => {
    const lead = mv.shape.slice(0, -1); // [..., c]
    const c = lead[lead.length - 1];
    let f = queryForm(mv.reshape([-1, 16])); // [M, 12]
    if (role === "key") {
      f = tf.matMul(f as tf.Tensor2D, keyForm() as tf.Tensor2D);
    } else if (weights) {
      const hc = weights.size; // weights [H, c] match the trailing [H, c] of the lead axes
      const [ipMask, distMask] = featureMasks(1);
      const w = weights.reshape([hc, 1]).mul(distMask).add(ipMask); // [H·c, 12]
      f = f.reshape([-1, hc, FEATURES_PER_CHANNEL]).mul(w);
    }
    return f.reshape([...lead.slice(0, -1), c * FEATURES_PER_CHANNEL]);
  });
}

/**
 * Geometric multi-query attention over the item axis.
 *
 * @param inputs queries, keys, values (see {@link GeometricAttentionInputs}); multivectors
 *   transform under ρ, scalars are invariant.
 * @param distWeights `[H, c]` positive weights of the distance term (GATr: `exp(log_w)`).
 * @returns `mv [B, N, H, cv, 16]` (equivariant) and `s [B, N, H, sv]` (invariant, absent when
 *   there are no scalar values).
 */
export function geometricAttention(
  inputs: GeometricAttentionInputs,
  distWeights?: Tensor,
): { mv: Tensor; s?: Tensor } {
  const { qMv, kMv, vMv, qS, kS, vS } = inputs;
  const [b, n, h, c] = qMv.shape as number[];
  const cv = vMv.shape[2] as number;
  const s = qS ? qS.shape[3] as number : 0;
  const sv = vS ? vS.shape[2] as number : 0;
  const out = tf.tidy(() => {
    // query and key features in one pass
    const mq = b * n * h * c;
    const rows = tf.concat([qMv.reshape([mq, 16]), kMv.reshape([-1, 16])], 0);
    const [fq, fk] = tf.split(queryForm(rows), [mq, b * n * c], 0);
    const scale = 1 / Math.sqrt(c * FEATURES_PER_CHANNEL + s);
    // per head: [distance weights, ones on the inner product] · scale, then scale on scalars
    const [ipMask, distMask] = featureMasks(scale);
    const w = distWeights ?? tf.ones([h, c]);
    let qScale = w.reshape([h, c, 1]).mul(distMask).add(ipMask).reshape([h, c * 12]);
    let q = fq.reshape([b, n, h, c * FEATURES_PER_CHANNEL]);
    let k = tf.matMul(fk as tf.Tensor2D, keyForm() as tf.Tensor2D).reshape([b, n, -1]);
    if (qS && kS) {
      q = tf.concat([q, qS], -1);
      k = tf.concat([k, kS], -1);
      qScale = tf.concat([qScale, tf.fill([h, s], scale)], 1);
    }
    // rows (item, head): one matMul over all heads against the shared keys
    const qRows = q.mul(qScale).reshape([b, n * h, -1]); // [B, N·H, D]
    const attn = tf.softmax(tf.matMul(qRows, k, false, true), -1); // [B, N·H, N]
    let v = vMv.reshape([b, n, cv * 16]);
    if (vS) v = tf.concat([v, vS], -1); // [B, N, 16cv + sv]
    const o = tf.matMul(attn, v).reshape([b, n, h, cv * 16 + sv]);
    if (!vS) return [o.reshape([b, n, h, cv, 16])];
    const [mv, os] = tf.split(o, [cv * 16, sv], -1);
    return [mv.reshape([b, n, h, cv, 16]), os];
  });
  return { mv: out[0], s: out[1] };
}

/** Sizes of {@link geometricAttentionInternal}. */
export interface AttentionSizes {
  /** Heads H. */
  readonly heads: number;
  /** Multivector channels c per head of the queries, and of the shared keys and values. */
  readonly mv: number;
  /** Scalar channels s per head of the queries, and of the shared keys and values. */
  readonly s: number;
  /** Items N per sample; the T rows are B samples of N items. */
  readonly items: number;
}

/** `[16, k]` selection of the given GATr components, rows in the internal order. */
function internalSelection(key: string, cols: readonly (number | undefined)[]): Tensor {
  return constant(`attnInternal:${key}`, [16, cols.length], () => {
    const m = new Float32Array(16 * cols.length);
    cols.forEach((g, c) => {
      if (g !== undefined) m[BLADE_ORDER.indexOf(g) * cols.length + c] = 1;
    });
    return m;
  });
}

/**
 * {@link geometricAttention} as the self-attention layer runs it: on the packed output of its
 * query/key/value projection (`_layout.ts`), with the distance weights `exp(log_w)`, as one op with
 * a hand-written gradient (`_custom_op.ts`). Same function: the features of queries and keys in
 * one pass (the inner-product part and the factors of the distance part each one selection matMul,
 * so that no narrow columns are split or joined), queries in item-major row order, the weights and
 * the scale folded into one per-head factor; the gradient runs the softmax, the two batched
 * products and the features backwards (`d r²/d t₃ = 2t₃(ε − t₃²)/(t₃² + ε)³`).
 *
 * Where the backend runs them (`gatrAttentionAvailable`: webgpu, wasm on request, at most 64 items) the op is
 * two kernels forward and three backward (`src/backend/gatr_attention.ts`) instead of 33 and 43;
 * the tfjs composite below is the reference and runs elsewhere.
 *
 * @param qkv `[T, H·s + 2s + 16·(H·c + 2c)]`: the scalars (H·s queries head-major, s keys, s
 *   values), then the multivectors (internal layout; channels: H·c queries head-major, c keys,
 *   c values).
 * @param logWeights `[H, c]` logs of the distance weights.
 * @param sizes heads, channels per head, items per sample.
 * @returns `[T, H·s + 16·H·c]`: the heads' scalar outputs, then their multivectors (internal
 *   layout), both head-major.
 */
export function geometricAttentionInternal(
  qkv: Tensor,
  logWeights: Tensor,
  sizes: AttentionSizes,
): Tensor {
  const { heads: h, mv: c, s, items: n } = sizes;
  if (gatrAttentionAvailable(n)) {
    const attrs = { heads: h, mv: c, s, items: n };
    return customOp("GatrAttention", [qkv, logWeights], ([qkv, logWeights], save) => {
      const { value, features } = gatrAttention(qkv, logWeights, attrs);
      save([qkv, logWeights, features]);
      return {
        value,
        gradient: (dy, [qkv, logWeights, features]) =>
          gatrAttentionGrad(qkv, logWeights, features, dy, attrs),
      };
    });
  }
  const t = qkv.shape[0];
  const b = t / n;
  const ctot = h * c + 2 * c; // query, key and value channels
  const cqk = h * c + c;
  const m = t * cqk; // rows of query and key features
  const d = c * FEATURES_PER_CHANNEL + s;
  const dv = 16 * c + s;
  const scale = 1 / Math.sqrt(d);
  const none = undefined;
  // features = ip ⊕ r²·((x·U) ⊙ (x·V))·D: the inner-product part in columns 0..6, the distance
  // part in columns 7..11
  const selIp = internalSelection("ip", [...INNER_NO_TRIVECTOR, none, none, none, none, none]);
  const selU = internalSelection("u", PRODUCT_LEFT);
  const selV = internalSelection("v", PRODUCT_RIGHT);
  const selT3 = internalSelection("t3", [E123]);
  const sums = constant("attnProducts12", [7, 12], () => {
    const m = new Float32Array(84);
    for (let p = 0; p < 3; p++) m[p * 12 + 7] = 1;
    m[3 * 12 + 8] = 1;
    for (let p = 4; p < 7; p++) m[p * 12 + p + 5] = 1;
    return m;
  });
  return customOp("GatrAttention", [qkv, logWeights], ([qkv, logWeights], save) => {
    const mm = (a: Tensor, w: Tensor, ta = false, tb = false) =>
      tf.matMul(a as tf.Tensor3D, w as tf.Tensor3D, ta, tb);
    const [sAll, mvFlat] = tf.split(qkv, [h * s + 2 * s, 16 * ctot], 1);
    const rows = mvFlat.reshape([t, 16, ctot]).transpose([0, 2, 1]); // [T, ctot, 16]
    const [qkRows, vRows] = tf.split(rows, [cqk, c], 1);
    const x = qkRows.reshape([m, 16]);
    const u = mm(x, selU);
    const v = mm(x, selV);
    const t3 = mm(x, selT3);
    const t3sq = t3.square();
    const den = t3sq.add(ATTENTION_NORMALIZER_EPS);
    const r2 = t3sq.div(den.square()); // (t₃ / (t₃² + ε))²
    const dist = mm(u.mul(v), sums); // [M, 12], zero on the inner-product columns
    const f = mm(x, selIp).add(dist.mul(r2)).reshape([t, cqk * 12]);
    const [fq, fk] = tf.split(f, [h * c * 12, c * 12], 1);
    const [qS, kS, vS] = tf.split(sAll, [h * s, s, s], 1);
    // per head: [distance weights, ones on the inner product, ones on the scalars] · scale
    const w = logWeights.exp();
    const [ipMask, distMask] = featureMasks(scale);
    const qScale = tf.concat([
      w.reshape([h, c, 1]).mul(distMask).add(ipMask).reshape([h, c * 12]),
      tf.fill([h, s], scale),
    ], 1); // [H, D]
    const q0 = tf.concat([fq.reshape([t, h, c * 12]), qS.reshape([t, h, s])], 2); // [T, H, D]
    const q = q0.mul(qScale).reshape([b, n * h, d]);
    const fkK = mm(fk.reshape([t * c, 12]), keyForm()).reshape([t, c * 12]);
    const k = tf.concat([fkK, kS], 1).reshape([b, n, d]);
    const a = tf.softmax(mm(q, k, false, true), -1); // [B, N·H, N]
    const vv = tf.concat([vRows.reshape([t, 16 * c]), vS], 1).reshape([b, n, dv]);
    const [oMv, oS] = tf.split(mm(a, vv).reshape([t, h, dv]), [16 * c, s], 2);
    const value = tf.concat([
      oS.reshape([t, h * s]),
      oMv.reshape([t, h * c, 16]).transpose([0, 2, 1]).reshape([t, 16 * h * c]),
    ], 1);
    save([u, v, t3, t3sq, den, r2, dist, q0, qScale, q, k, a, vv, w]);
    return {
      value,
      gradient(dy, [u, v, t3, t3sq, den, r2, dist, q0, qScale, q, k, a, vv, w]) {
        const [dOS, dOMv] = tf.split(dy, [h * s, 16 * h * c], 1);
        const dO = tf.concat([
          dOMv.reshape([t, 16, h * c]).transpose([0, 2, 1]).reshape([t, h, 16 * c]),
          dOS.reshape([t, h, s]),
        ], 2).reshape([b, n * h, dv]);
        const dV = mm(a, dO, true, false).reshape([t, dv]);
        const dA = mm(dO, vv, false, true);
        const dLogits = a.mul(dA.sub(dA.mul(a).sum(-1, true)));
        const dQ = mm(dLogits, k).reshape([t, h, d]);
        const dK = mm(dLogits, q, true, false).reshape([t, d]);
        // distance weights: qScale = w·distMask + ipMask on the features
        const dScale = dQ.mul(q0).sum(0).slice([0, 0], [h, c * 12]).reshape([h * c, 12]);
        const dLogW = mm(dScale, distMask.reshape([12, 1])).reshape([h, c]).mul(w);
        const [dFq, dqS] = tf.split(dQ.mul(qScale), [c * 12, s], 2);
        const [dFkK, dkS] = tf.split(dK, [c * 12, s], 1);
        const dFk = mm(dFkK.reshape([t * c, 12]), keyForm(), false, true);
        const dF = tf.concat([dFq.reshape([t, h * c * 12]), dFk.reshape([t, c * 12])], 1)
          .reshape([m, 12]);
        const dR2 = dF.mul(dist).sum(-1, true);
        const dp = mm(dF.mul(r2), sums, false, true); // [M, 7]
        // d r²/d t₃ = 2t₃(ε − t₃²)/(t₃² + ε)³
        const dT3 = dR2.mul(tf.sub(ATTENTION_NORMALIZER_EPS, t3sq).mul(t3).mul(2))
          .div(den.square().mul(den));
        const dX = tf.addN([
          mm(dF, selIp, false, true),
          mm(dp.mul(v), selU, false, true),
          mm(dp.mul(u), selV, false, true),
          mm(dT3, selT3, false, true),
        ]).reshape([t, cqk, 16]);
        const [dVMv, dvS] = tf.split(dV, [16 * c, s], 1);
        const dRows = tf.concat([dX, dVMv.reshape([t, c, 16])], 1); // [T, ctot, 16]
        const dQkv = tf.concat([
          dqS.reshape([t, h * s]),
          dkS,
          dvS,
          dRows.transpose([0, 2, 1]).reshape([t, 16 * ctot]),
        ], 1);
        return [dQkv, dLogW];
      },
    };
  });
}
