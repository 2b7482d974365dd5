await useTestBackend();
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import { equivarianceGap, TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { tf } from "../../tf.ts";
import { countParams } from "../model.ts";
import { createEmlpNetwork, type EmlpNetwork, type FamilyLinear } from "./network.ts";
import { per, type PerConfig } from "./per.ts";
import { blockOffsets, repSize, type SumRep } from "./sum_rep.ts";
import { mocapBatch, mocapContext, mocapFields } from "./_testing.ts";

const TINY: PerConfig = { ...per.defaults, hidden: 24, layers: 2 };

function linears(net: EmlpNetwork): FamilyLinear[] {
  return [...net.blocks.map((b) => b.linear), net.head];
}

/**
 * Exactly equivariant weights for S⊕V representations, written directly: scalar–scalar entries
 * arbitrary, vector–vector blocks c·I₃ with c a power of two (so P(W) reproduces them bit for
 * bit), nothing between scalars and vectors; biases on scalars only.
 */
function setEquivariantWeights(l: FamilyLinear, rng: Rng): void {
  const rin: SumRep = l.projection.repIn, rout: SumRep = l.projection.repOut;
  const nin = repSize(rin), nout = repSize(rout);
  const w = new Float32Array(nin * nout);
  const b = new Float32Array(nout);
  const oi = blockOffsets(rin), oo = blockOffsets(rout);
  rin.forEach((bi, i) => {
    rout.forEach((bo, o) => {
      if (bi.rank !== bo.rank) return;
      for (let a = 0; a < bi.count; a++) {
        for (let c = 0; c < bo.count; c++) {
          if (bi.rank === 0) w[(oi[i] + a) * nout + oo[o] + c] = rng.normal();
          else {
            const coef = 2 ** (rng.int(5) - 3) * (rng.uniform() < 0.5 ? -1 : 1);
            for (let d = 0; d < 3; d++) w[(oi[i] + 3 * a + d) * nout + oo[o] + 3 * c + d] = coef;
          }
        }
      }
    });
  });
  rout.forEach((bo, o) => {
    if (bo.rank === 0) { for (let c = 0; c < bo.count; c++) b[oo[o] + c] = rng.normal(); }
  });
  l.w.assign(tf.tensor(w, [nin, nout]));
  l.b.assign(tf.tensor(b, [nout]));
}

Deno.test("per: registry entry, paper size on MoCap", () => {
  assert.equal(per.id, "per");
  assert.equal(per.equivariance, "partial");
  assert.equal(per.defaults.hidden, 532);
  const model = per.create(per.defaults, mocapContext(31, 1));
  assert.equal(countParams(model), 1_390_333); // same raw weights as EMLP
  model.dispose();
});

Deno.test("per: the regulariser is exactly zero for equivariant weights", async () => {
  const net = createEmlpNetwork("per", TINY, mocapContext(4, 3), { equivWeight: 1, l2Weight: 0 });
  const atInit = net.auxLoss()!;
  assert.ok((await atInit.data())[0] > 1, "random weights are penalised");
  atInit.dispose();
  const rng = new Rng(11);
  for (const l of linears(net)) setEquivariantWeights(l, rng);
  const aux = net.auxLoss()!;
  assert.equal((await aux.data())[0], 0);
  aux.dispose();
  // and the network with these weights is equivariant
  const x = mocapBatch(3, 4, 2);
  for (const g of [TEST_ELEMENTS.rotation, TEST_ELEMENTS.reflection]) {
    const gap = equivarianceGap((v) => net.forward(v).prediction, x, mocapFields(4), "position", g);
    assert.ok(gap < 1e-4, `gap ${gap}`);
  }
  tf.dispose(Object.values(x));
  net.dispose();
});

Deno.test("per: regulariser = λ·½‖W − P W‖² + L2 in raw MSE units, matches the host computation", async () => {
  const net = createEmlpNetwork("per", TINY, mocapContext(4, 3), { equivWeight: 2, l2Weight: 0.5 });
  let proj = 0, l2 = 0;
  for (const l of linears(net)) {
    const w = await l.w.data(), b = await l.b.data();
    const pw = l.projection.weight(l.w), pb = l.projection.bias(l.b);
    const pwv = await pw.data(), pbv = await pb.data();
    for (let i = 0; i < w.length; i++) {
      proj += (w[i] - pwv[i]) ** 2;
      l2 += w[i] ** 2;
    }
    for (let i = 0; i < b.length; i++) {
      proj += (b[i] - pbv[i]) ** 2;
      l2 += b[i] ** 2;
    }
    tf.dispose([pw, pb]);
  }
  const want = 2 * 0.5 * proj + 0.5 * 0.5 * l2; // added to the raw-unit MSE as it is
  const aux = net.auxLoss()!;
  assert.ok(Math.abs((await aux.data())[0] - want) < 1e-4 * want);
  aux.dispose();
  // unconstrained weights: the network is not equivariant
  const x = mocapBatch(3, 4, 2);
  const gap = equivarianceGap(
    (v) => net.forward(v).prediction,
    x,
    mocapFields(4),
    "position",
    TEST_ELEMENTS.rotation,
  );
  assert.ok(gap > 1e-2, `gap ${gap}`);
  tf.dispose(Object.values(x));
  net.dispose();
});
