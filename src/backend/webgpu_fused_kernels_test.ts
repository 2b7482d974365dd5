/**
 * The WGSL kernels against the composite forms on the webgpu backend, values and gradients.
 * Runs in its own process (it switches this process to webgpu); skips with a note where there
 * is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import { applyFused, type FusedUnaryOp } from "./fused_op.ts";
import { fusedAttention } from "./fused_attention.ts";
import { LAYER_NORM_KERNEL, RESIDUAL_LAYER_NORM_KERNEL } from "./webgpu_layer_norm.ts";
import { GELU_KERNEL } from "./webgpu_gelu.ts";
import { adamStep, FUSED_ADAM, fusedAdamAvailable, fusedAdamStep } from "./fused_adam.ts";
import {
  attentionComposite,
  GELU,
  LAYER_NORM,
  layerNorm,
  residualLayerNorm,
} from "../models/nn.ts";
import { FlatAdam } from "../training/flat_adam.ts";
import { countDeviceCalls } from "./webgpu_queue.ts";

const webgpu = await webgpuOnce("the WGSL kernel tests");

/** Largest |a − b| / (1 + |b|). */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i]));
    if (!(e <= w)) w = Number.isNaN(e) ? Infinity : e;
  }
  return w;
}

/**
 * Compares `fused` with `composite` on `x`: values, and gradients of `sum(f(x)·w)` for a random
 * `w`; returns the worst relative errors.
 */
async function compare(
  x: tf.Tensor,
  fused: (t: tf.Tensor) => tf.Tensor,
  composite: (t: tf.Tensor) => tf.Tensor,
  seed: number,
): Promise<{ value: number; grad: number }> {
  const shape = fused(x).shape;
  const w = tf.randomNormal(shape, 0, 1, "float32", seed);
  const loss = (f: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => f(t).mul(w).sum();
  const [a, b, ga, gb] = await Promise.all([
    fused(x).data(),
    composite(x).data(),
    tf.grad(loss(fused))(x).data(),
    tf.grad(loss(composite))(x).data(),
  ]);
  tf.dispose(w);
  return { value: worst(a, b), grad: worst(ga, gb) };
}

/** Names of the kernels `f` launches. */
async function kernelsOf(f: () => tf.Tensor): Promise<string[]> {
  return (await tf.profile(f)).kernelNames;
}

/** Runs `f` in a scope and checks that WebGPU reported no error. */
async function scoped(where: string, f: () => Promise<void>): Promise<void> {
  tf.engine().startScope();
  try {
    await f();
  } finally {
    tf.engine().endScope();
  }
  assertNoGpuErrors(where);
}

async function checkUnary(op: FusedUnaryOp, kernel: string, cases: [number[], number][]) {
  assert.equal(op.name, kernel, "the WGSL kernel runs under the fused op's name");
  const x0 = tf.ones([2, 3]);
  assert.deepEqual(await kernelsOf(() => applyFused(op, x0)), [kernel]);
  assert.ok(
    (await kernelsOf(() => tf.grad((t) => applyFused(op, t).sum())(x0))).includes(`${kernel}Grad`),
  );
  x0.dispose();
  for (const [i, [shape, scale]] of cases.entries()) {
    await scoped(`in ${kernel} ${shape}`, async () => {
      const x = tf.randomNormal(shape, 0.3, scale, "float32", 10 + i);
      const e = await compare(x, (t) => applyFused(op, t), (t) => op.composite(t), 20 + i);
      assert.ok(e.value < 2e-5, `${kernel} ${shape} ×${scale}: values differ by ${e.value}`);
      assert.ok(e.grad < 1e-4, `${kernel} ${shape} ×${scale}: gradients differ by ${e.grad}`);
    });
  }
}

webgpuTest(
  webgpu,
  "webgpu: RemulLayerNorm equals the composite layer norm, values and gradients",
  async () => {
    await checkUnary(LAYER_NORM, LAYER_NORM_KERNEL, [
      [[8, 4, 64], 1], // the N-body Transformer's rows
      [[3, 384], 2], // wide rows
      [[2, 5, 7], 1], // a width that is no multiple of the workgroup
      [[1, 1, 64], 1], // one row
      [[6, 3], 1],
      [[4, 64], 0.01], // small variance: ε matters
      [[70], 1], // rank 1
      [[66000, 4], 1], // more rows than one dispatch axis takes (65535): tfjs folds the dispatch
    ]);
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulGelu equals the composite GELU, values and gradients",
  async () => {
    await checkUnary(GELU, GELU_KERNEL, [
      [[8, 4, 128], 1],
      [[3, 384], 4], // tails: σ saturates
      [[7], 1],
      [[1, 1, 64], 1],
      [[300, 1000], 1], // more elements than one row of workgroups… and a partial one
    ]);
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulFusedAttention equals the composite attention, values and gradients",
  async () => {
    const cases: [[number, number, number], number][] = [
      [[8, 4, 3 * 64], 4], // the N-body Transformer
      [[3, 31, 3 * 24], 8], // MoCap-sized
      [[2, 1, 3 * 8], 2], // one token
      [[5, 7, 3 * 6], 1], // one head
      [[2, 64, 3 * 32], 2], // the longest sequence the kernel takes
      [[1, 3, 3 * 384], 8], // wide heads
    ];
    const qkv0 = tf.ones([1, 2, 6]);
    assert.deepEqual(await kernelsOf(() => fusedAttention(qkv0, 1)!), ["RemulFusedAttention"]);
    assert.ok(
      (await kernelsOf(() => tf.grad((t) => fusedAttention(t, 1)!.sum())(qkv0)))
        .includes("RemulFusedAttentionGrad"),
    );
    qkv0.dispose();
    for (const [i, [shape, heads]] of cases.entries()) {
      await scoped(`in attention ${shape}`, async () => {
        const qkv = tf.randomNormal(shape, 0, 1.5, "float32", 30 + i);
        const fused = (t: tf.Tensor) => {
          const y = fusedAttention(t, heads);
          assert.ok(y, "the webgpu kernel is used");
          return y;
        };
        const e = await compare(qkv, fused, (t) => attentionComposite(t, heads), 40 + i);
        assert.ok(e.value < 2e-5, `attention ${shape}/${heads}: values differ by ${e.value}`);
        assert.ok(e.grad < 1e-4, `attention ${shape}/${heads}: gradients differ by ${e.grad}`);
      });
    }
    assert.equal(fusedAttention(tf.zeros([1, 65, 6]), 1), undefined, "N > 64: composite");
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulResidualLayerNorm equals x + y and its layer norm, values and both gradients, in one program each way",
  async () => {
    for (const [i, shape] of [[8, 4, 64], [3, 384], [2, 5, 7], [1, 1, 64], [6, 3]].entries()) {
      await scoped(`in ${RESIDUAL_LAYER_NORM_KERNEL} ${shape}`, async () => {
        const x = tf.randomNormal(shape, 0.3, 1, "float32", 30 + i);
        const y = tf.randomNormal(shape, -0.2, 2, "float32", 40 + i);
        const a = tf.randomNormal(shape, 0, 1, "float32", 50 + i);
        const b = tf.randomNormal(shape, 0, 1, "float32", 60 + i);
        // a loss that reads both outputs, so that both incoming gradients are used
        const loss =
          (f: (x: tf.Tensor, y: tf.Tensor) => { sum: tf.Tensor; normed: tf.Tensor }) =>
          (x: tf.Tensor, y: tf.Tensor) => {
            const { sum, normed } = f(x, y);
            return sum.mul(a).sum().add(normed.mul(b).sum());
          };
        const composite = (x: tf.Tensor, y: tf.Tensor) => {
          const sum = x.add(y);
          return { sum, normed: layerNorm(sum) };
        };
        const fused = residualLayerNorm(x, y);
        const reference = composite(x, y);
        const [gf, gc] = [tf.grads(loss(residualLayerNorm)), tf.grads(loss(composite))];
        const [fx, fy] = gf([x, y]);
        const [cx, cy] = gc([x, y]);
        const read = (t: tf.Tensor) => t.data();
        assert.deepEqual(await read(fused.sum), await read(reference.sum), "the sum, bit for bit");
        const e = worst(await read(fused.normed), await read(reference.normed));
        assert.ok(e < 2e-5, `${shape}: norms differ by ${e}`);
        for (const [g, c, what] of [[fx, cx, "x"], [fy, cy, "y"]] as const) {
          const d = worst(await read(g), await read(c));
          assert.ok(d < 1e-4, `${shape}: gradients of ${what} differ by ${d}`);
        }
      });
    }
    // one program forward, one backward for both summands: two fewer than the composite (its
    // Add forward, and the Add of the two gradients of the sum backward)
    const [x, y] = [tf.ones([4, 64]), tf.fill([4, 64], 2)];
    const dispatches = (
      f: (x: tf.Tensor, y: tf.Tensor) => { sum: tf.Tensor; normed: tf.Tensor },
    ) => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => {
        const { sum, normed } = f(x, y);
        return sum.add(normed).sum();
      });
      tf.dispose(g([x, y])); // warm
      const calls = countDeviceCalls();
      tf.dispose(g([x, y]));
      calls.close();
      return calls.counts.dispatches;
    };
    const composite = (x: tf.Tensor, y: tf.Tensor) => {
      const sum = x.add(y);
      return { sum, normed: layerNorm(sum) };
    };
    assert.equal(dispatches(residualLayerNorm), dispatches(composite) - 2);
    assert.deepEqual(await kernelsOf(() => residualLayerNorm(x, y).normed), [
      RESIDUAL_LAYER_NORM_KERNEL,
    ]);
    tf.dispose([x, y]);
    assertNoGpuErrors("in RemulResidualLayerNorm's dispatch count");
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulResidualLayerNorm's gradient gives each summand a tensor of its own",
  async () => {
    await scoped("in the residual gradient's summands", async () => {
      const x = tf.randomNormal([4, 64], 0, 1, "float32", 71);
      const y = tf.randomNormal([4, 64], 0, 1, "float32", 72);
      const [dSum, dNorm] = [tf.randomNormal([4, 64], 0, 1, "float32", 73), tf.onesLike(x)];
      const { sum } = residualLayerNorm(x, y);
      const { gradFunc } = tf.getGradient(RESIDUAL_LAYER_NORM_KERNEL)!;
      const g = gradFunc([dSum, dNorm], [sum], {}) as Record<string, () => tf.Tensor>;
      const [gx, gy] = [g.x(), g.y()];
      // tfjs frees a summand's gradient once it has added it to another (a summand with two
      // uses): the other summand's must not be that tensor
      assert.notEqual(gx, gy);
      const want = await gy.data();
      gx.dispose();
      assert.ok(!gy.isDisposed);
      assert.deepEqual(await gy.data(), want);
    });
  },
);

/** Parameter shapes of the Adam tests: more than one gather program's worth (15), odd sizes. */
const ADAM_SHAPES = [
  [64, 192],
  [192],
  [3, 7, 5],
  [1],
  ...Array.from({ length: 16 }, (_, i) => [i + 2, 3]),
  [300, 40],
];

webgpuTest(
  webgpu,
  "webgpu: RemulAdamStep equals Adam on the host (weights and in-place moments)",
  async () => {
    assert.ok(fusedAdamAvailable(), "the webgpu kernel is registered");
    const copies = { n: 0 };
    const proto = GPUCommandEncoder.prototype;
    const copy = proto.copyBufferToBuffer;
    proto.copyBufferToBuffer = function (this: GPUCommandEncoder, ...a: unknown[]) {
      copies.n++;
      return (copy as (...a: unknown[]) => void).apply(this, a);
    } as typeof copy;
    try {
      for (const clip of [0, 1e6]) await adamAgainstHost(clip, false, copies);
      const plain = await adamAgainstHost(0.5, false, copies);
      const mirrored = await adamAgainstHost(0.5, true, copies);
      // with the mirror the same steps copy no weights in at step 2 and one at step 3 (uploads
      // are buffer copies too; after step 1 they are the same in both runs)
      const n = ADAM_SHAPES.length;
      assert.equal(plain[1] - mirrored[1], n, `step 2: ${plain} against ${mirrored}`);
      assert.equal(plain[2] - mirrored[2], n - 1, `step 3: ${plain} against ${mirrored}`);
    } finally {
      proto.copyBufferToBuffer = copy;
    }
  },
);

/**
 * Three steps of RemulAdamStep against the host's; with `mirror`, a weights' mirror kept between
 * steps. Before the third step the caller gives parameter 2 other weights. Returns the buffer
 * copies of each step.
 */
async function adamAgainstHost(
  clip: number,
  mirror: boolean,
  copies: { n: number },
): Promise<number[]> {
  const perStep: number[] = [];
  await scoped(`in RemulAdamStep (clip ${clip}${mirror ? ", mirror" : ""})`, async () => {
    const ps = ADAM_SHAPES.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 50 + i));
    const total = ps.reduce((a, p) => a + p.size, 0);
    const m = tf.zeros([total]);
    const v = tf.zeros([total]);
    const w = mirror ? tf.zeros([total]) : undefined;
    // the same step on the host
    const hostP = await Promise.all(ps.map((p) => p.data() as Promise<Float32Array>));
    const initial = hostP.map((p) => p.slice());
    const hostM = new Float32Array(total);
    const hostV = new Float32Array(total);
    let params = ps;
    for (let t = 1; t <= 3; t++) {
      const gs = ADAM_SHAPES.map((s, i) => tf.randomNormal(s, 0, 0.5, "float32", 100 * t + i));
      const attrs = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, t, clip };
      if (t === 3) {
        // other weights for parameter 2: the step must read them, not what a mirror holds
        params = params.map((p, i) => i === 2 ? p.mul(-1) : p);
        hostP[2] = hostP[2].map((x) => -x);
      }
      const calls = countDeviceCalls();
      const before = copies.n;
      const next = fusedAdamStep(params, gs, m, v, attrs, { w });
      calls.close();
      perStep.push(copies.n - before);
      // whatever the number of parameters: the clipping sums (with clipping), the two
      // moments and the new weights; everything else is buffer copies
      assert.equal(calls.counts.dispatches, clip > 0 ? 4 : 3, `clip ${clip}: dispatches`);
      const out = hostP.map((p) => new Float32Array(p.length));
      const hostG = await Promise.all(gs.map((g) => g.data() as Promise<Float32Array>));
      adamStep(hostP, hostG, hostM, hostV, out, { ...attrs, n: ps.length });
      // the moments are read (and so cached on the CPU) before the next step rewrites them
      const [mw, vw] = [await m.data(), await v.data()];
      assert.ok(worst(mw, hostM) < 1e-6, `clip ${clip} step ${t}: m ${worst(mw, hostM)}`);
      assert.ok(worst(vw, hostV) < 1e-6, `clip ${clip} step ${t}: v ${worst(vw, hostV)}`);
      for (const [i, p] of next.entries()) {
        assert.deepEqual(p.shape, ps[i].shape);
        const e = worst(await p.data(), out[i]);
        assert.ok(e < 1e-6, `clip ${clip} step ${t}: weights ${i} differ by ${e}`);
        hostP[i] = out[i];
      }
      // the weights the step started from are unchanged (never written in place); read
      // through a GPU op, since data() would return the copy cached on the CPU
      if (t === 1) {
        for (const [i, p] of ps.entries()) {
          const now = p.add(0);
          assert.equal(worst(await now.data(), initial[i]), 0, `weights ${i} written in place`);
          now.dispose();
        }
      }
      params = next;
    }
  });
  return perStep;
}

/** Three FlatAdam steps from fixed weights and gradients (one parameter has none); new weights. */
async function flatAdamRun(clip: number): Promise<{ weights: Float32Array[]; kernels: string[] }> {
  const vars = ADAM_SHAPES.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, "float32", 70 + i)));
  const adam = new FlatAdam(vars, { lr: 0.01, clipNorm: clip });
  let kernels: string[] = [];
  for (let t = 1; t <= 3; t++) {
    const grads: Record<string, tf.Tensor> = {};
    vars.forEach((v, i) => {
      if (i !== 3) grads[v.name] = tf.randomNormal(v.shape, 0, 0.5, "float32", 200 * t + i);
    });
    kernels = (await tf.profile(() => adam.apply(grads))).kernelNames;
    tf.dispose(Object.values(grads));
  }
  const weights = await Promise.all(vars.map((v) => v.data() as Promise<Float32Array>));
  adam.dispose();
  vars.forEach((v) => v.dispose());
  return { weights, kernels };
}

webgpuTest(webgpu, "webgpu: FlatAdam with RemulAdamStep equals its composite path", async () => {
  const kernel = tf.getKernel(FUSED_ADAM, "webgpu")!;
  for (const clip of [0, 0.5]) {
    await scoped(`in FlatAdam (clip ${clip})`, async () => {
      const fused = await flatAdamRun(clip);
      assert.ok(
        fused.kernels.includes(FUSED_ADAM) && fused.kernels.length <= 3,
        fused.kernels.join(),
      );
      tf.unregisterKernel(FUSED_ADAM, "webgpu");
      let composite;
      try {
        composite = await flatAdamRun(clip);
      } finally {
        tf.registerKernel(kernel);
      }
      assert.ok(!composite.kernels.includes(FUSED_ADAM));
      for (const [i, w] of fused.weights.entries()) {
        const e = worst(w, composite.weights[i]);
        assert.ok(e < 1e-6, `clip ${clip}: weights ${i} differ by ${e}`);
      }
    });
  }
});

webgpuTest(
  webgpu,
  "webgpu: FlatAdam writes the weights in place unless another tensor shares them",
  async () => {
    await scoped("in FlatAdam in place", async () => {
      const vars = ADAM_SHAPES.map((s, i) => {
        const initial = tf.randomNormal(s, 0, 1, "float32", 70 + i);
        const v = tf.variable(initial);
        initial.dispose(); // as the models do: the variable alone refers to its data
        return v;
      });
      const ids = vars.map((v) => v.dataId);
      const adam = new FlatAdam(vars, { lr: 0.01, clipNorm: 0 });
      const step = () => {
        const grads: Record<string, tf.Tensor> = {};
        vars.forEach((v, i) => {
          grads[v.name] = tf.ones(v.shape).mul(i + 1);
        });
        adam.apply(grads);
        tf.dispose(Object.values(grads));
      };
      try {
        step();
        // no clone: each variable keeps its data, and holds the new weights (read through a
        // GPU op, so that no copy cached on the CPU answers)
        assert.deepEqual(vars.map((v) => v.dataId), ids);
        const moved = vars[0].sub(tf.zeros(vars[0].shape));
        const before = await moved.data();
        moved.dispose();
        // a clone shares variable 0's data: this step must leave the clone as it was
        const clone = vars[0].clone();
        step();
        assert.notEqual(vars[0].dataId, ids[0], "a shared variable is assigned new data");
        const kept = clone.add(0);
        assert.deepEqual(await kept.data(), before, "the clone was written in place");
        const now = vars[0].add(0);
        const after = await now.data();
        assert.ok(after.some((x, i) => x !== before[i]), "the variable did not move");
        tf.dispose([clone, kept, now]);
        // the clone gone, the variable is written in place again
        const id = vars[0].dataId;
        step();
        assert.equal(vars[0].dataId, id);
      } finally {
        adam.dispose();
        vars.forEach((v) => v.dispose());
      }
    });
  },
);
