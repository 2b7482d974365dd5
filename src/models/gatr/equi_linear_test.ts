await useTestBackend();
import assert from "node:assert/strict";
import { type Tensor, tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { LINEAR_BASIS } from "./algebra.ts";
import { act, ACTIONS, denseEquiLinear, randomTensor, relGap } from "./_test_utils.ts";
import { equiLinear, equiLinearBlockMatrices } from "./equi_linear.ts";
import { BLADE_ORDER, fromBladeMajor, packRows, toBladeMajor, unpackRows } from "./_layout.ts";

Deno.test("equiLinear: block matrices; the layout round-trips", () => {
  assert.deepEqual([...BLADE_ORDER].sort((a, b) => a - b), [...Array(16).keys()]);
  tf.tidy(() => {
    const shapes = equiLinearBlockMatrices(tf.ones([2, 3, 9])).map((m) => m.shape);
    assert.deepEqual(shapes, [[12, 8], [12, 8]]); // [4·C_in, 4·C_out]
    const x = randomTensor([2, 3, 5, 16], 9);
    const bm = toBladeMajor(x);
    assert.deepEqual(bm.shape, [2, 3, 16, 5]);
    assert.equal(relGap(fromBladeMajor(bm), x), 0);
    // internal position p holds GATr component BLADE_ORDER[p]
    const a = x.arraySync() as number[][][][];
    const b = bm.arraySync() as number[][][][];
    for (let p = 0; p < 16; p++) assert.equal(b[1][2][p][4], a[1][2][4][BLADE_ORDER[p]]);
    // packed rows: scalars first
    const s = randomTensor([2, 3, 7], 10);
    const rows = packRows(x, s);
    assert.deepEqual(rows.shape, [6, 7 + 80]);
    const back = unpackRows(rows, 7, [2, 3]);
    assert.equal(relGap(back.mv, x) + relGap(back.s!, s), 0);
  });
});

Deno.test("equiLinear: matches the per-basis-map definition", () => {
  tf.tidy(() => {
    const x = randomTensor([4, 3, 16], 1); // [T, C_in, 16]
    const w = randomTensor([2, 3, 9], 2); // [C_out, C_in, 9]
    const y = equiLinear(x, w).arraySync() as number[][][];
    const xs = x.arraySync() as number[][][];
    const ws = w.arraySync() as number[][][];
    for (let t = 0; t < 4; t++) {
      for (let o = 0; o < 2; o++) {
        for (let c = 0; c < 16; c++) {
          let s = 0;
          for (let i = 0; i < 3; i++) {
            for (let b = 0; b < 9; b++) {
              for (let k = 0; k < 16; k++) {
                s += ws[o][i][b] * LINEAR_BASIS[b * 256 + c * 16 + k] * xs[t][i][k];
              }
            }
          }
          assert.ok(Math.abs(y[t][o][c] - s) < 1e-4, `t${t} o${o} c${c}`);
        }
      }
    }
  });
});

Deno.test("equiLinear: equals the dense matrix form, values and gradients", () => {
  for (
    const [lead, cIn, cOut, seed] of [[[64], 8, 24, 1], [[2, 5], 3, 1, 2], [[7], 1, 16, 3]] as const
  ) {
    tf.tidy(() => {
      const x = randomTensor([...lead, cIn, 16], seed);
      const w = randomTensor([cOut, cIn, 9], seed + 10);
      const r = randomTensor([...lead, cOut, 16], seed + 20); // a fixed cotangent
      assert.ok(relGap(equiLinear(x, w), denseEquiLinear(x, w)) < 1e-6, "values");
      const loss = (f: typeof equiLinear) => (a: Tensor, b: Tensor) => f(a, b).mul(r).sum();
      const [gx, gw] = tf.grads(loss(equiLinear))([x, w]);
      const [dx, dw] = tf.grads(loss(denseEquiLinear))([x, w]);
      assert.ok(relGap(gx, dx) < 1e-6, `d/dx ${relGap(gx, dx)}`);
      assert.ok(relGap(gw, dw) < 1e-6, `d/dw ${relGap(gw, dw)}`);
    });
  }
});

Deno.test("equiLinear: E(3)-equivariant", () => {
  tf.tidy(() => {
    const x = randomTensor([2, 5, 3, 16], 3);
    const w = randomTensor([4, 3, 9], 4);
    for (const { name, m } of ACTIONS) {
      const gap = relGap(equiLinear(act(x, m), w), act(equiLinear(x, w), m));
      assert.ok(gap < 1e-5, `${name}: ${gap}`);
    }
  });
});

Deno.test("equiLinear: gradients reach the weights", () => {
  const x = randomTensor([3, 2, 16], 5);
  const w = tf.variable(randomTensor([2, 2, 9], 6));
  const g = tf.grad((v: tf.Tensor) => equiLinear(x, v).square().sum())(w);
  assert.ok(g.abs().sum().dataSync()[0] > 0);
  tf.dispose([x, w, g]);
});
