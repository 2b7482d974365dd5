/**
 * The webgpu dense layer kernels against tfjs's composite on the webgpu backend (values and every
 * gradient), against a float64 reference on the host where the composite cannot serve (empty
 * operands, a long column sum), and by the number of GPU programs each launches. Runs in its own
 * process (it switches this process to webgpu); skips with a note where there is no WebGPU
 * adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { assertCloseToRms } from "../testing/assert_close.ts";
import { dispatchesOf, webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { denseComposite } from "../models/nn.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";
import type { WebGPUBackend } from "./_webgpu_program.ts";
import {
  FUSED_DENSE,
  FUSED_DENSE_GRAD_BIAS,
  FUSED_DENSE_GRAD_INPUT,
  FUSED_DENSE_GRAD_WEIGHT,
  fusedDense,
  setFusedDense,
} from "./fused_dense.ts";
import { installWebGpuSum, uninstallWebGpuSum } from "./webgpu_column_sum.ts";

const webgpu = await webgpuOnce("the WebGPU dense layer tests");

const LABELS = ["value", "dx", "dw", "db"];

/** The layer's inputs and the upstream gradient `r`, seeded. */
function operands(xShape: number[], n: number, bias: boolean, seed: number) {
  const k = xShape[xShape.length - 1];
  return {
    x: tf.randomNormal(xShape, 0, 1.5, "float32", seed),
    w: tf.randomNormal([k, n], 0, 1, "float32", seed + 1),
    b: bias ? tf.randomNormal([n], 0, 1, "float32", seed + 2) : undefined,
    r: tf.randomNormal([...xShape.slice(0, -1), n], 0, 1, "float32", seed + 3),
  };
}

/** `y` and the gradients of `sum(y·r)` for x, w (and b), through `f`. */
async function valueAndGrads(
  f: (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => tf.Tensor,
  { x, w, b, r }: ReturnType<typeof operands>,
): Promise<{ shapes: number[][]; values: Float32Array[] }> {
  const args = b ? [x, w, b] : [x, w];
  const grads = tf.grads((...a: tf.Tensor[]) => f(a[0], a[1], a[2]).mul(r).sum())(args);
  const tensors = [f(x, w, b), ...grads];
  const values = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  const shapes = tensors.map((t) => t.shape);
  tf.dispose(tensors);
  return { shapes, values };
}

const fused = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => {
  const y = fusedDense(x, w, b);
  assert.ok(y, "fusedDense runs on webgpu");
  return y;
};
const composite = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => denseComposite(x, { w, b });

/** Values and gradients of the kernels against the composite, one shape. */
async function compare(xShape: number[], n: number, bias: boolean, seed: number) {
  const label = `${JSON.stringify(xShape)}·[${xShape.at(-1)}, ${n}]${bias ? " + b" : ""}`;
  const ops = operands(xShape, n, bias, seed);
  try {
    const actual = await valueAndGrads(fused, ops);
    const expected = await valueAndGrads(composite, ops);
    assert.equal(actual.values.length, expected.values.length, label);
    for (const [i, a] of actual.values.entries()) {
      assert.deepEqual(actual.shapes[i], expected.shapes[i], `${label}: ${LABELS[i]} shape`);
      assertCloseToRms(a, expected.values[i], `${label}: ${LABELS[i]}`);
    }
  } finally {
    tf.dispose(Object.values(ops).filter((t) => t) as tf.Tensor[]);
  }
  assertNoGpuErrors(`in ${FUSED_DENSE} ${label}`);
}

/** `y = x·W + b` and the gradients of `sum(y·r)` in float64 on the host. */
async function hostReference(
  { x, w, b, r }: ReturnType<typeof operands>,
): Promise<Float64Array[]> {
  const [k, n] = w.shape;
  const m = x.shape.slice(0, -1).reduce((a, d) => a * d, 1);
  const [xs, ws, rs] = await Promise.all([x, w, r].map((t) => t.data()));
  const bs = b ? await b.data() : new Float32Array(n);
  const [y, dx, dw, db] = [m * n, m * k, k * n, n].map((s) => new Float64Array(s));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bs[j];
      for (let p = 0; p < k; p++) {
        s += xs[i * k + p] * ws[p * n + j];
        dx[i * k + p] += rs[i * n + j] * ws[p * n + j];
        dw[p * n + j] += xs[i * k + p] * rs[i * n + j];
      }
      y[i * n + j] = s;
      db[j] += rs[i * n + j];
    }
  }
  return b ? [y, dx, dw, db] : [y, dx, dw];
}

webgpuTest(
  webgpu,
  "webgpu: RemulDense equals reshape·matMul·add, values and every gradient, odd sizes",
  async () => {
    assert.ok(tf.getKernel(FUSED_DENSE, "webgpu"), "the webgpu kernels are registered");
    await compare([1, 1], 1, true, 1); // one element
    await compare([3, 17], 67, true, 2); // nothing a multiple of 4
    await compare([67, 3], 17, true, 3);
    await compare([17, 67], 3, false, 4); // no bias
    await compare([4, 5, 3], 17, true, 5); // rank 3
    await compare([2, 3, 5, 7], 1, true, 6); // rank 4, one output
    await compare([64, 5, 64], 192, true, 7); // the N-body Transformer's qkv, batch 64
    await compare([40, 130], 64, true, 8); // more tiles than one workgroup of the column sum
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulDense on empty operands (M = 0, N = 0, K = 0) equals the float64 reference",
  async () => {
    // the composite cannot serve here: tfjs-webgpu's matMul binds an empty buffer when the inner
    // size is 0 (dx when N = 0, dW when M = 0) and WebGPU rejects the command buffer
    const cases: [number[], number, boolean][] = [
      [[0, 3], 5, true], // M = 0: empty y and dx; dW and db zeros
      [[2, 0, 3], 5, false], // M = 0, rank 3, no bias
      [[4, 3], 0, true], // N = 0: empty y, dw, db; dx zeros
      [[4, 0], 5, true], // K = 0: y the bias repeated; empty dx, dw
      [[2, 3, 0], 5, false], // K = 0, no bias: y zeros
    ];
    for (const [i, [xShape, n, bias]] of cases.entries()) {
      const label = `${JSON.stringify(xShape)}·[${xShape.at(-1)}, ${n}]${bias ? " + b" : ""}`;
      const ops = operands(xShape, n, bias, 20 + i);
      try {
        // the kernels one by one: tfjs-webgpu's Sum of an empty tensor (a loss for tf.grads)
        // fails its dispatch-size check
        const { x, w, b, r } = ops;
        const run = (name: string, inputs: Record<string, tf.Tensor>) =>
          tf.engine().runKernel(name, inputs, {}) as tf.Tensor;
        const tensors = [
          fused(x, w, b),
          run(FUSED_DENSE_GRAD_INPUT, { dy: r, w }),
          run(FUSED_DENSE_GRAD_WEIGHT, { x, dy: r }),
          ...(b ? [run(FUSED_DENSE_GRAD_BIAS, { dy: r })] : []),
        ];
        const actual = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
        const expected = await hostReference(ops);
        const shapes = [
          [...xShape.slice(0, -1), n],
          xShape,
          [xShape.at(-1)!, n],
          ...(bias ? [[n]] : []),
        ];
        for (const [j, a] of actual.entries()) {
          assert.deepEqual(tensors[j].shape, shapes[j], `${label}: ${LABELS[j]} shape`);
          assertCloseToRms(a, Float32Array.from(expected[j]), `${label}: ${LABELS[j]}`);
        }
        tf.dispose(tensors);
      } finally {
        tf.dispose(Object.values(ops).filter((t) => t) as tf.Tensor[]);
      }
      assertNoGpuErrors(`in ${FUSED_DENSE} ${label}`);
    }
  },
);

webgpuTest(webgpu, "webgpu: the column sum of 20,000 rows equals the float64 sums", async () => {
  // batch 1024 × 20 tokens; narrow (one workgroup), odd, and wider than one workgroup
  for (const [m, n] of [[20_000, 7], [20_480, 1], [20_000, 67]]) {
    const x = tf.randomNormal([m, n], 0.5, 1, "float32", m + n);
    const xs = await x.data();
    const expected = new Float64Array(n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expected[j] += xs[i * n + j];
    const db = tf.engine().runKernel(FUSED_DENSE_GRAD_BIAS, { dy: x }, {}) as tf.Tensor;
    assert.deepEqual(db.shape, [n]);
    const actual = await db.data();
    // float32 sums of 20,000 terms of size ~1: relative to the sum of magnitudes
    for (let j = 0; j < n; j++) {
      let scale = 0;
      for (let i = 0; i < m; i++) scale += Math.abs(xs[i * n + j]);
      assert.ok(
        Math.abs(actual[j] - expected[j]) <= 1e-6 * scale,
        `[${m}, ${n}] column ${j}: ${actual[j]} vs ${expected[j]} (Σ|x| = ${scale})`,
      );
    }
    tf.dispose([x, db]);
  }
  assertNoGpuErrors("in the column sum");
});

webgpuTest(
  webgpu,
  "webgpu: RemulDense and each of its gradient kernels launch one GPU program",
  () => {
    const { x, w, b, r } = operands([8, 5, 64], 192, true, 30);
    const run = (name: string, inputs: Record<string, tf.Tensor>) => () =>
      tf.engine().runKernel(name, inputs, {}) as tf.Tensor;
    assert.equal(dispatchesOf(run(FUSED_DENSE, { x, w, b: b! })), 1, "forward");
    assert.equal(dispatchesOf(run(FUSED_DENSE, { x, w })), 1, "forward without bias");
    assert.equal(dispatchesOf(run(FUSED_DENSE_GRAD_INPUT, { dy: r, w })), 1, "dx");
    assert.equal(dispatchesOf(run(FUSED_DENSE_GRAD_WEIGHT, { x, dy: r })), 1, "dW");
    assert.equal(dispatchesOf(run(FUSED_DENSE_GRAD_BIAS, { dy: r })), 1, "db");
    // what they replace: matMul and a broadcasting Add; tfjs's Sum over rows is a Transpose and a
    // reduction (the project's Sum, installed with the webgpu backend, is the column sum)
    assert.equal(dispatchesOf(() => denseComposite(x, { w, b })), 2, "composite forward");
    const rowSum = () => dispatchesOf(() => r.reshape([-1, 192]).sum(0));
    assert.equal(rowSum(), 1, "the project's Sum over rows");
    const layerGradient = (f: typeof fused) =>
      dispatchesOf(() => {
        const grads = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
          f(x, w, b).mul(r).sum()
        )([x, w, b!]);
        tf.dispose(grads.slice(1));
        return grads[0];
      });
    const layer = layerGradient(fused);
    assert.equal(layerGradient(composite) - layer, 1, "one fewer: the forward Add");
    uninstallWebGpuSum();
    try {
      assert.equal(rowSum(), 2, "tfjs's Sum over rows");
      assert.equal(
        layerGradient(composite) - layer,
        2,
        "and tfjs's Transpose of the bias gradient",
      );
    } finally {
      installWebGpuSum();
    }
    tf.dispose([x, w, b!, r]);
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulDense leaves no tensor and no GPU buffer behind; declines when switched off",
  () => {
    const x = tf.randomNormal([5, 4, 6], 0, 1, "float32", 7);
    const w = tf.variable(tf.randomNormal([6, 3], 0, 1, "float32", 8));
    const b = tf.variable(tf.zeros([3]));
    const dataIds = () => (tf.backend() as unknown as WebGPUBackend).numDataIds();
    const before = [tf.memory().numTensors, dataIds()];
    tf.tidy(() => {
      fusedDense(x, w, b)!.sum();
    });
    const { value, grads } = tf.variableGrads(() =>
      fusedDense(x, w, b)!.square().sum() as tf.Scalar
    );
    tf.dispose([value, ...Object.values(grads)]);
    assert.deepEqual([tf.memory().numTensors, dataIds()], before);
    setFusedDense(false);
    try {
      assert.equal(fusedDense(x, w, b), undefined, "switched off: the caller composes");
    } finally {
      setFusedDense(true);
    }
    tf.dispose([x, w, b]);
  },
);
