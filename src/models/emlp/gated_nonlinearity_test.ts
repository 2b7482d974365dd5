await useTestBackend();
import assert from "node:assert/strict";
import { TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { tf } from "../../tf.ts";
import { gatedNonlinearity } from "./gated_nonlinearity.ts";
import { silu } from "../nn.ts";
import { gatedRep, type SumRep } from "./sum_rep.ts";
import { randomFeatures, randomRotation, repGap } from "./_testing.ts";

const REP: SumRep = [{ rank: 0, count: 3 }, { rank: 1, count: 4 }, { rank: 2, count: 2 }];

Deno.test("gatedNonlinearity: equivariant, swish on scalars, sigmoid gates on tensors", () => {
  const x = randomFeatures(gatedRep(REP), 5, 2);
  const f = (v: tf.Tensor) => gatedNonlinearity(v, REP);
  for (const g of [randomRotation(3), TEST_ELEMENTS.reflection.matrix]) {
    assert.ok(repGap(f, x, gatedRep(REP), REP, g) < 1e-5);
  }
  const y = f(x).arraySync() as number[][];
  const xs = x.arraySync() as number[][];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assert.ok(Math.abs(y[0][1] - xs[0][1] * sig(xs[0][1])) < 1e-5); // scalar: swish
  // vector copy 2 (components 3 + 2·3 …) is gated by gate 2 (after the 3 + 12 + 18 components)
  assert.ok(Math.abs(y[1][3 + 6 + 1] - xs[1][3 + 6 + 1] * sig(xs[1][33 + 2])) < 1e-5);
  // rank-2 copy 1 by gate 4 + 1
  assert.ok(Math.abs(y[2][15 + 9 + 4] - xs[2][15 + 9 + 4] * sig(xs[2][33 + 5])) < 1e-5);
  assert.ok(Math.abs(silu(tf.scalar(2)).dataSync()[0] - 2 * sig(2)) < 1e-6);
  x.dispose();
});
