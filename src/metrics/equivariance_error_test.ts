import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { equivarianceErrors } from "./equivariance_error.ts";
import { countDeviceCalls } from "../backend/webgpu_queue.ts";
import type { FieldSpec } from "../symmetry/field.ts";

await useTestBackend();

const specs: FieldSpec[] = [
  { name: "m", kind: "scalar", shape: [5, 1] },
  { name: "x", kind: "position", shape: [5, 3] },
  { name: "v", kind: "vector", shape: [5, 3] },
];

function inputs() {
  return tf.tidy(() => ({
    m: tf.randomUniform([6, 5, 1], 0.5, 2, "float32", 1),
    x: tf.randomNormal([6, 5, 3], 0, 1, "float32", 2),
    v: tf.randomNormal([6, 5, 3], 0, 1, "float32", 3),
  }));
}

Deno.test("E and E' vanish for an exactly equivariant function", async () => {
  const f = inputs();
  // x + m·v + (mean-free pairwise term): rotation-equivariant by construction
  const r = await equivarianceErrors(
    (g) => g.x.add(g.v.mul(g.m)).add(g.x.sub(g.x.mean(1, true)).mul(g.x.square().sum(-1, true))),
    f,
    { inputs: specs, output: "position", samples: 50, seed: 1 },
  );
  assert.ok(r.e < 1e-5 && r.ePrime < 1e-5, `E ${r.e} E' ${r.ePrime}`);
  assert.equal(r.inputs, 6);
  assert.equal(r.samples, 50);
  tf.dispose(Object.values(f));
});

Deno.test("E and E' are clearly positive for a non-equivariant function", async () => {
  const f = inputs();
  const r = await equivarianceErrors(
    (g) => g.x.add(tf.tensor1d([1, 0, 0])).mul(tf.tensor1d([1, 2, 3])),
    f,
    { inputs: specs, output: "position", samples: 50, seed: 1 },
  );
  assert.ok(r.ePrime > 0.5 && r.e > 0.1, `E ${r.e} E' ${r.ePrime}`);
  assert.ok(r.e <= r.ePrime + 1e-6, "E ≤ E' by the triangle inequality");
  tf.dispose(Object.values(f));
});

Deno.test("E and E' equal a hand computation on a two-sample case", async () => {
  // One input x = (1, 0, 0) (one node), f(x) = x + (1, 0, 0) (a fixed shift: not equivariant).
  // Rotations: the identity and 90° about z, via the `angle` sampler with a zero-width range is
  // not possible, so compute from the Haar draws: reproduce them with the same seed.
  const x = { p: tf.tensor3d([[[1, 0, 0]]]) };
  const spec: FieldSpec[] = [{ name: "p", kind: "position", shape: [1, 3] }];
  const shift = tf.tensor1d([1, 0, 0]);
  const f = (g: Record<string, tf.Tensor>) => g.p.add(shift);
  const r = await equivarianceErrors(f, x, {
    inputs: spec,
    output: "position",
    samples: 2,
    seed: 42,
    rotations: { kind: "angle", ranges: [[90, 90]] },
  });
  // Any 90° rotation R about a unit axis a: f(Rx) − R f(x) = (1,0,0) − R(1,0,0) =: d_i.
  // Recompute the two draws on the host with the same generator to get d_1, d_2 exactly.
  const { Rng } = awaitImport.rng;
  const { sampleRotations } = awaitImport.rot;
  const rot = sampleRotations({ kind: "angle", ranges: [[90, 90]] }, new Rng(42), 2);
  const d = [0, 1].map((i) => [1 - rot[9 * i], -rot[9 * i + 3], -rot[9 * i + 6]]);
  const ePrime = (Math.hypot(...d[0]) + Math.hypot(...d[1])) / 2;
  const e = Math.hypot((d[0][0] + d[1][0]) / 2, (d[0][1] + d[1][1]) / 2, (d[0][2] + d[1][2]) / 2);
  assert.ok(Math.abs(r.ePrime - ePrime) < 1e-6, `${r.ePrime} vs ${ePrime}`);
  assert.ok(Math.abs(r.e - e) < 1e-6, `${r.e} vs ${e}`);
  tf.dispose([x.p, shift]);
});

const awaitImport = {
  rng: await import("../core/rng.ts"),
  rot: await import("../symmetry/rotation.ts"),
};

Deno.test("E and E' are read back once, however many chunks the inputs take", async () => {
  const f = inputs();
  const g = (h: Record<string, tf.Tensor>) => h.x.add(tf.tensor1d([1, 0, 0])).mul(h.m);
  const options = { inputs: specs, output: "position" as const, samples: 10, seed: 1 };
  const whole = await equivarianceErrors(g, f, options);
  const calls = countDeviceCalls();
  // 10 samples a batch of at most 20: two inputs a chunk, three chunks
  const chunked = await equivarianceErrors(g, f, { ...options, maxBatch: 20 });
  calls.close();
  assert.equal(calls.counts.reads, 1);
  for (const k of ["e", "ePrime", "ePrimeRelative"] as const) {
    assert.ok(
      Math.abs(chunked[k] - whole[k]) <= 1e-5 * whole[k],
      `${k}: ${chunked[k]} ${whole[k]}`,
    );
  }
  tf.dispose(Object.values(f));
});
