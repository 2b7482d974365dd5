import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { kernelsOf } from "../testing/kernels.ts";
import { tf } from "../tf.ts";
import {
  PAIR_ADD,
  PAIR_ADD_EDGES,
  PAIR_AGGREGATE,
  pairAdd,
  pairAddComposite,
  pairAggregate,
  pairAggregateComposite,
} from "./graph_pairs.ts";
import { setFusedOps } from "./fused_op.ts";

await useTestBackend();

Deno.test("pair aggregation equals mask-multiply-and-sum, values and gradients, as one kernel each way", async () => {
  for (const [b, n, c] of [[3, 4, 32], [2, 5, 3], [1, 1, 4]]) {
    const x = tf.randomNormal([b, n, n, c], 0, 1, "float32", b + n + c);
    const w = tf.randomUniform([n, n], 0, 1, "float32", 7);
    const dy = tf.randomNormal([b, n, c], 0, 1, "float32", 8);
    const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => f(t).mul(dy).sum();
    const ours = (t: tf.Tensor) => pairAggregate(t, w);
    const ref = (t: tf.Tensor) => pairAggregateComposite(t, w);
    const [a, r, ga, gr] = await Promise.all([
      ours(x).data(),
      ref(x).data(),
      tf.grad(loss(ours))(x).data(),
      tf.grad(loss(ref))(x).data(),
    ]);
    assert.equal(a.length, b * n * c);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - r[i]) < 1e-5, `value ${i}`);
    for (let i = 0; i < ga.length; i++) assert.ok(Math.abs(ga[i] - gr[i]) < 1e-6, `grad ${i}`);
    // the weights' gradient (never needed in training: they are the graph's constants)
    const [gw, gwr] = await Promise.all([
      tf.grad((v: tf.Tensor) => pairAggregate(x, v).mul(dy).sum())(w).data(),
      tf.grad((v: tf.Tensor) => pairAggregateComposite(x, v).mul(dy).sum())(w).data(),
    ]);
    for (let i = 0; i < gw.length; i++) assert.ok(Math.abs(gw[i] - gwr[i]) < 1e-4, `dw ${i}`);
    if (["wasm", "cpu"].includes(tf.getBackend())) {
      assert.deepEqual(await kernelsOf(() => ours(x)), [PAIR_AGGREGATE]);
      const back = await kernelsOf(() => tf.grad((t: tf.Tensor) => ours(t).sum())(x));
      assert.ok(back.includes(`${PAIR_AGGREGATE}Grad`), back.join());
    }
    tf.dispose([x, w, dy]);
  }
});

Deno.test("pair aggregation with fused ops off is the composite; bad shapes are named", async () => {
  const x = tf.ones([1, 2, 2, 4]);
  const w = tf.tensor2d([[0, 1], [0.5, 0.5]]);
  setFusedOps(false);
  try {
    assert.ok(!(await kernelsOf(() => pairAggregate(x, w))).includes(PAIR_AGGREGATE));
  } finally {
    setFusedOps(true);
  }
  assert.deepEqual(Array.from(await pairAggregate(x, w).data()), [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.throws(
    () => pairAggregate(tf.ones([1, 2, 3, 4]), w),
    /pairAggregate: expected x \[B, N, N, C\] and w \[N, N\], got \[1,2,3,4\], \[2,2\]/,
  );
  tf.dispose([x, w]);
});

Deno.test("pair broadcast sum equals expandDims-and-add, values and both gradients, as one kernel forward", async () => {
  for (const [b, n, c] of [[3, 4, 32], [2, 5, 3], [1, 1, 4]]) {
    const r = tf.randomNormal([b, n, c], 0, 1, "float32", 11 + n);
    const s = tf.randomNormal([b, n, c], 0, 1, "float32", 12 + c);
    const dy = tf.randomNormal([b, n, n, c], 0, 1, "float32", 13);
    const loss = (f: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor) => (p: tf.Tensor, q: tf.Tensor) =>
      f(p, q).mul(dy).sum();
    const [a, ref] = await Promise.all([pairAdd(r, s).data(), pairAddComposite(r, s).data()]);
    assert.deepEqual(Array.from(a), Array.from(ref));
    const ours = tf.grads(loss(pairAdd))([r, s]);
    const theirs = tf.grads(loss(pairAddComposite))([r, s]);
    for (let k = 0; k < 2; k++) {
      const [g, h] = await Promise.all([ours[k].data(), theirs[k].data()]);
      for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - h[i]) < 1e-5, `grad ${k} ${i}`);
    }
    if (["wasm", "cpu"].includes(tf.getBackend())) {
      assert.deepEqual(await kernelsOf(() => pairAdd(r, s)), [PAIR_ADD]);
    }
    tf.dispose([r, s, dy, ...ours, ...theirs]);
  }
  assert.throws(
    () => pairAdd(tf.ones([1, 2, 3]), tf.ones([1, 3, 3])),
    /pairAdd: expected r and s of one shape \[B, N, C\], got \[1,2,3\], \[1,3,3\]/,
  );
});

Deno.test("pair broadcast sum with edge terms equals the composite, values and all four gradients", async () => {
  for (const [b, n, c, k] of [[3, 4, 32, 3], [2, 5, 3, 1], [1, 2, 8, 2]]) {
    const r = tf.randomNormal([b, n, c], 0, 1, "float32", 21);
    const s = tf.randomNormal([b, n, c], 0, 1, "float32", 22);
    const a = tf.randomNormal([b, n, n, k], 0, 1, "float32", 23);
    const w = tf.randomNormal([k, c], 0, 1, "float32", 24);
    const dy = tf.randomNormal([b, n, n, c], 0, 1, "float32", 25);
    type F = (r: tf.Tensor, s: tf.Tensor, a: tf.Tensor, w: tf.Tensor) => tf.Tensor;
    const ours: F = (p, q, e, v) => pairAdd(p, q, { features: e, weight: v });
    const ref: F = (p, q, e, v) => pairAddComposite(p, q, { features: e, weight: v });
    const [x, y] = await Promise.all([ours(r, s, a, w).data(), ref(r, s, a, w).data()]);
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-5, `value ${i}`);
    const loss = (f: F) => (p: tf.Tensor, q: tf.Tensor, e: tf.Tensor, v: tf.Tensor) =>
      f(p, q, e, v).mul(dy).sum();
    const g1 = tf.grads(loss(ours))([r, s, a, w]);
    const g2 = tf.grads(loss(ref))([r, s, a, w]);
    for (let m = 0; m < 4; m++) {
      const [u, v] = await Promise.all([g1[m].data(), g2[m].data()]);
      for (let i = 0; i < u.length; i++) {
        assert.ok(Math.abs(u[i] - v[i]) < 1e-4 * (1 + Math.abs(v[i])), `grad ${m} ${i}`);
      }
    }
    if (["wasm", "cpu"].includes(tf.getBackend())) {
      assert.deepEqual(await kernelsOf(() => ours(r, s, a, w)), [PAIR_ADD_EDGES]);
    }
    tf.dispose([r, s, a, w, dy, ...g1, ...g2]);
  }
  assert.throws(
    () =>
      pairAdd(tf.ones([1, 2, 4]), tf.ones([1, 2, 4]), {
        features: tf.ones([1, 2, 2, 3]),
        weight: tf.ones([2, 4]),
      }),
    /pairAdd: expected edge features \[1, 2, 2, K\] and weights \[K, 4\], got \[1,2,2,3\], \[2,4\]/,
  );
});
