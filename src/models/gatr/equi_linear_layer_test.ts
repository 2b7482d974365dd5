await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { ParamFactory } from "../params.ts";
import { act, ACTIONS, denseEquiLinearLayer, randomTensor, relGap } from "./_test_utils.ts";
import { equiLinear } from "./equi_linear.ts";
import {
  createEquiLinear,
  createEquiLinearParts,
  equiLinearLayer,
  equiLinearParamCount,
  equiLinearParts,
  equiLinearVariables,
  type MvAndScalars,
} from "./equi_linear_layer.ts";

const size = (p: ParamFactory) => p.variables.reduce((s, v) => s + v.size, 0);

Deno.test("EquiLinear layer: parameter count equals the formula", () => {
  for (
    const dims of [
      { inMv: 3, outMv: 5, inS: 4, outS: 6 },
      { inMv: 3, outMv: 5, inS: 0, outS: 6 },
      { inMv: 3, outMv: 5, inS: 4, outS: 0 },
      { inMv: 2, outMv: 1, inS: 0, outS: 0 },
    ]
  ) {
    const p = new ParamFactory(1);
    const l = createEquiLinear(p, "l", dims);
    assert.equal(size(p), equiLinearParamCount(dims), JSON.stringify(dims));
    assert.equal(equiLinearVariables(l).length, p.variables.length);
    p.variables.forEach((v) => v.dispose());
  }
});

Deno.test("EquiLinear layer: scalar paths touch only component 0", () => {
  const p = new ParamFactory(2);
  const l = createEquiLinear(p, "l", { inMv: 2, outMv: 3, inS: 4, outS: 5 });
  tf.tidy(() => {
    const mv = randomTensor([7, 2, 16], 1);
    const s = randomTensor([7, 4], 2);
    const y = equiLinearLayer(l, mv, s);
    const s2mv = s.matMul(l.s2mv!.w).add(l.s2mv!.b!); // [7, 3]
    const mvOnly = equiLinear(mv, l.w);
    const expected = mvOnly.add(tf.pad(s2mv.expandDims(-1), [[0, 0], [0, 0], [0, 15]]));
    assert.ok(relGap(y.mv, expected) < 1e-5);
    const mv0 = mv.slice([0, 0, 0], [-1, -1, 1]).reshape([7, 2]);
    const sExpected = mv0.matMul(l.mv2s!.w).add(l.mv2s!.b!).add(s.matMul(l.s2s!.w));
    assert.ok(relGap(y.s!, sExpected) < 1e-5);
  });
  p.variables.forEach((v) => v.dispose());
});

Deno.test("EquiLinear layer: equivariant multivectors, invariant scalars", () => {
  const p = new ParamFactory(3);
  const l = createEquiLinear(p, "l", { inMv: 3, outMv: 4, inS: 5, outS: 6 });
  const lb = createEquiLinear(p, "lb", { inMv: 3, outMv: 2, inS: 0, outS: 0 });
  tf.tidy(() => {
    const mv = randomTensor([2, 4, 3, 16], 4);
    const s = randomTensor([2, 4, 5], 5);
    const y = equiLinearLayer(l, mv, s);
    const yb = equiLinearLayer(lb, mv);
    for (const { name, m } of ACTIONS) {
      const z = equiLinearLayer(l, act(mv, m), s);
      const gapMv = relGap(z.mv, act(y.mv, m));
      const gapS = relGap(z.s!, y.s!);
      const gapB = relGap(equiLinearLayer(lb, act(mv, m)).mv, act(yb.mv, m));
      assert.ok(gapMv < 1e-5 && gapS < 1e-5 && gapB < 1e-5, `${name}: ${gapMv} ${gapS} ${gapB}`);
    }
  });
  p.variables.forEach((v) => v.dispose());
});

Deno.test("EquiLinear layer: a fused layer equals its parts as separate layers", () => {
  const p = new ParamFactory(4);
  const parts = [
    { outMv: 4, outS: 2 },
    { outMv: 1, outS: 0, init: "almost_unit_scalar" as const },
    { outMv: 2, outS: 3, init: "small" as const },
  ];
  const fused = createEquiLinearParts(p, "f", { inMv: 3, inS: 5 }, parts);
  const sum = parts.reduce((a, q) => a + equiLinearParamCount({ inMv: 3, inS: 5, ...q }), 0);
  assert.equal(size(p), sum);
  tf.tidy(() => {
    const mv = randomTensor([6, 3, 16], 6);
    const s = randomTensor([6, 5], 7);
    const outs = equiLinearParts(fused, mv, s);
    const whole = equiLinearLayer(fused, mv, s);
    // part 1 is output channel 4, part 2 channels 5..6 and scalars 2..4
    assert.ok(relGap(outs[1].mv, whole.mv.slice([0, 4, 0], [-1, 1, -1])) < 1e-6);
    assert.ok(relGap(outs[2].mv, whole.mv.slice([0, 5, 0], [-1, 2, -1])) < 1e-6);
    assert.ok(relGap(outs[2].s!, whole.s!.slice([0, 2], [-1, 3])) < 1e-6);
    assert.equal(outs[1].s, undefined);
    // the unit-scalar part's bias is centred at 1, the others at 0
    const b = fused.s2mv!.b!.dataSync();
    assert.ok(Math.abs(b[4] - 1) < 0.5 && Math.abs(b[0]) < 0.5 && Math.abs(b[5]) < 0.5);
  });
  const a = createEquiLinear(p, "a", { inMv: 3, outMv: 4, inS: 5, outS: 2 });
  assert.throws(() => equiLinearLayer(a, tf.zeros([2, 3, 16])), /scalar channels/);
  p.variables.forEach((v) => v.dispose());
});

Deno.test("EquiLinear layer: init keeps the output scale and centres the unit-scalar bias", () => {
  const p = new ParamFactory(5);
  const def = createEquiLinear(p, "d", { inMv: 16, outMv: 16, inS: 32, outS: 32 });
  const unit = createEquiLinear(
    p,
    "u",
    { inMv: 16, outMv: 16, inS: 32, outS: 0 },
    "almost_unit_scalar",
  );
  tf.tidy(() => {
    const mv = randomTensor([64, 16, 16], 8);
    const s = randomTensor([64, 32], 9);
    const y = equiLinearLayer(def, mv, s);
    const std = tf.moments(y.mv).variance.sqrt().dataSync()[0];
    assert.ok(std > 0.2 && std < 2, `mv output std ${std}`);
    const sStd = tf.moments(y.s!).variance.sqrt().dataSync()[0];
    assert.ok(sStd > 0.2 && sStd < 2, `scalar output std ${sStd}`);
    const bias = unit.s2mv!.b!.mean().dataSync()[0];
    assert.ok(Math.abs(bias - 1) < 0.2, `unit bias mean ${bias}`);
  });
  p.variables.forEach((v) => v.dispose());
});

Deno.test("EquiLinear layer: equals the dense block-matrix form, values and gradients", () => {
  const cases = [
    { inMv: 8, outMv: 24, inS: 32, outS: 96 },
    { inMv: 3, outMv: 5, inS: 0, outS: 6 },
    { inMv: 3, outMv: 5, inS: 4, outS: 0 },
    { inMv: 2, outMv: 1, inS: 0, outS: 0 },
  ];
  cases.forEach((dims, k) => {
    const p = new ParamFactory(10 + k);
    const l = createEquiLinear(p, "l", dims);
    tf.tidy(() => {
      const mv = randomTensor([3, 5, dims.inMv, 16], 20 + k);
      const s = dims.inS > 0 ? randomTensor([3, 5, dims.inS], 30 + k) : undefined;
      const rMv = randomTensor([3, 5, dims.outMv, 16], 40 + k); // fixed cotangents
      const rS = dims.outS > 0 ? randomTensor([3, 5, dims.outS], 50 + k) : undefined;
      const run = (f: (m: tf.Tensor, s?: tf.Tensor) => MvAndScalars) => {
        const xs = s ? [mv, s] : [mv];
        const loss = (...a: tf.Tensor[]) => {
          const y = f(a[0], a[1]);
          let v = y.mv.mul(rMv).sum();
          if (rS) v = v.add(y.s!.mul(rS).sum());
          return v;
        };
        const y = f(mv, s);
        const { grads } = tf.variableGrads(() => loss(...xs) as tf.Scalar, p.variables);
        const gIn = tf.grads(loss)(xs);
        return { y, grads: p.variables.map((v) => grads[v.name]), gIn };
      };
      const got = run((m, x) => equiLinearLayer(l, m, x));
      const want = run((m, x) => denseEquiLinearLayer(l, m, x));
      const name = JSON.stringify(dims);
      assert.ok(relGap(got.y.mv, want.y.mv) < 1e-6, `${name} mv`);
      if (rS) assert.ok(relGap(got.y.s!, want.y.s!) < 1e-6, `${name} s`);
      got.grads.forEach((g, i) => {
        const gap = relGap(g, want.grads[i]);
        assert.ok(gap < 1e-5, `${name} d/d${p.variables[i].name}: ${gap}`);
      });
      got.gIn.forEach((g, i) => assert.ok(relGap(g, want.gIn[i]) < 1e-5, `${name} input ${i}`));
    });
    p.variables.forEach((v) => v.dispose());
  });
});
