await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import {
  bilinear,
  GEOMETRIC_PRODUCT,
  GEOMETRIC_PRODUCT_FACTORS,
  JOIN,
  OUTER_PRODUCT,
} from "./algebra.ts";
import {
  act,
  ACTIONS,
  compareWithGradients,
  outerProductBilinear,
  randomTensor,
  relGap,
} from "./_test_utils.ts";
import {
  bilinearProductsInternal,
  equivariantJoin,
  factorTable,
  geometricProduct,
} from "./bilinear.ts";
import { fromBladeMajor, toBladeMajor } from "./_layout.ts";

Deno.test("bilinear: tensor products match the host tables", () => {
  tf.tidy(() => {
    const x = randomTensor([3, 16], 1);
    const y = randomTensor([3, 16], 2);
    const ref = tf.tensor(Array.from({ length: 16 }, (_, i) => (i === 14 ? 2 : 0.3)));
    const gp = geometricProduct(x, y).arraySync() as number[][];
    const jn = equivariantJoin(x, y, ref).arraySync() as number[][];
    const xs = x.arraySync() as number[][];
    const ys = y.arraySync() as number[][];
    for (let r = 0; r < 3; r++) {
      const g = bilinear(GEOMETRIC_PRODUCT, xs[r], ys[r]);
      const j = bilinear(JOIN, xs[r], ys[r]);
      for (let i = 0; i < 16; i++) {
        assert.ok(Math.abs(gp[r][i] - g[i]) < 1e-4);
        assert.ok(Math.abs(jn[r][i] - 2 * j[i]) < 1e-4);
      }
    }
  });
});

Deno.test("bilinear: broadcasting over channels and a per-sample reference", () => {
  tf.tidy(() => {
    const x = randomTensor([2, 3, 4, 16], 3);
    const y = randomTensor([2, 3, 4, 16], 4);
    const ref = randomTensor([2, 1, 1, 16], 5);
    assert.deepEqual(equivariantJoin(x, y, ref).shape, [2, 3, 4, 16]);
    assert.deepEqual(geometricProduct(x, y.slice([0, 0, 0, 0], [-1, -1, 1, -1])).shape, [
      2,
      3,
      4,
      16,
    ]);
  });
});

Deno.test("bilinear: geometric product and join with reference are E(3)-equivariant", () => {
  tf.tidy(() => {
    const x = randomTensor([2, 5, 3, 16], 6);
    const y = randomTensor([2, 5, 3, 16], 7);
    const ref = randomTensor([2, 1, 1, 16], 8);
    for (const { name, m, det } of ACTIONS) {
      const gp = relGap(geometricProduct(act(x, m), act(y, m)), act(geometricProduct(x, y), m));
      const jn = relGap(
        equivariantJoin(act(x, m), act(y, m), act(ref, m)),
        act(equivariantJoin(x, y, ref), m),
      );
      // without transforming the reference the join picks up det(g): Spin- but not Pin-equivariant
      const fixed = relGap(
        equivariantJoin(act(x, m), act(y, m), ref),
        act(equivariantJoin(x, y, ref), m).mul(det),
      );
      assert.ok(gp < 1e-5, `gp under ${name}: ${gp}`);
      assert.ok(jn < 1e-5, `join under ${name}: ${jn}`);
      assert.ok(fixed < 1e-5, `join, fixed reference, under ${name}: ${fixed}`);
    }
  });
});

Deno.test("bilinear: factored forms reproduce the tables; ranks 72 (product) and 81 (join)", () => {
  const cases = [
    [GEOMETRIC_PRODUCT, 192, factorTable(GEOMETRIC_PRODUCT)],
    [GEOMETRIC_PRODUCT, 72, GEOMETRIC_PRODUCT_FACTORS],
    [JOIN, 81, factorTable(JOIN)],
    [OUTER_PRODUCT, 81, factorTable(OUTER_PRODUCT)],
  ] as const;
  for (const [table, rank, f] of cases) {
    assert.equal(f.rank, rank);
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 16; j++) {
        for (let k = 0; k < 16; k++) {
          let v = 0;
          for (let p = 0; p < f.rank; p++) {
            v += f.a[j * f.rank + p] * f.b[k * f.rank + p] *
              f.c[p * 16 + i];
          }
          assert.ok(v === table[i * 256 + j * 16 + k], `${i} ${j} ${k}`); // -0 === 0
        }
      }
    }
  }
});

Deno.test("bilinear: equal to outer product × table, values and gradients", () => {
  tf.tidy(() => {
    const x = randomTensor([64, 8, 16], 21);
    const y = randomTensor([64, 8, 16], 22);
    const ref = randomTensor([64, 1, 16], 23);
    const r = randomTensor([64, 8, 16], 24); // a fixed cotangent
    const pairs = [
      [
        (a: tf.Tensor, b: tf.Tensor) => geometricProduct(a, b),
        (a: tf.Tensor, b: tf.Tensor) => outerProductBilinear(a, b, GEOMETRIC_PRODUCT),
      ],
      [
        (a: tf.Tensor, b: tf.Tensor) => equivariantJoin(a, b, ref),
        (a: tf.Tensor, b: tf.Tensor) =>
          outerProductBilinear(a, b, JOIN).mul(ref.slice([0, 0, 14], [-1, -1, 1])),
      ],
    ] as const;
    for (const [f, g] of pairs) {
      assert.ok(relGap(f(x, y), g(x, y)) < 1e-6, "values");
      const [fx, fy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(r).sum())([x, y]);
      const [gx, gy] = tf.grads((a: tf.Tensor, b: tf.Tensor) => g(a, b).mul(r).sum())([x, y]);
      assert.ok(relGap(fx, gx) < 1e-6 && relGap(fy, gy) < 1e-6, "gradients");
    }
  });
});

Deno.test("bilinear: the layer's fused products equal the composite, values and gradients", () => {
  const [b, n, h, sc] = [3, 5, 4, 6];
  // reference: to [..., 4h, 16] in GATr's order, the four parts, both products, back
  const reference = (x: tf.Tensor, e123: tf.Tensor, carry: tf.Tensor) => {
    const rows = fromBladeMajor(x.reshape([b, n, 16, 4 * h]));
    const [l, r, jl, jr] = tf.split(rows, 4, 2);
    const ref = e123.reshape([b, 1, 1, 1]).pad([[0, 0], [0, 0], [0, 0], [14, 1]]);
    const y = tf.concat([geometricProduct(l, r), equivariantJoin(jl, jr, ref)], 2);
    return tf.concat([carry.slice([0, 0], [-1, sc]), toBladeMajor(y).reshape([b * n, 32 * h])], 1);
  };
  tf.tidy(() => {
    const x = randomTensor([b * n, 64 * h], 31);
    const e123 = randomTensor([b, 1], 32);
    const carry = randomTensor([b * n, sc + 16 * 3], 33);
    const fused = (v: tf.Tensor, e: tf.Tensor, cr: tf.Tensor) =>
      bilinearProductsInternal(v, e, cr, sc);
    const [value, grads] = compareWithGradients(fused, reference, [x, e123, carry]);
    assert.ok(value < 1e-6, `value ${value}`);
    grads.forEach((g, i) => assert.ok(g < 1e-5, `gradient ${i}: ${g}`));
  });
});
