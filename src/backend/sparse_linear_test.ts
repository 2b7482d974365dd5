import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import {
  sparseLinear,
  sparseLinearAdjoint,
  sparseLinearAvailable,
  SparseLinearPlanBuilder,
} from "./sparse_linear.ts";
import { Rng } from "../core/rng.ts";

await useTestBackend();

Deno.test("sparse linear: values, and the adjoint is the transpose (⟨Ax, y⟩ = ⟨x, Aᵀy⟩)", async () => {
  if (!sparseLinearAvailable()) return;
  const rng = new Rng(3);
  const inShapes = [[3, 4], [5]];
  const outShapes = [[2, 3], [7]];
  const b = new SparseLinearPlanBuilder(inShapes, outShapes);
  const dense = [new Float64Array(6 * 17), new Float64Array(7 * 17)]; // rows: outputs, cols: inputs
  for (let e = 0; e < 40; e++) {
    const out = e % 2;
    const pos = Math.floor(rng.uniform(0, out === 0 ? 6 : 7));
    const src = Math.floor(rng.uniform(0, 2));
    const idx = Math.floor(rng.uniform(0, src === 0 ? 12 : 5));
    const coef = rng.uniform(-2, 2);
    b.add(out, pos, src, idx, coef); // repeated (pos, idx) pairs add up
    dense[out][pos * 17 + (src === 0 ? idx : 12 + idx)] += coef;
  }
  const plan = b.build();
  const xs = inShapes.map((s, k) => tf.randomNormal(s, 0, 1, "float32", k + 1));
  const ys = outShapes.map((s, k) => tf.randomNormal(s, 0, 1, "float32", k + 5));
  const ax = sparseLinear(xs, plan);
  const aty = sparseLinearAdjoint(ys, plan);
  assert.deepEqual(ax.map((t) => t.shape), outShapes);
  assert.deepEqual(aty.map((t) => t.shape), inShapes);
  const x = [...(await xs[0].data()), ...(await xs[1].data())];
  for (let out = 0; out < 2; out++) {
    const got = await ax[out].data();
    for (let p = 0; p < got.length; p++) {
      let e = 0;
      for (let j = 0; j < 17; j++) e += dense[out][p * 17 + j] * x[j];
      assert.ok(
        Math.abs(got[p] - e) < 1e-5 * (1 + Math.abs(e)),
        `output ${out}[${p}]: ${got[p]} vs ${e}`,
      );
    }
  }
  const dot = async (a: tf.Tensor[], b: tf.Tensor[]) => {
    let s = 0;
    for (let k = 0; k < a.length; k++) s += (await a[k].mul(b[k]).sum().data())[0];
    return s;
  };
  const lhs = await dot(ax, ys);
  const rhs = await dot(xs, aty);
  assert.ok(Math.abs(lhs - rhs) < 1e-4 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
  tf.dispose([...xs, ...ys, ...ax, ...aty]);
});

Deno.test("sparse linear: entries and inputs out of range are refused", () => {
  const b = new SparseLinearPlanBuilder([[2]], [[3]]);
  assert.throws(() => b.add(0, 3, 0, 0), /out of range/);
  assert.throws(() => b.add(1, 0, 0, 0), /out of range/);
  assert.throws(() => b.add(0, 0, 0, 2), /out of range/);
  if (!sparseLinearAvailable()) return;
  assert.throws(
    () => sparseLinear([tf.ones([3])], b.build()),
    /inputs of sizes \[3\], the plan has \[2\]/,
  );
});
