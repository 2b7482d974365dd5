import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { compositeBlockLinear } from "../testing/block_linear_reference.ts";
import { assertCloseToRms } from "../testing/assert_close.ts";
import { blockLinear, blockLinearAvailable, blockLinearGrad } from "./block_linear.ts";

await useTestBackend();

async function compare(t: number, k0: number, n0: number, k1: number, n1: number, repeats: number) {
  const seed = t + 7 * k0 + 13 * n1;
  const x = tf.randomNormal([t, k0 + repeats * k1], 0, 1, "float32", seed);
  const m0 = tf.randomNormal([k0, n0], 0, 1, "float32", seed + 1);
  const m1 = tf.randomNormal([k1, n1], 0, 1, "float32", seed + 2);
  const b = tf.randomNormal([n0], 0, 1, "float32", seed + 3);
  const dy = tf.randomNormal([t, n0 + repeats * n1], 0, 1, "float32", seed + 4);
  const label = `T=${t} [${k0}→${n0}] + ${repeats} × [${k1}→${n1}]`;
  const expected = tf.grads((x, m0, m1, b) =>
    compositeBlockLinear(x, m0, m1, b, repeats).mul(dy).sum()
  );
  const [ex, em0, em1, eb] = expected([x, m0, m1, b]);
  const [dx, dm0, dm1, db] = blockLinearGrad(x, m0, m1, dy, repeats);
  const pairs: [tf.Tensor, tf.Tensor, string][] = [
    [blockLinear(x, m0, m1, b, repeats), compositeBlockLinear(x, m0, m1, b, repeats), "value"],
    [dx, ex, "dx"],
    [dm0, em0, "dM0"],
    [dm1, em1, "dM1"],
    [db, eb, "db"],
  ];
  for (const [a, e, what] of pairs) {
    assert.deepEqual(a.shape, e.shape, `${label}: ${what} shape`);
    assertCloseToRms(
      await a.data() as Float32Array,
      await e.data() as Float32Array,
      `${label}: ${what}`,
    );
  }
  tf.dispose([x, m0, m1, b, dy, ...pairs.flatMap(([a, e]) => [a, e])]);
}

Deno.test("block linear equals split·matMul·concat, values and every gradient", async () => {
  if (!blockLinearAvailable()) {
    assert.throws(() =>
      blockLinear(tf.ones([1, 3]), tf.ones([1, 1]), tf.ones([1, 1]), tf.ones([1]), 2)
    );
    return;
  }
  await compare(512, 36, 48, 16, 32, 3); // a GATr EquiLinear with scalars (N-body small)
  await compare(64, 16, 4, 16, 4, 3); // 4 → 1 channels, no scalars out
  await compare(5, 1, 1, 1, 1, 3); // one channel
  await compare(3, 2, 3, 4, 5, 1); // one repeated block
});

Deno.test("block linear refuses rows that do not split as declared", () => {
  if (!blockLinearAvailable()) return;
  assert.throws(
    () => blockLinear(tf.ones([2, 7]), tf.ones([2, 2]), tf.ones([2, 2]), tf.ones([2]), 3),
    /rows of 7 columns do not split into 2 \+ 3 × 2/,
  );
});
