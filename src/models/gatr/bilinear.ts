/**
 * GATr primitives: the geometric product and the equivariant join of multivector channels
 * (reference notes §2.1, §2.5).
 *
 * A bilinear table T (`out_i = Σ_{j,k} T[i,j,k] x_j y_k`) runs in factored form
 * `out = ((x·A) ⊙ (y·B))·C`: two matMuls from 16 columns, one element-wise product and one matMul
 * to 16 columns, and its gradient is the same kind of kernels (no outer products with
 * broadcasting, no reductions over inner axes). The join uses one rank-one term per pair of
 * components its table uses (81 of 256: A picks x_j, B picks y_k, C sums the products into the
 * outputs with their signs); the geometric product uses the rank-72 factors of
 * {@link GEOMETRIC_PRODUCT_FACTORS} (three complex 2×2 matrix products).
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { type FactoredBilinear, GEOMETRIC_PRODUCT_FACTORS, JOIN } from "./algebra.ts";
import { constant, matmulLast } from "./_constants.ts";
import { customOp } from "./_custom_op.ts";
import { BLADE_ORDER } from "./_layout.ts";
import { component } from "./embedding.ts";
import {
  gatrBilinear,
  gatrBilinearAvailable,
  gatrBilinearGrad,
} from "../../backend/gatr_bilinear.ts";

/** A bilinear map in factored form `out = ((x·a) ⊙ (y·b))·c`, as tensors. */
export interface BilinearFactors {
  /** `[16, r]` (or a batch of such): linear forms of the left operand. */
  readonly a: Tensor;
  /** `[16, r]`: linear forms of the right operand. */
  readonly b: Tensor;
  /** `[r, 16]`: where each product goes, with its coefficients. */
  readonly c: Tensor;
}

/**
 * Factors a bilinear table, one rank-one term per pair of components it uses.
 *
 * @param table `[16 (out), 16 (left), 16 (right)]` flat, e.g. {@link GEOMETRIC_PRODUCT}.
 * @returns the rank r (number of pairs) and `a [16, r]`, `b [16, r]`, `c [r, 16]` flat, so that
 *   `Σ_ρ a[j,ρ] b[k,ρ] c[ρ,i] = table[i,j,k]`.
 *
 * @example
 * ```ts
 * import { GEOMETRIC_PRODUCT } from "./algebra.ts";
 * import { factorTable } from "./bilinear.ts";
 * if (factorTable(GEOMETRIC_PRODUCT).rank !== 192) throw new Error();
 * ```
 */
export function factorTable(
  table: Float32Array,
): FactoredBilinear {
  const pairs: [number, number][] = [];
  for (let j = 0; j < 16; j++) {
    for (let k = 0; k < 16; k++) {
      let used = false;
      for (let i = 0; i < 16; i++) used ||= table[i * 256 + j * 16 + k] !== 0;
      if (used) pairs.push([j, k]);
    }
  }
  const r = pairs.length;
  const a = new Float32Array(16 * r);
  const b = new Float32Array(16 * r);
  const c = new Float32Array(r * 16);
  pairs.forEach(([j, k], p) => {
    a[j * r + p] = 1;
    b[k * r + p] = 1;
    for (let i = 0; i < 16; i++) c[p * 16 + i] = table[i * 256 + j * 16 + k];
  });
  return { rank: r, a, b, c };
}

function factors(key: string, f: FactoredBilinear): BilinearFactors {
  return {
    a: constant(`${key}.a`, [16, f.rank], () => f.a),
    b: constant(`${key}.b`, [16, f.rank], () => f.b),
    c: constant(`${key}.c`, [f.rank, 16], () => f.c),
  };
}

/**
 * Factors of the geometric product (rank 72, {@link GEOMETRIC_PRODUCT_FACTORS}), uploaded once per
 * backend.
 */
export function geometricProductFactors(): BilinearFactors {
  return factors("gp", GEOMETRIC_PRODUCT_FACTORS);
}

/** Factors of the join table `dual(dual(x) ∧ dual(y))` (rank 81), uploaded once per backend. */
export function joinFactors(): BilinearFactors {
  return factors("join", factorTable(JOIN));
}

/**
 * Applies a factored bilinear map, component-wise over all leading axes (broadcasting).
 *
 * @param x `[..., 16]`, left operand.
 * @param y `[..., 16]`, right operand (broadcastable against `x`).
 * @param f the factors.
 * @returns `[..., 16]`.
 */
export function applyBilinear(x: Tensor, y: Tensor, f: BilinearFactors): Tensor {
  return tf.tidy(() => matmulLast(matmulLast(x, f.a).mul(matmulLast(y, f.b)), f.c));
}

/**
 * Geometric product, component-wise over all leading axes (broadcasting).
 *
 * @param x `[..., 16]`, left operand.
 * @param y `[..., 16]`, right operand.
 * @returns `[..., 16]` = `x y`; equivariant: `ρ(x)ρ(y) = ρ(x y)`.
 */
export function geometricProduct(x: Tensor, y: Tensor): Tensor {
  return applyBilinear(x, y, geometricProductFactors());
}

/**
 * Equivariant join `ref_e123 · dual(dual(x) ∧ dual(y))`.
 *
 * @param x `[..., 16]`, left operand.
 * @param y `[..., 16]`, right operand.
 * @param reference `[..., 16]` broadcastable to the operands (e.g. `[B, 1, 1, 16]`); only its
 *   e123 component is used, which flips sign under reflections exactly as the plain join does,
 *   so the product is E(3)-equivariant.
 * @returns `[..., 16]`.
 */
export function equivariantJoin(x: Tensor, y: Tensor, reference: Tensor): Tensor {
  return tf.tidy(() => applyBilinear(x, y, joinFactors()).mul(component(reference, 14)));
}

/**
 * The geometric bilinear layer's products on packed internal rows (`_layout.ts`): from the four
 * projections, `L·R` and `join(JL, JR)·ref_e123` per channel, with the scalars of `carry` put in
 * front for the output layer, as one op with a hand-written gradient (`_custom_op.ts`). The
 * products run in factored form on `[T·h, 16]` rows (one transpose of the last two axes each way);
 * the gradient of each is the same four kinds of matMul and product: `dz = dy·Cᵀ`,
 * `d(xA) = dz ⊙ yB`, `dx = d(xA)·Aᵀ` and likewise for y. (Batching the two products in one
 * batched matMul saves kernels but, with the join's rank padded and the extra data movement, was
 * measured slower.)
 *
 * Where the backend runs them (`gatrBilinearAvailable`: webgpu, wasm on request) the products are one kernel
 * forward and two backward (`src/backend/gatr_bilinear.ts`, the sign tables in the code) instead of
 * 15 and 19; the tfjs composite below is the reference and runs elsewhere.
 *
 * @param x `[T, 16·4h]` multivectors, internal layout: channels L, R, JL, JR (h each).
 * @param e123 `[B, 1]` the join reference's e123 component per sample; the T rows are B samples
 *   of equal size.
 * @param carry packed rows `[T, S + …]` whose first S columns (scalars) lead the output.
 * @param sChannels S.
 * @returns `[T, S + 16·2h]`: the carried scalars, then the products (internal layout; channels
 *   L·R, then the joins).
 */
export function bilinearProductsInternal(
  x: Tensor,
  e123: Tensor,
  carry: Tensor,
  sChannels: number,
): Tensor {
  const t = x.shape[0];
  const h = x.shape[1]! / 64;
  const b = e123.shape[0];
  const width = carry.shape[1]!;
  if (gatrBilinearAvailable()) {
    const attrs = { sChannels };
    return customOp("GatrBilinearProducts", [x, e123, carry], ([x, e123, carry], save) => {
      save([x, e123]);
      return {
        value: gatrBilinear(x, e123, carry, attrs),
        gradient(dy, [x, e123]) {
          const [dx, de123] = gatrBilinearGrad(x, e123, dy, attrs);
          const dCarry = sChannels > 0
            ? dy.slice([0, 0], [t, sChannels]).pad([[0, 0], [0, width - sChannels]])
            : tf.zeros([t, width]);
          return [dx, de123, dCarry];
        },
      };
    });
  }
  return customOp("GatrBilinearProducts", [x, e123, carry], ([x, e123, carry], save) => {
    const gp = internalFactors("gp", GEOMETRIC_PRODUCT_FACTORS);
    const jn = internalFactors("join", factorTable(JOIN));
    // one multivector per row, grouped [L | R | JL | JR]
    const rows = x.reshape([t, 16, 4 * h]).transpose([0, 2, 1]).reshape([t, 64 * h]);
    const [l, r, jl, jr] = tf.split(rows, 4, 1).map((p) => p.reshape([t * h, 16]));
    const mm = (a: Tensor, m: Tensor, tb = false) =>
      tf.matMul(a as tf.Tensor2D, m as tf.Tensor2D, false, tb);
    const la = mm(l, gp.a);
    const rb = mm(r, gp.b);
    const ja = mm(jl, jn.a);
    const jb = mm(jr, jn.b);
    const prod = mm(la.mul(rb), gp.c).reshape([t, 16 * h]);
    const join = mm(ja.mul(jb), jn.c).reshape([b, -1]); // per sample
    const out = tf.concat([prod, join.mul(e123).reshape([t, 16 * h])], 1)
      .reshape([t, 2 * h, 16]).transpose([0, 2, 1]).reshape([t, 32 * h]);
    save([la, rb, ja, jb, join, e123]);
    return {
      value: sChannels > 0 ? tf.concat([carry.slice([0, 0], [t, sChannels]), out], 1) : out,
      gradient(dy, [la, rb, ja, jb, join, e123]) {
        const [ds, dOut] = sChannels > 0 ? tf.split(dy, [sChannels, 32 * h], 1) : [undefined, dy];
        const dRows = dOut.reshape([t, 16, 2 * h]).transpose([0, 2, 1]).reshape([t, 32 * h]);
        const [dProd, dJoin] = tf.split(dRows, 2, 1);
        const dJoinB = dJoin.reshape([b, -1]);
        const de123 = dJoinB.mul(join).sum(1, true); // [B, 1]
        const dz = mm(dProd.reshape([t * h, 16]), gp.c, true);
        const dzj = mm(dJoinB.mul(e123).reshape([t * h, 16]), jn.c, true);
        const dl = mm(dz.mul(rb), gp.a, true);
        const dr = mm(dz.mul(la), gp.b, true);
        const djl = mm(dzj.mul(jb), jn.a, true);
        const djr = mm(dzj.mul(ja), jn.b, true);
        const dx = tf.concat([dl, dr, djl, djr].map((d) => d.reshape([t, 16 * h])), 1)
          .reshape([t, 4 * h, 16]).transpose([0, 2, 1]).reshape([t, 64 * h]);
        const dCarry = ds ? ds.pad([[0, 0], [0, width - sChannels]]) : tf.zeros([t, width]);
        return [dx, de123, dCarry];
      },
    };
  });
}

/** Factors with the operands' and the output's components in the internal order (`_layout.ts`). */
function internalFactors(key: string, f: FactoredBilinear): BilinearFactors {
  const r = f.rank;
  return {
    a: constant(`${key}.a.internal`, [16, r], () => {
      const m = new Float32Array(16 * r);
      BLADE_ORDER.forEach((g, p) => m.set(f.a.subarray(g * r, (g + 1) * r), p * r));
      return m;
    }),
    b: constant(`${key}.b.internal`, [16, r], () => {
      const m = new Float32Array(16 * r);
      BLADE_ORDER.forEach((g, p) => m.set(f.b.subarray(g * r, (g + 1) * r), p * r));
      return m;
    }),
    c: constant(`${key}.c.internal`, [r, 16], () => {
      const m = new Float32Array(r * 16);
      for (let q = 0; q < r; q++) BLADE_ORDER.forEach((g, p) => (m[q * 16 + p] = f.c[q * 16 + g]));
      return m;
    }),
  };
}
