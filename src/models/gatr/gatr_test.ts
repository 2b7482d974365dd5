await useTestBackend();
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.ts";
import { type Tensor, tf } from "../../tf.ts";
import type { FieldSpec } from "../../symmetry/field.ts";
import { equivarianceGap, TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { countParams, type ModelContext } from "../model.ts";
import {
  createGatr,
  embedGatrInputs,
  gatr,
  type GatrConfig,
  gatrParamCount,
  planGatrEmbedding,
} from "./gatr.ts";
import { embedPoint, extractPoint } from "./embedding.ts";

const N = 4;
const INPUTS: FieldSpec[] = [
  { name: "mass", kind: "scalar", shape: [N, 1] },
  { name: "pos", kind: "position", shape: [N, 3] },
  { name: "vel", kind: "vector", shape: [N, 3] },
];
const CTX: ModelContext = {
  inputs: INPUTS,
  target: { name: "pos", kind: "position", shape: [N, 3] },
  seed: 7,
};
const TINY: GatrConfig = {
  blocks: 2,
  mvChannels: 4,
  sChannels: 8,
  heads: 2,
  lengthScale: 1,
  vectorScale: 1,
  velocityPoint: false,
  nodeIdentity: false,
};

/** A batch of N-body-like inputs and the target `pos + 0.5·vel` (one explicit Euler step). */
function batch(b: number, seed: number): { x: Record<string, Tensor>; y: Tensor } {
  const rng = new Rng(seed);
  const mass = tf.tensor(rng.uniformArray(b * N, 0.5, 1.5), [b, N, 1]);
  const pos = tf.tensor(rng.normalArray(b * N * 3), [b, N, 3]);
  const vel = tf.tensor(rng.normalArray(b * N * 3, 0, 0.5), [b, N, 3]);
  return { x: { mass, pos, vel }, y: tf.tidy(() => pos.add(vel.mul(0.5))) };
}

Deno.test("gatr: registry entry and paper defaults", () => {
  assert.equal(gatr.id, "gatr");
  assert.equal(gatr.equivariance, "exact");
  assert.deepEqual(gatr.defaults, {
    blocks: 10,
    mvChannels: 16,
    sChannels: 128,
    heads: 8,
    lengthScale: 1,
    vectorScale: 1,
    velocityPoint: false,
    nodeIdentity: false,
  });
  assert.throws(() => createGatr({ ...TINY, lengthScale: 0 }, CTX), /lengthScale/);
  assert.throws(() => createGatr({ ...TINY, vectorScale: -1 }, CTX), /vectorScale/);
});

Deno.test("gatr: embedding plan from field kinds; unsupported fields are declined", () => {
  const plan = planGatrEmbedding(CTX);
  assert.deepEqual(plan.io, { inMv: 1, inS: 1, outMv: 1, outS: 1 });
  const extra = planGatrEmbedding({
    inputs: [...INPUTS, { name: "charge", kind: "scalar", shape: [N, 2] }, {
      name: "x2",
      kind: "position",
      shape: [N, 3],
    }],
    target: CTX.target,
  });
  assert.deepEqual(extra.io, { inMv: 2, inS: 2, outMv: 1, outS: 1 });
  // velocityPoint: one more channel per (position, vector) pair
  const withPoint = planGatrEmbedding(CTX, { velocityPoint: true });
  assert.equal(withPoint.velocityPoints, 1);
  assert.deepEqual(withPoint.io, { inMv: 2, inS: 1, outMv: 1, outS: 1 });
  // nodeIdentity: N more scalar channels after the auxiliary ones (here none: mass is channel 0)
  const withIds = planGatrEmbedding(CTX, { nodeIdentity: true });
  assert.equal(withIds.nodeIdentity, true);
  assert.deepEqual(withIds.io, { inMv: 1, inS: N, outMv: 1, outS: 1 });
  assert.throws(
    () =>
      planGatrEmbedding({ inputs: INPUTS.filter((f) => f.kind !== "vector"), target: CTX.target }, {
        velocityPoint: true,
      }),
    /velocityPoint needs a vector input/,
  );
  assert.throws(
    () =>
      planGatrEmbedding({ inputs: INPUTS, target: { name: "v", kind: "vector", shape: [N, 3] } }),
    /position/,
  );
  assert.throws(
    () =>
      planGatrEmbedding({
        inputs: INPUTS.filter((f) => f.kind !== "position"),
        target: CTX.target,
      }),
    /position input/,
  );
  assert.throws(
    () =>
      planGatrEmbedding({
        inputs: [{ name: "pos", kind: "position", shape: [N + 1, 3] }],
        target: CTX.target,
      }),
    /per-node/,
  );
});

Deno.test("gatr: parameter count equals the formula", () => {
  const m = createGatr(TINY, CTX);
  assert.equal(countParams(m), gatrParamCount(TINY));
  assert.deepEqual(m.lastLayer.map((v) => v.shape.length), [3, 2, 1, 2, 1, 2]);
  m.dispose();
  const ctx2: ModelContext = {
    ...CTX,
    inputs: [...INPUTS, { name: "charge", kind: "scalar", shape: [N, 2] }, {
      name: "x2",
      kind: "position",
      shape: [N, 3],
    }],
  };
  const m2 = createGatr(TINY, ctx2);
  assert.equal(countParams(m2), gatrParamCount(TINY, planGatrEmbedding(ctx2).io));
  m2.dispose();
  const m3 = createGatr({ ...TINY, velocityPoint: true }, CTX);
  const io3 = planGatrEmbedding(CTX, { velocityPoint: true }).io;
  assert.equal(countParams(m3), gatrParamCount(TINY, io3));
  assert.ok(gatrParamCount(TINY, io3) > gatrParamCount(TINY));
  m3.dispose();
});

Deno.test("gatr: with velocityPoint, E(3)-equivariant and the extra channel is x/L + v/V", () => {
  const [L, V] = [8, 0.25];
  const m = createGatr({ ...TINY, lengthScale: L, vectorScale: V, velocityPoint: true }, CTX);
  const { x } = batch(3, 2);
  const big = { mass: x.mass, pos: x.pos.mul(L), vel: x.vel.mul(V) };
  const pred = (f: Record<string, Tensor>) => m.forward(f).prediction;
  for (const [name, g] of Object.entries(TEST_ELEMENTS)) {
    const gap = equivarianceGap(pred, big, INPUTS, "position", g);
    assert.ok(gap < 1e-4 * L, `${name}: ${gap}`);
  }
  // the channels: [point(x/L) + translation(v/V) + scalar, point(x/L + v/V)]
  tf.tidy(() => {
    const plan = planGatrEmbedding(CTX, { velocityPoint: true });
    const [mv] = embedGatrInputs(plan, { lengthScale: L, vectorScale: V }, big);
    assert.deepEqual(mv.shape, [3, N, 2, 16]);
    const [plainMv] = embedGatrInputs(
      planGatrEmbedding(CTX),
      { lengthScale: L, vectorScale: V },
      big,
    );
    const first = mv.slice([0, 0, 0, 0], [-1, -1, 1, -1]);
    assert.equal(first.sub(plainMv).abs().max().dataSync()[0], 0);
    const point = mv.slice([0, 0, 1, 0], [-1, -1, 1, -1]).squeeze([2]);
    const expected = embedPoint(x.pos.add(x.vel)); // (L·x)/L + (V·v)/V
    assert.ok(point.sub(expected).abs().max().dataSync()[0] < 1e-5);
    // and it is a point: extract_point gives the extrapolated position back
    const back = extractPoint(point).sub(x.pos.add(x.vel)).abs().max().dataSync()[0];
    assert.ok(back < 1e-5, `${back}`);
  });
  tf.dispose([...Object.values(x), big.pos, big.vel]);
  m.dispose();
});

Deno.test("gatr: with nodeIdentity, E(3)-equivariant, and the scalars carry the node's one-hot", () => {
  const ctx: ModelContext = {
    ...CTX,
    inputs: [...INPUTS, { name: "charge", kind: "scalar", shape: [N, 2] }],
  };
  const config = { ...TINY, nodeIdentity: true };
  const m = createGatr(config, ctx);
  const plan = planGatrEmbedding(ctx, { nodeIdentity: true });
  assert.equal(countParams(m), gatrParamCount(TINY, plan.io));
  const { x } = batch(3, 4);
  x.charge = tf.tensor(new Rng(9).normalArray(3 * N * 2), [3, N, 2]);
  const pred = (f: Record<string, Tensor>) => m.forward(f).prediction;
  for (const [name, g] of Object.entries(TEST_ELEMENTS)) {
    const gap = equivarianceGap(pred, x, ctx.inputs, "position", g);
    assert.ok(gap < 1e-4, `${name}: ${gap}`);
  }
  tf.tidy(() => {
    const [, s] = embedGatrInputs(plan, config, x);
    assert.deepEqual(s.shape, [3, N, 2 + N]);
    const charge = s.slice([0, 0, 0], [-1, -1, 2]);
    assert.equal(charge.sub(x.charge).abs().max().dataSync()[0], 0);
    const ids = s.slice([0, 0, 2], [-1, -1, N]).arraySync() as number[][][];
    for (const sample of ids) assert.deepEqual(sample, tf.eye(N).arraySync());
    // nodes are no longer interchangeable: swapping two nodes' inputs does not just swap outputs
    const perm = [1, 0, ...Array.from({ length: N - 2 }, (_, i) => i + 2)];
    const swap = (t: Tensor) => tf.gather(t, perm, 1);
    const swapped = Object.fromEntries(Object.entries(x).map(([k, v]) => [k, swap(v)]));
    const gap = swap(pred(x)).sub(pred(swapped)).abs().max().dataSync()[0];
    assert.ok(gap > 1e-3, `permuting nodes: ${gap}`);
  });
  tf.dispose(Object.values(x));
  m.dispose();
});

Deno.test("gatr: E(3)-equivariant (rotation, reflection, rotoreflection, translation)", () => {
  const m = createGatr(TINY, CTX);
  const { x } = batch(3, 1);
  const pred = (f: Record<string, Tensor>) => m.forward(f).prediction;
  for (const [name, g] of Object.entries(TEST_ELEMENTS)) {
    const gap = equivarianceGap(pred, x, INPUTS, "position", g);
    assert.ok(gap < 1e-4, `${name}: ${gap}`);
    const aux = equivarianceGap((f) => m.forward(f).auxLoss!.reshape([1]), x, INPUTS, "scalar", g);
    assert.ok(aux < 1e-4, `auxLoss under ${name}: ${aux}`);
  }
  tf.dispose(Object.values(x));
  m.dispose();
});

Deno.test("gatr: units L, V are the same network on positions ÷ L, vectors ÷ V, points × L", () => {
  const [L, V] = [8, 0.25];
  const unit = createGatr(TINY, CTX);
  // same seed: same weights
  const scaled = createGatr({ ...TINY, lengthScale: L, vectorScale: V }, CTX);
  const { x } = batch(2, 5);
  tf.tidy(() => {
    const big = { mass: x.mass, pos: x.pos.mul(L), vel: x.vel.mul(V) };
    const a = scaled.forward(big);
    const b = unit.forward(x);
    const gap = a.prediction.sub(b.prediction.mul(L)).abs().max().dataSync()[0];
    assert.ok(gap < 1e-4 * L, `prediction gap ${gap}`);
    assert.ok(Math.abs(a.auxLoss!.dataSync()[0] - b.auxLoss!.dataSync()[0]) < 1e-6);
    // and it stays E(3)-equivariant at that scale
    const pred = (f: Record<string, Tensor>) => scaled.forward(f).prediction;
    for (const [name, g] of Object.entries(TEST_ELEMENTS)) {
      const e = equivarianceGap(pred, big, INPUTS, "position", g);
      assert.ok(e < 1e-4, `${name}: ${e}`);
    }
  });
  tf.dispose(Object.values(x));
  unit.dispose();
  scaled.dispose();
});

Deno.test("gatr: forward and a training step leak no tensors", () => {
  const m = createGatr(TINY, CTX);
  const { x, y } = batch(2, 2);
  const before = tf.memory().numTensors;
  const out = m.forward(x);
  assert.deepEqual(out.prediction.shape, [2, N, 3]);
  assert.deepEqual(out.auxLoss!.shape, []);
  assert.equal(tf.memory().numTensors, before + 2);
  tf.dispose([out.prediction, out.auxLoss!]);
  // the first backward pass uploads no constants of its own (they all come with the model)
  tf.dispose(
    Object.values(
      tf.tidy(() =>
        tf.variableGrads(
          () => m.forward(x).prediction.sum() as tf.Scalar,
          m.params as tf.Variable[],
        )
          .grads
      ),
    ),
  );
  assert.equal(tf.memory().numTensors, before, "gradients leave tensors behind");
  const opt = tf.train.adam(1e-3);
  const step = () =>
    opt.minimize(
      () => {
        const o = m.forward(x);
        return tf.losses.meanSquaredError(y, o.prediction).add(o.auxLoss!) as tf.Scalar;
      },
      false,
      m.params as tf.Variable[],
    );
  step(); // creates the optimiser's slots
  const warm = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, warm);
  opt.dispose();
  tf.dispose([...Object.values(x), y]);
  m.dispose();
});

Deno.test("gatr: a tiny GATr learns an N-body-like regression", () => {
  const m = createGatr(TINY, { ...CTX, seed: 3 });
  const { x, y } = batch(16, 4);
  const opt = tf.train.adam(3e-3);
  const losses: number[] = [];
  for (let i = 0; i < 100; i++) {
    const loss = opt.minimize(
      () => {
        const o = m.forward(x);
        return tf.losses.meanSquaredError(y, o.prediction).add(o.auxLoss!) as tf.Scalar;
      },
      true,
      m.params as tf.Variable[],
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const first = losses[0];
  const last = Math.min(...losses.slice(-5));
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  // and it beats copying the input positions by a wide margin
  const copy = tf.tidy(() => tf.losses.meanSquaredError(y, x.pos).dataSync()[0]);
  assert.ok(last < 0.25 * copy, `loss ${last} vs copy-positions baseline ${copy}`);
  opt.dispose();
  tf.dispose([...Object.values(x), y]);
  m.dispose();
});

/**
 * Outputs and gradients of the original implementation (dense EquiLinear matrices, outer-product
 * bilinears; commit 0905ff8) for `TINY` with seed 7 on `batch(3, 11)`: the rewrite is the same
 * function with the same initial weights.
 */
const ORIGINAL = {
  prediction: [
    0.481658,
    1.889273,
    -2.983347,
    0.7060781,
    -1.668959,
    2.025698,
    -0.8234803,
    -0.9455294,
    -0.06879764,
    -0.03637325,
    0.1946382,
    -0.9114949,
    -0.8454023,
    -1.625843,
    -0.6687235,
    -1.265296,
    1.833995,
    -0.6368531,
    -1.632238,
    0.4944542,
    -0.4909051,
    0.3698481,
    0.1247281,
    0.5903368,
    -0.3405946,
    1.310946,
    -0.3192106,
    1.48439,
    -1.807989,
    0.9576834,
    0.04570007,
    -0.2270303,
    0.1436863,
    0.9608976,
    -0.4216366,
    -0.188187,
  ],
  auxLoss: 0.0326677,
  // Σ g ⊙ r per variable, r ~ N(0, 1) from Rng(100 + variable index), loss mean(ŷ²) + auxLoss
  gradientProbes: [
    -0.0482667,
    0,
    -0.002874749,
    0,
    0.005590092,
    0.005528972,
    -0.002073296,
    9.098624e-05,
    0.0001036919,
    0.0007115892,
    0.0001367421,
    -0.0002067463,
    -0.1329535,
    0.01634925,
    -0.0004780584,
    -0.002004081,
    -0.009658027,
    0.003266811,
    0.0002833468,
    -0.004772233,
    -0.001169985,
    -0.0004390778,
    -0.00345548,
    -0.003092822,
    0.00225629,
    -0.002550096,
    0.002224414,
    -0.0008592295,
    -0.0001772532,
    0.003627754,
    0.0004705099,
    0.0008450102,
    -0.0006772462,
    0.002024831,
    -0.006151352,
    -0.0001049204,
    7.083749e-05,
    6.880776e-05,
    -2.877803e-05,
    0.0002879217,
    0.3562539,
    0.02364329,
    0.007732594,
    0.01869641,
    0.009093329,
    0.00576036,
    -0.00718575,
    0.001670543,
    -0.0002730468,
    -0.0001455712,
    -0.0006436336,
    -1.186541e-05,
    0.0003095256,
    -0.0002984935,
    -0.0004835132,
    -0.0009779469,
    0.0002210913,
    0.001270509,
    0.003893592,
    -0.003315623,
    0.000987988,
    0.001954868,
    -0.0466222,
    0,
    0,
    -0.003445671,
    0.02536422,
    0.026014,
  ],
};

Deno.test("gatr: same function and gradients as the original implementation for the same seed", () => {
  const m = createGatr(TINY, CTX);
  const { x } = batch(3, 11);
  tf.tidy(() => {
    const out = m.forward(x);
    const gap = (a: number[], b: number[]) =>
      Math.hypot(...a.map((v, i) => v - b[i])) / Math.hypot(...b);
    const pred = Array.from(out.prediction.dataSync());
    assert.ok(
      gap(pred, ORIGINAL.prediction) < 1e-5,
      `prediction gap ${gap(pred, ORIGINAL.prediction)}`,
    );
    assert.ok(Math.abs(out.auxLoss!.dataSync()[0] - ORIGINAL.auxLoss) < 1e-6);
    const { grads } = tf.variableGrads(() => {
      const o = m.forward(x);
      return o.prediction.square().mean().add(o.auxLoss!) as tf.Scalar;
    }, m.params as tf.Variable[]);
    const probes = m.params.map((v, i) => {
      const r = tf.tensor(new Rng(100 + i).normalArray(v.size), v.shape);
      return grads[v.name].mul(r).sum().dataSync()[0];
    });
    assert.ok(
      gap(probes, ORIGINAL.gradientProbes) < 1e-4,
      `gradient gap ${gap(probes, ORIGINAL.gradientProbes)}`,
    );
  });
  tf.dispose(Object.values(x));
  m.dispose();
});
