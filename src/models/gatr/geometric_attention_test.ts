await useTestBackend();
import assert from "node:assert/strict";
import { tf } from "../../tf.ts";
import { useTestBackend } from "../../testing/test_backend.ts";
import { act, ACTIONS, compareWithGradients, randomTensor, relGap } from "./_test_utils.ts";
import { fromBladeMajor, toBladeMajor } from "./_layout.ts";
import { embedPoint } from "./embedding.ts";
import {
  attentionFeatures,
  geometricAttention,
  geometricAttentionInternal,
} from "./geometric_attention.ts";
import { innerProduct } from "./normalization.ts";

Deno.test("attention features: inner product plus minus the squared distance of points", () => {
  tf.tidy(() => {
    const p = randomTensor([5, 1, 3], 1);
    const q = randomTensor([5, 1, 3], 2);
    const extra = randomTensor([5, 1, 16], 3).mul(
      tf.tensor([1, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]),
    ); // no trivector or e0 parts
    const xp = embedPoint(p).add(extra);
    const xq = embedPoint(q).mul(3).add(extra); // weighted point: the normaliser divides it out
    const dot = attentionFeatures(xp, "query").mul(attentionFeatures(xq, "key")).sum(-1);
    const ip = innerProduct(extra, extra).reshape([5]);
    const d2 = p.sub(q).square().sum([1, 2]);
    // the normaliser t₃/(t₃² + 1e-3) scales a point of weight t₃ by c = t₃²/(t₃² + 1e-3)
    const c = (1 / 1.001) * (9 / 9.001);
    const gap = relGap(dot, ip.sub(d2.mul(c * c)));
    assert.ok(gap < 1e-5, `gap ${gap}`);
  });
});

Deno.test("geometricAttention: shapes, softmax rows sum to one (constant values)", () => {
  tf.tidy(() => {
    const [b, n, h, c, s] = [2, 5, 3, 2, 4];
    const out = geometricAttention(
      {
        qMv: randomTensor([b, n, h, c, 16], 1),
        kMv: randomTensor([b, n, c, 16], 2),
        vMv: tf.ones([b, n, 1, 16]),
        qS: randomTensor([b, n, h, s], 3),
        kS: randomTensor([b, n, s], 4),
        vS: tf.ones([b, n, 2]),
      },
      tf.ones([h, c]),
    );
    assert.deepEqual(out.mv.shape, [b, n, h, 1, 16]);
    assert.deepEqual(out.s!.shape, [b, n, h, 2]);
    assert.ok(out.mv.sub(1).abs().max().dataSync()[0] < 1e-5);
  });
});

Deno.test("geometricAttention: matches a naive per-head computation", () => {
  tf.tidy(() => {
    const [b, n, h, c, s] = [1, 4, 2, 2, 3];
    const inputs = {
      qMv: randomTensor([b, n, h, c, 16], 5),
      kMv: randomTensor([b, n, c, 16], 6),
      vMv: randomTensor([b, n, 3, 16], 7),
      qS: randomTensor([b, n, h, s], 8),
      kS: randomTensor([b, n, s], 9),
      vS: randomTensor([b, n, 2], 10),
    };
    const w = tf.tensor2d([[0.5, 1], [2, 1.5]]);
    const out = geometricAttention(inputs, w);
    for (let head = 0; head < h; head++) {
      const qm = inputs.qMv.slice([0, 0, head], [-1, -1, 1]).reshape([b, n, c, 16]);
      const qf = tf.concat([
        attentionFeatures(qm, "query", w.slice([head], [1])),
        inputs.qS.slice([0, 0, head], [-1, -1, 1]).reshape([b, n, s]),
      ], -1);
      const kf = tf.concat([attentionFeatures(inputs.kMv, "key"), inputs.kS], -1);
      const logits = tf.matMul(qf, kf, false, true).div(Math.sqrt(12 * c + s));
      const a = tf.softmax(logits);
      const v = tf.concat([inputs.vMv.reshape([b, n, 48]), inputs.vS], -1);
      const o = tf.matMul(a, v);
      const got = tf.concat([
        out.mv.slice([0, 0, head], [-1, -1, 1]).reshape([b, n, 48]),
        out.s!.slice([0, 0, head], [-1, -1, 1]).reshape([b, n, 2]),
      ], -1);
      assert.ok(relGap(got, o) < 1e-5, `head ${head}`);
    }
  });
});

Deno.test("geometricAttention: E(3)-equivariant and permutation-equivariant", () => {
  tf.tidy(() => {
    const [b, n, h, c, s] = [2, 5, 2, 2, 4];
    const pts = embedPoint(randomTensor([b, n, 1, 3], 11)); // point-like trivectors
    const inputs = {
      qMv: randomTensor([b, n, h, c, 16], 12, 0.3).add(pts.expandDims(2)),
      kMv: randomTensor([b, n, c, 16], 13, 0.3).add(pts),
      vMv: randomTensor([b, n, 3, 16], 14),
      qS: randomTensor([b, n, h, s], 15),
      kS: randomTensor([b, n, s], 16),
      vS: randomTensor([b, n, 2], 17),
    };
    const w = tf.ones([h, c]).mul(0.7);
    const y = geometricAttention(inputs, w);
    for (const { name, m } of ACTIONS) {
      const z = geometricAttention(
        { ...inputs, qMv: act(inputs.qMv, m), kMv: act(inputs.kMv, m), vMv: act(inputs.vMv, m) },
        w,
      );
      const gapMv = relGap(z.mv, act(y.mv, m));
      const gapS = relGap(z.s!, y.s!);
      assert.ok(gapMv < 1e-4 && gapS < 1e-4, `${name}: ${gapMv} ${gapS}`);
    }
    const perm = tf.tensor1d([3, 0, 4, 1, 2], "int32");
    const zp = geometricAttention(
      Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => [k, tf.gather(v, perm, 1)]),
      ) as typeof inputs,
      w,
    );
    assert.ok(relGap(zp.mv, tf.gather(y.mv, perm, 1)) < 1e-5);
  });
});

Deno.test("geometricAttention: the layer's fused form equals the composite, values and gradients", () => {
  const [b, n, h, c, s] = [3, 5, 2, 3, 4];
  const ctot = h * c + 2 * c;
  const reference = (qkv: tf.Tensor, logW: tf.Tensor) => {
    const [sAll, mvFlat] = tf.split(qkv, [h * s + 2 * s, 16 * ctot], 1);
    const rows = fromBladeMajor(mvFlat.reshape([b, n, 16, ctot]));
    const [q, k, v] = tf.split(rows, [h * c, c, c], 2);
    const [qS, kS, vS] = tf.split(sAll.reshape([b, n, -1]), [h * s, s, s], 2);
    const out = geometricAttention(
      { qMv: q.reshape([b, n, h, c, 16]), kMv: k, vMv: v, qS: qS.reshape([b, n, h, s]), kS, vS },
      logW.exp(),
    );
    const mv = toBladeMajor(out.mv.reshape([b, n, h * c, 16])).reshape([b * n, 16 * h * c]);
    return tf.concat([out.s!.reshape([b * n, h * s]), mv], 1);
  };
  tf.tidy(() => {
    const qkv = randomTensor([b * n, h * s + 2 * s + 16 * ctot], 41);
    const logW = randomTensor([h, c], 42, 0.5);
    const fused = (x: tf.Tensor, w: tf.Tensor) =>
      geometricAttentionInternal(x, w, { heads: h, mv: c, s, items: n });
    const [value, grads] = compareWithGradients(fused, reference, [qkv, logW]);
    assert.ok(value < 1e-5, `value ${value}`);
    grads.forEach((g, i) => assert.ok(g < 1e-4, `gradient ${i}: ${g}`));
  });
});
