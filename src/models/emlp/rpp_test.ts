await useTestBackend();
import assert from "node:assert/strict";
import { equivarianceGap, TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { tf, type Variable } from "../../tf.ts";
import { countParams } from "../model.ts";
import { createEmlpNetwork, type EmlpNetwork } from "./network.ts";
import { rpp, type RppConfig } from "./rpp.ts";
import { mocapBatch, mocapContext, mocapFields } from "./_testing.ts";

const TINY: RppConfig = { ...rpp.defaults, hidden: 24, layers: 2 };

function basicVariables(net: EmlpNetwork): Variable[] {
  return [
    ...[...net.blocks.map((b) => b.linear), net.head].flatMap((l) => [l.wBasic!, l.bBasic!]),
    ...net.blocks.map((b) => b.nonlinearityBasic!),
  ];
}

function gap(net: EmlpNetwork, x: Record<string, tf.Tensor>, g = TEST_ELEMENTS.rotation): number {
  return equivarianceGap((v) => net.forward(v).prediction, x, mocapFields(4), "position", g);
}

Deno.test("rpp: registry entry, paper size on MoCap", () => {
  assert.equal(rpp.id, "rpp");
  assert.equal(rpp.equivariance, "partial");
  assert.equal(rpp.defaults.hidden, 348);
  const model = rpp.create(rpp.defaults, mocapContext(31, 1));
  // equivariant + unconstrained raw weights (2 × dense), bilinear, gate residuals
  assert.equal(countParams(model), 1_026_786);
  model.dispose();
});

Deno.test("rpp: equivariant with its unconstrained path at zero, not otherwise", () => {
  const net = createEmlpNetwork("rpp", TINY, mocapContext(4, 2), { basicWd: 100, equivWd: 1e-3 });
  const x = mocapBatch(3, 4, 5);
  const atInit = gap(net, x);
  assert.ok(atInit > 1e-7, `gap at init ${atInit}`); // the 1e-3 path is there
  for (const v of basicVariables(net)) v.assign(tf.zerosLike(v));
  for (const g of [TEST_ELEMENTS.rotation, TEST_ELEMENTS.reflection]) {
    const zero = gap(net, x, g);
    assert.ok(zero < 1e-4, `gap with the basic path at zero ${zero}`);
  }
  for (const v of basicVariables(net)) v.assign(tf.randomUniform(v.shape, -0.3, 0.3, "float32", 1));
  assert.ok(gap(net, x) > 1e-2);
  tf.dispose(Object.values(x));
  net.dispose();
});

Deno.test("rpp: the prior is basicWd·‖basic‖² + equivWd·‖W_eq‖² in raw MSE units, returned as auxLoss", async () => {
  const net = createEmlpNetwork("rpp", TINY, mocapContext(4, 2), { basicWd: 100, equivWd: 1e-3 });
  const sq = async (vs: Variable[]) => {
    let s = 0;
    for (const v of vs) for (const a of await v.data()) s += a * a;
    return s;
  };
  const linears = [...net.blocks.map((b) => b.linear), net.head];
  const basic = await sq([
    ...linears.map((l) => l.wBasic!),
    ...net.blocks.map((b) => b.nonlinearityBasic!),
  ]);
  // added to the raw-unit MSE as it is (no rescaling by the input scale 0.1)
  const want = 100 * basic + 1e-3 * await sq(linears.map((l) => l.w));
  const aux = net.auxLoss()!;
  assert.ok(Math.abs((await aux.data())[0] - want) < 1e-4 * want);
  aux.dispose();
  const x = mocapBatch(2, 4, 1);
  const out = net.forward(x);
  assert.ok(out.auxLoss && Math.abs(out.auxLoss.dataSync()[0] - want) < 1e-4 * want);
  tf.dispose([out.prediction, out.auxLoss!]);
  tf.dispose(Object.values(x));
  assert.deepEqual(net.lastLayer.length, 4);
  net.dispose();
});
