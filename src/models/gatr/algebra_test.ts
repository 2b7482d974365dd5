import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import {
  applySigns,
  bilinear,
  bilinearMatrix,
  BLADE_MASKS,
  BLADE_NAMES,
  dual,
  DUAL_SIGNS,
  GEOMETRIC_PRODUCT,
  GEOMETRIC_PRODUCT_FACTORS,
  geometricProductHost,
  GRADE_INVOLUTION_SIGNS,
  GRADES,
  INNER_PRODUCT_INDICES,
  JOIN,
  LINEAR_BASIS,
  OUTER_PRODUCT,
  REVERSE_SIGNS,
} from "./algebra.ts";

const idx = (name: string) => BLADE_NAMES.indexOf(name);
const basis = (name: string) => {
  const x = new Float64Array(16);
  x[idx(name)] = 1;
  return x;
};
/** The product of two blades as `{ blade, coefficient }` (single-term results only). */
function prod(a: string, b: string, table = GEOMETRIC_PRODUCT): string {
  const r = bilinear(table, basis(a), basis(b));
  const nz = [...r.keys()].filter((i) => r[i] !== 0);
  if (nz.length === 0) return "0";
  assert.equal(nz.length, 1);
  return `${r[nz[0]] > 0 ? "+" : "-"}${BLADE_NAMES[nz[0]]}`;
}
const count = (t: Float32Array) => t.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);

Deno.test("algebra: blade order, masks and grades follow the notes", () => {
  assert.deepEqual(BLADE_NAMES.slice(0, 5), ["1", "e0", "e1", "e2", "e3"]);
  assert.equal(BLADE_MASKS[idx("e013")], 0b1011);
  assert.deepEqual(GRADES, [0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4]);
  assert.deepEqual(INNER_PRODUCT_INDICES, [0, 2, 3, 4, 8, 9, 10, 14]);
});

Deno.test("algebra: sanity products of the notes", () => {
  assert.equal(prod("e1", "e2"), "+e12");
  assert.equal(prod("e2", "e1"), "-e12");
  assert.equal(prod("e12", "e12"), "-1");
  assert.equal(prod("e0", "e0"), "0");
  assert.equal(prod("e123", "e123"), "-1");
  assert.equal(prod("e0", "e123"), "+e0123");
  assert.equal(prod("e123", "e0"), "-e0123");
  assert.equal(prod("e1", "e23"), "+e123");
  assert.equal(prod("e01", "e01"), "0");
  assert.equal(prod("e0123", "e0123"), "0");
  assert.equal(prod("e1", "e1"), "+1");
  assert.equal(prod("1", "e013"), "+e013");
});

Deno.test("algebra: 192 non-zeros in GP, 81 in outer, 81 in join", () => {
  assert.equal(count(GEOMETRIC_PRODUCT), 192);
  assert.equal(count(OUTER_PRODUCT), 81);
  assert.equal(count(JOIN), 81);
  assert.equal(prod("e1", "e2", OUTER_PRODUCT), "+e12");
  assert.equal(prod("e1", "e1", OUTER_PRODUCT), "0");
  assert.equal(prod("e12", "e12", OUTER_PRODUCT), "0");
});

Deno.test("algebra: geometric product is associative on random multivectors", () => {
  const rng = new Rng(3);
  for (let t = 0; t < 20; t++) {
    const [a, b, c] = [0, 1, 2].map(() => rng.normalArray(16));
    const l = geometricProductHost(geometricProductHost(a, b), c);
    const r = geometricProductHost(a, geometricProductHost(b, c));
    for (let i = 0; i < 16; i++) assert.ok(Math.abs(l[i] - r[i]) < 1e-4, `component ${i}`);
  }
});

Deno.test("algebra: reverse and grade involution signs; reverse is an anti-automorphism", () => {
  assert.deepEqual([...REVERSE_SIGNS], [1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1]);
  assert.deepEqual(
    [...GRADE_INVOLUTION_SIGNS],
    [1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, 1],
  );
  const rng = new Rng(4);
  const a = rng.normalArray(16);
  const b = rng.normalArray(16);
  const l = applySigns(REVERSE_SIGNS, geometricProductHost(a, b));
  const r = geometricProductHost(applySigns(REVERSE_SIGNS, b), applySigns(REVERSE_SIGNS, a));
  for (let i = 0; i < 16; i++) assert.ok(Math.abs(l[i] - r[i]) < 1e-4);
});

Deno.test("algebra: dual matches the notes and is the right complement", () => {
  assert.deepEqual([...DUAL_SIGNS], [1, -1, 1, -1, 1, 1, -1, 1, 1, -1, 1, -1, 1, -1, 1, 1]);
  for (const name of BLADE_NAMES) {
    const w = bilinear(OUTER_PRODUCT, basis(name), dual(basis(name)));
    assert.equal(w[15], 1, name);
    assert.equal(w.reduce((s, v) => s + Math.abs(v), 0), 1, name);
  }
});

Deno.test("algebra: join of two points is a bivector (line); of a point with itself, 0", () => {
  // point p ↦ e123 − x e023 + y e013 − z e012; join of two points has no scalar/vector part
  const pt = (x: number, y: number, z: number) => {
    const m = new Float64Array(16);
    m[14] = 1;
    m[13] = -x;
    m[12] = y;
    m[11] = -z;
    return m;
  };
  const l = bilinear(JOIN, pt(0, 0, 0), pt(1, 0, 0));
  const nonzero = [...l.keys()].filter((i) => Math.abs(l[i]) > 1e-12).map((i) => GRADES[i]);
  assert.ok(nonzero.length > 0 && nonzero.every((g) => g === 2), "a line is a bivector");
  assert.equal(bilinear(JOIN, pt(1, 2, 3), pt(1, 2, 3)).every((v) => v === 0), true);
});

Deno.test("algebra: linear basis maps are Frobenius-normalised with the listed supports", () => {
  const entry = (b: number, o: number, i: number) => LINEAR_BASIS[b * 256 + o * 16 + i];
  for (let b = 0; b < 9; b++) {
    let f = 0;
    for (let k = 0; k < 256; k++) f += LINEAR_BASIS[b * 256 + k] ** 2;
    assert.ok(Math.abs(f - 1) < 1e-6, `basis ${b}`);
  }
  assert.equal(entry(0, 0, 0), 1);
  assert.ok(Math.abs(entry(1, 3, 3) - 0.5) < 1e-7);
  assert.ok(Math.abs(entry(2, 7, 7) - 1 / Math.sqrt(6)) < 1e-7);
  assert.equal(entry(5, 1, 0), 1);
  assert.ok(Math.abs(entry(6, 6, 3) - 1 / Math.sqrt(3)) < 1e-7);
  assert.ok(Math.abs(entry(7, 13, 10) - 1 / Math.sqrt(3)) < 1e-7);
  assert.equal(entry(8, 15, 14), 1);
});

Deno.test("algebra: bilinearMatrix rows are (left, right) pairs", () => {
  const m = bilinearMatrix(GEOMETRIC_PRODUCT);
  // e1 · e2 = e12: row 2·16 + 3, column 8
  assert.equal(m[(2 * 16 + 3) * 16 + 8], 1);
  assert.equal(m[(3 * 16 + 2) * 16 + 8], -1);
});

Deno.test("algebra: rank-72 factors of the geometric product reproduce it on random multivectors", () => {
  const { rank, a, b, c } = GEOMETRIC_PRODUCT_FACTORS;
  assert.equal(rank, 72);
  const rng = new Rng(5);
  for (let trial = 0; trial < 5; trial++) {
    const x = rng.normalArray(16);
    const y = rng.normalArray(16);
    const want = geometricProductHost(x, y);
    const got = new Float64Array(16);
    for (let r = 0; r < rank; r++) {
      let xa = 0;
      let yb = 0;
      for (let j = 0; j < 16; j++) xa += x[j] * a[j * rank + r];
      for (let k = 0; k < 16; k++) yb += y[k] * b[k * rank + r];
      for (let i = 0; i < 16; i++) got[i] += xa * yb * c[r * 16 + i];
    }
    for (let i = 0; i < 16; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-9, `${trial} ${i}`);
  }
});
