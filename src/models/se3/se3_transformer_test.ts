import { useTestBackend } from "../../testing/test_backend.ts";
await useTestBackend();

import assert from "node:assert/strict";
import { type Tensor, tf } from "../../tf.ts";
import type { FieldSpec } from "../../symmetry/field.ts";
import type { Fields } from "../../symmetry/group_action.ts";
import { equivarianceGap, type GroupElement, TEST_ELEMENTS } from "../../testing/equivariance.ts";
import { countParams, type ModelContext } from "../model.ts";
import {
  estimateSe3MemoryBytes,
  SE3_DEFAULTS,
  type Se3Config,
  se3Transformer,
} from "./se3_transformer.ts";
import { Rng } from "./_testing.ts";

const N = 4;
const NBODY: FieldSpec[] = [
  { name: "mass", kind: "scalar", shape: [N, 1] },
  { name: "pos", kind: "position", shape: [N, 3] },
  { name: "vel", kind: "vector", shape: [N, 3] },
];
const TARGET: FieldSpec = { name: "pos", kind: "position", shape: [N, 3] };
const SMALL: Se3Config = { ...SE3_DEFAULTS, layers: 2, channels: 4, maxDegree: 2 };

/** Rotation about an oblique axis combined with a translation. */
const ROTO_TRANSLATION: GroupElement = {
  matrix: TEST_ELEMENTS.rotation.matrix,
  shift: [2.5, -1.5, 0.75],
};

function ctx(inputs: FieldSpec[] = NBODY, extra: Partial<ModelContext> = {}): ModelContext {
  return { inputs, target: TARGET, seed: 7, ...extra };
}

function batch(specs: FieldSpec[], b: number, seed: number): Fields {
  const rng = new Rng(seed);
  const out: Fields = {};
  for (const s of specs) {
    const size = b * s.shape.reduce((a, c) => a * c, 1);
    const values = s.kind === "scalar"
      ? rng.uniformArray(size, 0.5, 3)
      : rng.normalArray(size, s.kind === "position" ? 1 : 0);
    out[s.name] = tf.tensor(values, [b, ...s.shape]);
  }
  return out;
}

function gaps(
  model: { forward(x: Fields): { prediction: Tensor } },
  specs: FieldSpec[],
  x: Fields,
) {
  const f = (y: Fields) => model.forward(y).prediction;
  return {
    rotation: equivarianceGap(f, x, specs, "position", TEST_ELEMENTS.rotation),
    translation: equivarianceGap(f, x, specs, "position", TEST_ELEMENTS.translation),
    both: equivarianceGap(f, x, specs, "position", ROTO_TRANSLATION),
  };
}

Deno.test("registry entry: id, exact equivariance, paper defaults", () => {
  assert.equal(se3Transformer.id, "se3-transformer");
  assert.equal(se3Transformer.equivariance, "exact");
  const d = se3Transformer.defaults;
  assert.deepEqual(
    [d.layers, d.channels, d.maxDegree, d.heads, d.div, d.xij, d.finalSelfInteraction],
    [4, 8, 3, 1, 4, "add", "att"],
  );
});

Deno.test("paper config: SE(3)-equivariant (rotation, translation, both), shape, no leaks", () => {
  const model = se3Transformer.create(SE3_DEFAULTS, ctx());
  assert.equal(countParams(model), 303352);
  assert.ok(model.lastLayer.length > 0);
  assert.ok(model.lastLayer.every((v) => model.params.includes(v)));
  const x = batch(NBODY, 2, 1);
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => model.forward(x).prediction);
  assert.deepEqual(y.shape, [2, N, 3]);
  assert.ok(y.dataSync().every(Number.isFinite));
  y.dispose();
  assert.equal(tf.memory().numTensors, before);
  const g = gaps(model, NBODY, x);
  for (const [k, v] of Object.entries(g)) assert.ok(v < 1e-4, `${k}: relative gap ${v}`);
  tf.dispose(Object.values(x));
  model.dispose();
});

Deno.test("without scalar fields (plain mean) and with positions only: still equivariant", () => {
  for (const specs of [NBODY.slice(1), NBODY.slice(1, 2)]) {
    const model = se3Transformer.create(SMALL, ctx(specs));
    const x = batch(specs, 2, 2);
    const g = gaps(model, specs, x);
    for (const [k, v] of Object.entries(g)) {
      assert.ok(v < 1e-4, `${specs.length} fields, ${k}: ${v}`);
    }
    tf.dispose(Object.values(x));
    model.dispose();
  }
});

Deno.test("fixed data-set edges are used and keep equivariance", () => {
  const edges: [number, number][] = [[0, 1], [1, 0], [1, 2], [2, 3], [3, 0]];
  const model = se3Transformer.create(SMALL, ctx(NBODY, { edges }));
  const x = batch(NBODY, 2, 3);
  const g = gaps(model, NBODY, x);
  for (const [k, v] of Object.entries(g)) assert.ok(v < 1e-4, `${k}: ${v}`);
  tf.dispose(Object.values(x));
  model.dispose();
});

Deno.test("permuting the bodies permutes the prediction", () => {
  const model = se3Transformer.create(SMALL, ctx());
  const x = batch(NBODY, 2, 4);
  const perm = [2, 0, 3, 1];
  const err = tf.tidy(() => {
    const px: Fields = {};
    for (const [k, v] of Object.entries(x)) {
      px[k] = tf.concat(perm.map((i) => v.slice([0, i], [-1, 1])), 1);
    }
    const y = model.forward(x).prediction;
    const py = tf.concat(perm.map((i) => y.slice([0, i], [-1, 1])), 1);
    return model.forward(px).prediction.sub(py).abs().max().dataSync()[0];
  });
  assert.ok(err < 1e-4, `permutation gap ${err}`);
  tf.dispose(Object.values(x));
  model.dispose();
});

Deno.test("nodeIdentity: more degree-0 inputs, still SE(3)-equivariant, nodes no longer interchangeable", () => {
  for (const specs of [NBODY, NBODY.slice(1)]) {
    const plain = se3Transformer.create(SMALL, ctx(specs));
    const model = se3Transformer.create({ ...SMALL, nodeIdentity: true }, ctx(specs));
    // only the first block's degree-0 input grows: N more channels (from 1 or from the constant)
    assert.ok(countParams(model) > countParams(plain), `${specs.length} fields: parameters`);
    const x = batch(specs, 2, 5);
    for (const [k, v] of Object.entries(gaps(model, specs, x))) {
      assert.ok(v < 1e-4, `${specs.length} fields, ${k}: ${v}`);
    }
    const perm = [2, 0, 3, 1];
    const err = tf.tidy(() => {
      const px: Fields = {};
      for (const [k, v] of Object.entries(x)) px[k] = tf.gather(v, perm, 1);
      const py = tf.gather(model.forward(x).prediction, perm, 1);
      return model.forward(px).prediction.sub(py).abs().max().dataSync()[0];
    });
    assert.ok(err > 1e-3, `${specs.length} fields: permutation gap ${err}`);
    tf.dispose(Object.values(x));
    plain.dispose();
    model.dispose();
  }
});

Deno.test("declines data sets it cannot serve, with the reason", () => {
  assert.throws(
    () => se3Transformer.create(SMALL, { ...ctx(), target: { ...TARGET, kind: "vector" } }),
    /predicts per-node positions/,
  );
  assert.throws(
    () => se3Transformer.create(SMALL, ctx([...NBODY, { ...NBODY[1], name: "pos2" }])),
    /exactly one position input, got 2/,
  );
  assert.throws(
    () =>
      se3Transformer.create(
        SMALL,
        ctx([...NBODY, { name: "v2", kind: "vector", shape: [N, 2, 3] }]),
      ),
    /vector field "v2"/,
  );
  assert.throws(() => se3Transformer.create({ ...SMALL, maxDegree: 4 }, ctx()), /maxDegree/);
  assert.throws(() => se3Transformer.create({ ...SMALL, maxDegree: 0 }, ctx()), /maxDegree/);
  assert.throws(() => se3Transformer.create({ ...SMALL, xij: "cat" }, ctx()), /xij/);
});

Deno.test("an out-of-memory failure surfaces as an Error with a clear message", () => {
  const model = se3Transformer.create(SMALL, ctx());
  const x = batch(NBODY, 2, 5);
  let calls = 0;
  const failing = new Proxy(x, {
    get(target, key) {
      if (key === "pos" && calls++ === 0) throw new RangeError("Array buffer allocation failed");
      return target[key as string];
    },
  });
  assert.throws(
    () => model.forward(failing),
    (e: unknown) =>
      e instanceof Error && /^Out of memory in se3-transformer forward/.test(e.message) &&
      /Array buffer allocation failed/.test(e.message) && e.cause instanceof RangeError,
  );
  // Other errors pass through unchanged.
  assert.throws(() => model.forward({}), (e: unknown) => !/Out of memory/.test(String(e)));
  tf.dispose(Object.values(x));
  model.dispose();
});

Deno.test("memory estimate: linear in batch, reported for the paper config at batch 64", () => {
  const a = estimateSe3MemoryBytes(SE3_DEFAULTS, 32);
  const b = estimateSe3MemoryBytes(SE3_DEFAULTS, 64);
  const c = estimateSe3MemoryBytes(SE3_DEFAULTS, 96);
  assert.ok(Math.abs(c - b - (b - a)) <= 2);
  assert.ok(estimateSe3MemoryBytes(SE3_DEFAULTS, 64, { training: false }) < b);
  assert.ok(estimateSe3MemoryBytes(SE3_DEFAULTS, 64, { nodes: 31 }) > 50 * b);
  console.log(`se3-transformer paper config, batch 64, 4 nodes: ~${(b / 2 ** 20).toFixed(0)} MiB`);
});
