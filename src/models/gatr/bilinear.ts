/**
 * GATr primitives: the geometric product and the equivariant join of multivector channels
 * (reference notes §2.1, §2.5).
 *
 * A bilinear table T (`out_i = Σ_{j,k} T[i,j,k] x_j y_k`) runs in factored form
 * `out = ((x·A) ⊙ (y·B))·C`: two matMuls from 16 columns, one element-wise product and one matMul
 * to 16 columns, and its gradient is the same kind of kernels (no outer products with
 * broadcasting, no reductions over inner axes). The join uses one rank-one term per pair of
 * components its table uses (81 of 256: A picks x_j, B picks y_k, C sums the products into the
 * outputs with their signs); the geometric product uses the rank-96 factors of
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
 * Factors of the geometric product (rank 96, {@link GEOMETRIC_PRODUCT_FACTORS}), uploaded once per
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
 * Both products' factors as batched matrices in the internal component order (`_layout.ts`):
 * `a`, `b` `[2, 16, r]` and `c` `[2, r, 16]` for the geometric product and the join, the join's
 * rank padded with zero terms to the product's.
 */
function pairedFactors(): BilinearFactors {
  const fs = [GEOMETRIC_PRODUCT_FACTORS, factorTable(JOIN)];
  const r = Math.max(...fs.map((f) => f.rank));
  const stacked = (side: "a" | "b" | "c") => {
    const m = new Float32Array(2 * 16 * r);
    fs.forEach((f, i) => {
      BLADE_ORDER.forEach((g, p) => {
        for (let q = 0; q < f.rank; q++) {
          if (side === "c") m[(i * r + q) * 16 + p] = f.c[q * 16 + g];
          else m[(i * 16 + p) * r + q] = f[side][g * f.rank + q];
        }
      });
    });
    return m;
  };
  return {
    a: constant("pairedFactors.a", [2, 16, r], () => stacked("a")),
    b: constant("pairedFactors.b", [2, 16, r], () => stacked("b")),
    c: constant("pairedFactors.c", [2, r, 16], () => stacked("c")),
  };
}

/**
 * The geometric bilinear layer's products on packed internal rows (`_layout.ts`): from the four
 * projections, `L·R` and `join(JL, JR)·ref_e123` per channel, with the scalars of `carry` put in
 * front for the output layer, as one op with a hand-written gradient (`_custom_op.ts`). The
 * products run in factored form on `[2, T·h, 16]` rows (geometric product and join batched; one
 * transpose each way); the gradient is the same three kinds of batched matMul and product:
 * `dz = dy·Cᵀ`, `d(xA) = dz ⊙ yB`, `dx = d(xA)·Aᵀ` and likewise for y.
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
  const m = t * h;
  const width = carry.shape[1]!;
  return customOp([x, e123, carry], ([x, e123, carry], save) => {
    const f = pairedFactors();
    const bmm = (u: Tensor, w: Tensor, tb = false) =>
      tf.matMul(u as tf.Tensor3D, w as tf.Tensor3D, false, tb);
    // channels (pair, side, c) → [side, pair, T·h, 16]: one multivector per row
    const [left, right] = tf.unstack(
      x.reshape([t, 16, 2, 2, h]).transpose([3, 2, 0, 4, 1]).reshape([2, 2, m, 16]),
    );
    const la = bmm(left, f.a);
    const rb = bmm(right, f.b);
    const raw = bmm(la.mul(rb), f.c).reshape([2, b, -1]); // [pair, B, N·h·16]
    const scale = tf.stack([tf.onesLike(e123), e123]); // [2, B, 1]: 1 for L·R, e123 for the join
    const out = raw.mul(scale).reshape([2, t, h, 16]).transpose([1, 3, 0, 2]).reshape([t, 32 * h]);
    save([la, rb, raw, scale]);
    return {
      value: sChannels > 0 ? tf.concat([carry.slice([0, 0], [t, sChannels]), out], 1) : out,
      gradient(dy, [la, rb, raw, scale]) {
        const [ds, dOut] = sChannels > 0 ? tf.split(dy, [sChannels, 32 * h], 1) : [undefined, dy];
        const dRaw = dOut.reshape([t, 16, 2, h]).transpose([2, 0, 3, 1]).reshape([2, b, -1]);
        const de123 = dRaw.mul(raw).sum(2, true).slice([1, 0, 0], [1, b, 1]).reshape([b, 1]);
        const dz = bmm(dRaw.mul(scale).reshape([2, m, 16]), f.c, true);
        const dLeft = bmm(dz.mul(rb), f.a, true);
        const dRight = bmm(dz.mul(la), f.b, true);
        const dx = tf.stack([dLeft, dRight]).reshape([2, 2, t, h, 16]).transpose([2, 4, 1, 0, 3])
          .reshape([t, 64 * h]);
        const dCarry = ds ? ds.pad([[0, 0], [0, width - sChannels]]) : tf.zeros([t, width]);
        return [dx, de123, dCarry];
      },
    };
  });
}
