/**
 * The projective geometric algebra G(3,0,1) used by GATr (reference notes §2.1), computed on the
 * host from first principles: every product table here is derived from the bitmask rule for basis
 * blades, never typed in.
 *
 * Basis blades, in GATr's fixed order (index: blade):
 * `0:1, 1:e0, 2:e1, 3:e2, 4:e3, 5:e01, 6:e02, 7:e03, 8:e12, 9:e13, 10:e23, 11:e012, 12:e013,
 * 13:e023, 14:e123, 15:e0123`. Metric: e0² = 0, e1² = e2² = e3² = 1.
 *
 * A blade is a 4-bit mask over {e0, e1, e2, e3} (bit k = e_k). For blades a, b the product is the
 * blade `a XOR b` with sign `(−1)^#{(i ∈ a, j ∈ b): i > j} · Π_{k ∈ a AND b} metric(k)`.
 *
 * Tables are `Float32Array`s laid out for matrix multiplication: a bilinear table `T` has
 * `T[i·256 + j·16 + k]` = coefficient of output component i for left component j and right
 * component k, and {@link bilinearMatrix} turns it into a `[256, 16]` matrix whose row `j·16 + k`
 * maps the flattened outer product `x_j y_k` to the 16 output components.
 *
 * This is the lowest layer of the GATr implementation: plain numbers, no tensors.
 *
 * @module
 */

/** Number of components of a multivector. */
export const MV_DIM = 16;

/** Blade names in GATr's component order. */
export const BLADE_NAMES: readonly string[] = [
  "1",
  "e0",
  "e1",
  "e2",
  "e3",
  "e01",
  "e02",
  "e03",
  "e12",
  "e13",
  "e23",
  "e012",
  "e013",
  "e023",
  "e123",
  "e0123",
]; // deno-fmt-ignore

/** Bitmask of each blade (bit k set when e_k is a factor), in component order. */
export const BLADE_MASKS: readonly number[] = BLADE_NAMES.map((name) =>
  name === "1" ? 0 : [...name.slice(1)].reduce((m, d) => m | (1 << Number(d)), 0)
);

/** Grade (number of factors) of each component. */
export const GRADES: readonly number[] = BLADE_MASKS.map(popcount);

const INDEX_OF_MASK: readonly number[] = (() => {
  const out = new Array<number>(16).fill(-1);
  BLADE_MASKS.forEach((m, i) => (out[m] = i));
  return out;
})();

/** Components that contribute to the invariant inner product: all blades without e0. */
export const INNER_PRODUCT_INDICES: readonly number[] = BLADE_MASKS
  .map((m, i) => ((m & 1) === 0 ? i : -1))
  .filter((i) => i >= 0);

/** Metric of each generator: e0² = 0, e1² = e2² = e3² = 1. */
const METRIC = [0, 1, 1, 1];

function popcount(m: number): number {
  let c = 0;
  for (let x = m; x; x >>= 1) c += x & 1;
  return c;
}

/**
 * Product of two basis blades given as bitmasks.
 *
 * @param a left blade mask (0..15).
 * @param b right blade mask (0..15).
 * @param outer when true, the outer (wedge) product: zero whenever the blades share a factor.
 * @returns the result blade's mask and its sign (0 when the product vanishes).
 *
 * @example
 * ```ts
 * import { bladeProduct } from "./algebra.ts";
 * // e2 e1 = −e12
 * const r = bladeProduct(0b0100, 0b0010);
 * if (r.mask !== 0b0110 || r.sign !== -1) throw new Error();
 * ```
 */
export function bladeProduct(a: number, b: number, outer = false): { mask: number; sign: number } {
  let swaps = 0;
  for (let i = 0; i < 4; i++) {
    if (!(a & (1 << i))) continue;
    for (let j = 0; j < i; j++) if (b & (1 << j)) swaps++;
  }
  let sign = swaps % 2 === 0 ? 1 : -1;
  const common = a & b;
  if (outer && common) sign = 0;
  for (let k = 0; k < 4; k++) if (common & (1 << k)) sign *= METRIC[k];
  return { mask: a ^ b, sign: sign === 0 ? 0 : sign };
}

function productTable(outer: boolean): Float32Array {
  const t = new Float32Array(16 * 16 * 16);
  for (let j = 0; j < 16; j++) {
    for (let k = 0; k < 16; k++) {
      const { mask, sign } = bladeProduct(BLADE_MASKS[j], BLADE_MASKS[k], outer);
      if (sign !== 0) t[INDEX_OF_MASK[mask] * 256 + j * 16 + k] = sign;
    }
  }
  return t;
}

/** Geometric product table `GP[i·256 + j·16 + k]` (output i, left j, right k); 192 non-zeros. */
export const GEOMETRIC_PRODUCT: Float32Array = productTable(false);

/** Outer (wedge) product table, same layout as {@link GEOMETRIC_PRODUCT}; 81 non-zeros. */
export const OUTER_PRODUCT: Float32Array = productTable(true);

/** Reverse: +1 on grades 0, 1, 4 and −1 on grades 2, 3 (per component). */
export const REVERSE_SIGNS: Float32Array = Float32Array.from(
  GRADES,
  (g) => ((g * (g - 1)) / 2) % 2 === 0 ? 1 : -1,
);

/** Grade involution: −1 on odd grades (per component). */
export const GRADE_INVOLUTION_SIGNS: Float32Array = Float32Array.from(
  GRADES,
  (g) => (g % 2 === 0 ? 1 : -1),
);

/**
 * Dual (right complement) signs, indexed by output component: `dual(x)_i = DUAL_SIGNS[i] ·
 * x_{15−i}`, chosen so that `e_A ∧ dual(e_A) = +e0123` for every basis blade. Not equivariant on
 * its own; only used inside the join.
 */
export const DUAL_SIGNS: Float32Array = (() => {
  const s = new Float32Array(16);
  for (let j = 0; j < 16; j++) {
    const complement = 15 - j; // component order is symmetric: mask(15 − j) = ~mask(j)
    if (BLADE_MASKS[complement] !== (~BLADE_MASKS[j] & 15)) {
      throw new Error("algebra: component order is not complement-symmetric");
    }
    // e_A ∧ (s e_Ā) = s · sign(e_A ∧ e_Ā) e0123 must be +e0123, so s = sign(e_A ∧ e_Ā).
    s[complement] = bladeProduct(BLADE_MASKS[j], BLADE_MASKS[complement], true).sign;
  }
  return s;
})();

/**
 * Join table: `JOIN[i·256 + j·16 + k]` = component i of `dual(dual(e_j) ∧ dual(e_k))`
 * (81 non-zeros). The equivariant join multiplies it by the reference's e123 component.
 */
export const JOIN: Float32Array = (() => {
  const t = new Float32Array(16 * 16 * 16);
  const ej = new Float64Array(16);
  const ek = new Float64Array(16);
  for (let j = 0; j < 16; j++) {
    for (let k = 0; k < 16; k++) {
      ej.fill(0);
      ek.fill(0);
      ej[j] = 1;
      ek[k] = 1;
      const r = dual(bilinear(OUTER_PRODUCT, dual(ej), dual(ek)));
      for (let i = 0; i < 16; i++) t[i * 256 + j * 16 + k] = r[i];
    }
  }
  return t;
})();

/**
 * A bilinear map in factored form:
 * `out_i = Σ_ρ (Σ_j a[j·r + ρ] x_j)(Σ_k b[k·r + ρ] y_k) c[ρ·16 + i]`, r = `rank`.
 */
export interface FactoredBilinear {
  readonly rank: number;
  /** `[16, r]` flat: the left factors. */
  readonly a: Float32Array;
  /** `[16, r]` flat: the right factors. */
  readonly b: Float32Array;
  /** `[r, 16]` flat: where each product goes. */
  readonly c: Float32Array;
}

/**
 * The geometric product in rank 72, from `G(3,0,1) = Cl(3,0) ⊕ e0·Cl(3,0)` and
 * `Cl(3,0) ≅ M₂(ℂ)` (e1, e2, e3 as the Pauli matrices): with `x = a + e0·b` and `y = c + e0·d`,
 * `xy = ac + e0·(âd + bc)` (â the grade involution, since `a·e0 = e0·â` and `e0² = 0`), three
 * products of complex 2×2 matrices of 8 complex products each, each of 3 real products (Gauss):
 * rank 72, against the 192 pairs of components the product table uses; checked against
 * {@link GEOMETRIC_PRODUCT} on load.
 */
export const GEOMETRIC_PRODUCT_FACTORS: FactoredBilinear = (() => {
  // complex 2×2 matrices as 8 reals: entry e = 2·row + col at [2e] (re) and [2e + 1] (im)
  const mul2 = (x: number[], y: number[]) => {
    const z = new Array<number>(8).fill(0);
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        for (let r = 0; r < 2; r++) {
          const [xr, xi] = [x[2 * (2 * p + r)], x[2 * (2 * p + r) + 1]];
          const [yr, yi] = [y[2 * (2 * r + q)], y[2 * (2 * r + q) + 1]];
          z[2 * (2 * p + q)] += xr * yr - xi * yi;
          z[2 * (2 * p + q) + 1] += xr * yi + xi * yr;
        }
      }
    }
    return z;
  };
  const pauli = [
    [0, 0, 1, 0, 1, 0, 0, 0], // e1 → σx
    [0, 0, 0, -1, 0, 1, 0, 0], // e2 → σy
    [1, 0, 0, 0, 0, 0, -1, 0], // e3 → σz
  ];
  const cl3 = INNER_PRODUCT_INDICES; // the 8 blades without e0
  // phi[k]: the matrix of blade cl3[k] (product of its vectors in increasing order)
  const phi = cl3.map((g) =>
    [1, 2, 3].reduce(
      (m, v) => (BLADE_MASKS[g] & (1 << v) ? mul2(m, pauli[v - 1]) : m),
      [1, 0, 0, 0, 0, 0, 1, 0],
    )
  );
  // the blades' matrices are orthogonal with squared norm 2: the inverse is phiᵀ/2
  for (let k = 0; k < 8; k++) {
    for (let l = 0; l < 8; l++) {
      const dot = phi[k].reduce((s, v, i) => s + v * phi[l][i], 0);
      if (dot !== (k === l ? 2 : 0)) throw new Error("algebra: Pauli basis is not orthogonal");
    }
  }
  const e0Of = (g: number) => INDEX_OF_MASK[BLADE_MASKS[g] | 1];
  const involution = (g: number) => (GRADES[g] % 2 === 0 ? 1 : -1);
  // the three products: left part, right part, where the result goes
  const products: {
    left: (k: number) => [number, number];
    right: (k: number) => number;
    out: (k: number) => number;
  }[] = [
    { left: (k) => [cl3[k], 1], right: (k) => cl3[k], out: (k) => cl3[k] }, // a·c
    {
      left: (k) => [cl3[k], involution(cl3[k])],
      right: (k) => e0Of(cl3[k]),
      out: (k) => e0Of(cl3[k]),
    }, // â·d
    { left: (k) => [e0Of(cl3[k]), 1], right: (k) => cl3[k], out: (k) => e0Of(cl3[k]) }, // b·c
  ]; // deno-fmt-ignore
  // Gauss's product of complex numbers, three real products: for (α + iβ)(γ + iδ),
  // k₁ = (α + β)·γ, k₂ = α·(δ − γ), k₃ = β·(γ + δ); real part k₁ − k₃, imaginary part k₁ + k₂.
  // Each term: [left (re, im) weights], [right (re, im) weights], [to re, to im].
  const gauss: [number[], number[], number[]][] = [
    [[1, 1], [1, 0], [1, 1]],
    [[1, 0], [-1, 1], [0, 1]],
    [[0, 1], [1, 1], [-1, 0]],
  ];
  const rank = products.length * 8 * gauss.length;
  const a = new Float32Array(16 * rank);
  const b = new Float32Array(16 * rank);
  const c = new Float32Array(rank * 16);
  let rho = 0;
  for (const prod of products) {
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        for (let r = 0; r < 2; r++) {
          const [ea, eb, eo] = [2 * (2 * p + r), 2 * (2 * r + q), 2 * (2 * p + q)]; // real parts
          for (const [wl, wr, wo] of gauss) {
            for (let k = 0; k < 8; k++) {
              const [j, sj] = prod.left(k);
              a[j * rank + rho] += sj * (wl[0] * phi[k][ea] + wl[1] * phi[k][ea + 1]);
              b[prod.right(k) * rank + rho] += wr[0] * phi[k][eb] + wr[1] * phi[k][eb + 1];
              c[rho * 16 + prod.out(k)] += (wo[0] * phi[k][eo] + wo[1] * phi[k][eo + 1]) / 2;
            }
            rho++;
          }
        }
      }
    }
  }
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      for (let k = 0; k < 16; k++) {
        let v = 0;
        for (let r = 0; r < rank; r++) v += a[j * rank + r] * b[k * rank + r] * c[r * 16 + i];
        if (v !== GEOMETRIC_PRODUCT[i * 256 + j * 16 + k]) {
          throw new Error("algebra: factored geometric product does not match the table");
        }
      }
    }
  }
  return { rank, a, b, c };
})();

/**
 * The 9 basis maps of Pin(3,0,1)-equivariant linear maps (reference notes §2.3), as
 * `[9, 16 (out), 16 (in)]`: the 5 grade projections, then left multiplication by e0 of the
 * grade-0, 1, 2, 3 parts without e0. Each map is divided by its Frobenius norm.
 */
export const LINEAR_BASIS: Float32Array = (() => {
  const pairs: [number, number][][] = [];
  for (let g = 0; g <= 4; g++) {
    const maps: [number, number][] = [];
    for (let i = 0; i < 16; i++) if (GRADES[i] === g) maps.push([i, i]);
    pairs.push(maps);
  }
  for (let g = 0; g <= 3; g++) {
    const maps: [number, number][] = [];
    for (let i = 0; i < 16; i++) {
      if (GRADES[i] !== g || BLADE_MASKS[i] & 1) continue;
      const { mask, sign } = bladeProduct(1, BLADE_MASKS[i]); // e0 · e_A = +e_{0A}
      if (sign !== 1) throw new Error("algebra: e0 · e_A should carry sign +1");
      maps.push([INDEX_OF_MASK[mask], i]);
    }
    pairs.push(maps);
  }
  const out = new Float32Array(9 * 256);
  pairs.forEach((p, b) => {
    const v = 1 / Math.sqrt(p.length);
    for (const [o, i] of p) out[b * 256 + o * 16 + i] = v;
  });
  return out;
})();

/** Number of equivariant linear basis maps. */
export const NUM_LINEAR_BASIS = 9;

/**
 * A bilinear table as a `[256, 16]` matrix for `outer(x, y).reshape([..., 256]) · M`.
 *
 * @param table `[16 (out), 16 (left), 16 (right)]` flat, e.g. {@link GEOMETRIC_PRODUCT}.
 * @returns `[256, 16]` flat: entry `(j·16 + k)·16 + i` = `table[i][j][k]`.
 */
export function bilinearMatrix(table: Float32Array): Float32Array {
  const m = new Float32Array(256 * 16);
  for (let i = 0; i < 16; i++) {
    for (let jk = 0; jk < 256; jk++) m[jk * 16 + i] = table[i * 256 + jk];
  }
  return m;
}

/** A host-side multivector: 16 numbers in component order. */
export type HostMultivector = ArrayLike<number>;

/**
 * Applies a bilinear table to two host multivectors (float64).
 *
 * @param table `[16, 16, 16]` flat, output-major.
 * @param x left operand, 16 numbers.
 * @param y right operand, 16 numbers.
 * @returns 16 numbers.
 */
export function bilinear(
  table: Float32Array,
  x: HostMultivector,
  y: HostMultivector,
): Float64Array {
  const out = new Float64Array(16);
  for (let i = 0; i < 16; i++) {
    let s = 0;
    for (let j = 0; j < 16; j++) {
      if (x[j] === 0) continue;
      for (let k = 0; k < 16; k++) s += table[i * 256 + j * 16 + k] * x[j] * y[k];
    }
    out[i] = s;
  }
  return out;
}

/** Geometric product of two host multivectors (float64). */
export function geometricProductHost(x: HostMultivector, y: HostMultivector): Float64Array {
  return bilinear(GEOMETRIC_PRODUCT, x, y);
}

/** Dual (right complement) of a host multivector: `out_i = DUAL_SIGNS[i] · x_{15−i}`. */
export function dual(x: HostMultivector): Float64Array {
  return Float64Array.from({ length: 16 }, (_, i) => DUAL_SIGNS[i] * x[15 - i]);
}

/** Component-wise signs applied to a host multivector (reverse, grade involution). */
export function applySigns(signs: Float32Array, x: HostMultivector): Float64Array {
  return Float64Array.from({ length: 16 }, (_, i) => signs[i] * x[i]);
}

/** Invariant inner product `⟨x̃ y⟩₀` = sum of `x_i y_i` over blades without e0. */
export function innerProductHost(x: HostMultivector, y: HostMultivector): number {
  return INNER_PRODUCT_INDICES.reduce((s, i) => s + x[i] * y[i], 0);
}
