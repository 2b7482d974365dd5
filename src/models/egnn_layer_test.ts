await useTestBackend();
import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { equivarianceGap, TEST_ELEMENTS } from "../testing/equivariance.ts";
import { type Tensor, tf } from "../tf.ts";
import { Rng } from "../core/rng.ts";
import type { FieldSpec } from "../symmetry/field.ts";
import type { Fields } from "../symmetry/group_action.ts";
import { ParamFactory } from "./params.ts";
import { CLIP_TRANSLATION, createEgclParams, egcl } from "./egnn_layer.ts";
import { applyFused } from "../backend/fused_op.ts";
import { denseGraph, disposeGraph, pairProducts } from "./_graph.ts";

const N = 5;
const H = 16;
const B = 3;
const SPARSE: [number, number][] = [
  [0, 1],
  [1, 0],
  [1, 2],
  [2, 1],
  [2, 3],
  [3, 2],
  [3, 4],
  [0, 4],
  [
    2,
    0,
  ],
];

const SPECS: FieldSpec[] = [
  { name: "h", kind: "scalar", shape: [N, H] },
  { name: "s", kind: "scalar", shape: [N, 1] },
  { name: "x", kind: "position", shape: [N, 3] },
  { name: "v", kind: "vector", shape: [N, 3] },
];

function randomFields(seed: number): Fields {
  const rng = new Rng(seed);
  const out: Fields = {};
  for (const s of SPECS) {
    out[s.name] = tf.tensor(rng.normalArray(B * N * s.shape[1], 0, 1), [B, N, s.shape[1]]);
  }
  return out;
}

for (
  const [label, edges] of [["fully connected", undefined], ["sparse (ctx.edges)", SPARSE]] as const
) {
  Deno.test(`E_GCL_vel layer is E(3)-equivariant: ${label}`, () => {
    const p = new ParamFactory(3);
    const params = createEgclParams(p, "l", {
      hidden: H,
      edgeAttrs: 1,
      velocity: true,
      nodeUpdate: true,
    });
    // Make the coordinate messages large (init gain is 0.001) so that the test sees them.
    const rng = new Rng(4);
    params.coordOut.assign(tf.tensor(rng.normalArray(H, 0, 0.5), [H, 1]));
    const graph = denseGraph(N, edges, "test");
    const fields = randomFields(7);
    const run = (f: Fields) =>
      egcl(f.h, f.x, params, { graph, vel: f.v, edgeAttr: pairProducts(f.s) });
    const before = tf.memory().numTensors;
    for (const [name, g] of Object.entries(TEST_ELEMENTS)) {
      const gx = equivarianceGap((f) => run(f).x, fields, SPECS, "position", g);
      const gd = equivarianceGap((f) => run(f).x.sub(f.x), fields, SPECS, "vector", g);
      const gh = equivarianceGap((f) => run(f).h, fields, SPECS, "scalar", g);
      assert.ok(gx < 1e-4 && gd < 1e-4 && gh < 1e-4, `${name}: x ${gx}, Δx ${gd}, h ${gh}`);
    }
    assert.equal(tf.memory().numTensors, before, "the layer leaked tensors");
    // The coordinate update is not negligible, so the gaps above are meaningful.
    const delta = tf.tidy(() => {
      const { x } = run(fields);
      return x.sub(fields.x).norm().dataSync()[0] / fields.x.norm().dataSync()[0];
    });
    assert.ok(delta > 0.05, `update too small to test: ${delta}`);
    disposeGraph(graph);
    p.variables.forEach((v) => v.dispose());
    Object.values(fields).forEach((t: Tensor) => t.dispose());
  });
}

Deno.test("sparse graph: nodes without senders keep x apart from the velocity term", () => {
  const p = new ParamFactory(5);
  const params = createEgclParams(p, "l", {
    hidden: 4,
    edgeAttrs: 0,
    velocity: false,
    nodeUpdate: false,
  });
  params.coordOut.assign(tf.ones([4, 1]));
  const graph = denseGraph(3, [[0, 1]], "test"); // only node 1 receives
  const x = tf.tensor([[[0, 0, 0], [1, 0, 0], [0, 2, 0]]]);
  const out = egcl(tf.ones([1, 3, 4]), x, params, { graph });
  const moved = out.x.sub(x).abs().sum(-1).dataSync();
  assert.equal(moved[0], 0);
  assert.ok(moved[1] > 0);
  assert.equal(moved[2], 0);
  tf.dispose([x, out.x, out.h]);
  disposeGraph(graph);
  p.variables.forEach((v) => v.dispose());
});

Deno.test("egcl rejects missing velocity or edge attributes", () => {
  const p = new ParamFactory(1);
  const params = createEgclParams(p, "l", {
    hidden: 4,
    edgeAttrs: 1,
    velocity: true,
    nodeUpdate: true,
  });
  const graph = denseGraph(2, undefined, "test");
  const h = tf.ones([1, 2, 4]);
  const x = tf.zeros([1, 2, 3]);
  assert.throws(() => egcl(h, x, params, { graph }), /no velocity/);
  assert.throws(() => egcl(h, x, params, { graph, vel: x }), /edge attributes/);
  tf.dispose([h, x]);
  disposeGraph(graph);
  p.variables.forEach((v) => v.dispose());
});

Deno.test("EGNN's translation clamp as one kernel equals clipByValue, values and gradients (bounds pass the gradient)", async () => {
  const x = tf.tensor1d([-250, -100.5, -100, -3, 0, 2.5, 99.9, 100, 100.01, 1e4]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const fused = (t: tf.Tensor) => applyFused(CLIP_TRANSLATION, t);
  const ref = (t: tf.Tensor) => tf.clipByValue(t, -100, 100);
  const [a, b, ga, gb] = await Promise.all([
    fused(x).data(),
    ref(x).data(),
    tf.grad((t: tf.Tensor) => fused(t).mul(dy).sum())(x).data(),
    tf.grad((t: tf.Tensor) => ref(t).mul(dy).sum())(x).data(),
  ]);
  assert.deepEqual(Array.from(a), Array.from(b));
  assert.deepEqual(Array.from(ga), Array.from(gb));
  assert.deepEqual(Array.from(ga), [0, 0, 3, 4, 5, 6, 7, 8, 0, 0]);
  tf.dispose([x, dy]);
});
