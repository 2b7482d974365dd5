import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import {
  collapseTranspose,
  installWasmTranspose,
  transposeArray,
  uninstallWasmTranspose,
} from "./wasm_transpose.ts";
import { installWasmSlice, uninstallWasmSlice } from "./wasm_slice.ts";
import { installWasmShare, uninstallWasmShare } from "./wasm_share.ts";
import { installWasmConcatTile, uninstallWasmConcatTile } from "./wasm_concat_tile.ts";
import { installWasmReduce, uninstallWasmReduce } from "./wasm_reduce.ts";
import {
  installWasmBlasMatMul,
  smallGemm,
  uninstallWasmBlasMatMul,
  wasmBlasMatMulInstalled,
} from "./wasm_blas_matmul.ts";
import { loadNativeBlas } from "./native_blas.ts";

const onWasm = () => (Deno.env.get("REMUL_TEST_BACKEND") ?? "wasm") === "wasm";

type Run = () => tf.Tensor | tf.Tensor[];

/** Values of `run` with the project's kernels and with tfjs's shipped ones. */
async function bothWays(
  run: Run,
  uninstall: () => void,
  install: () => void,
): Promise<[Float32Array[], Float32Array[]]> {
  const values = async () => {
    const out = tf.tidy(run);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map(async (t) => new Float32Array(await t.data())));
    tf.dispose(list);
    return data;
  };
  const ours = await values();
  uninstall();
  try {
    return [ours, await values()];
  } finally {
    install();
  }
}

/**
 * Elementwise |ours − tfjs| ≤ tol·(1 + scale), scale = |tfjs value| or, with `normwise`, the
 * largest |tfjs value| of that output (sums in another order differ by float32 rounding of the
 * terms, which is relative to the output's magnitude, not to each element).
 */
function assertClose(
  a: Float32Array[],
  b: Float32Array[],
  tol: number,
  what: string,
  normwise = false,
): void {
  assert.equal(a.length, b.length, `${what}: number of outputs`);
  a.forEach((x, i) => {
    assert.equal(x.length, b[i].length, `${what}: output ${i} size`);
    const peak = b[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let k = 0; k < x.length; k++) {
      const scale = normwise ? peak : Math.abs(b[i][k]);
      const ok = Math.abs(x[k] - b[i][k]) <= tol * (1 + scale) ||
        (Number.isNaN(x[k]) && Number.isNaN(b[i][k]));
      assert.ok(ok, `${what}: output ${i}[${k}] = ${x[k]}, tfjs gives ${b[i][k]}`);
    }
  });
}

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

Deno.test("transpose: collapsing drops unit axes and merges adjacent ones", () => {
  assert.deepEqual(collapseTranspose([2, 1, 3], [2, 0, 1]), { shape: [2, 3], perm: [1, 0] });
  assert.deepEqual(collapseTranspose([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  assert.deepEqual(collapseTranspose([5, 2, 3, 4, 6], [2, 0, 3, 1, 4]).perm, [2, 0, 3, 1, 4]);
  const x = Float32Array.from({ length: 24 }, (_, i) => i);
  // [2,3,4] -> perm [2,0,1]: y[k,i,j] = x[i,j,k]
  const y = transposeArray(x, [2, 3, 4], [2, 0, 1]);
  assert.equal(y[1 * 6 + 1 * 3 + 2], x[1 * 12 + 2 * 4 + 1]);
});

Deno.test("wasm Transpose equals tfjs's kernel, bit for bit, values and gradients", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  const cases: [number[], number[]][] = [
    [[64, 4, 3, 4, 16], [2, 0, 3, 1, 4]], // the attention transpose
    [[2, 3, 4], [2, 1, 0]],
    [[7, 5], [1, 0]],
    [[3, 1, 4, 1, 2], [4, 2, 0, 3, 1]],
    [[2, 40, 3], [0, 2, 1]],
    [[6], [0]],
    [[2, 0, 3], [1, 2, 0]],
  ];
  for (const [shape, perm] of cases) {
    const x = rand(shape, shape.length);
    const [ours, shipped] = await bothWays(
      () => [
        x.transpose(perm),
        tf.grad((v: tf.Tensor) => v.transpose(perm).mul(v.transpose(perm)).sum())(x),
      ],
      uninstallWasmTranspose,
      installWasmTranspose,
    );
    assertClose(ours, shipped, 0, `transpose [${shape}] by [${perm}]`);
    x.dispose();
  }
  const ints = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3], "int32");
  assert.deepEqual(await ints.transpose([2, 1, 0]).data(), Int32Array.from([1, 4, 2, 5, 3, 6]));
});

Deno.test("wasm Slice, SplitV and Unpack equal tfjs's kernels, values and gradients", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  const x = rand([5, 6, 7], 1);
  const v = rand([100003], 2);
  const [ours, shipped] = await bothWays(
    () => [
      x.slice([1, 2, 3], [3, 2, 4]),
      x.slice([0, 0, 2], [-1, -1, 5]),
      x.slice(2),
      x.slice([4, 5, 6], [1, 1, 1]),
      ...tf.split(x, [2, -1, 1], 1),
      ...tf.split(v, [1, 50000, 50002]),
      ...tf.unstack(x, 2),
      ...tf.unstack(x, 0),
      tf.grad((t: tf.Tensor) =>
        tf.unstack(t, 1)[3].square().sum().add(t.slice([1, 0, 1], [2, 3, 3]).sum())
      )(x),
      tf.grad((t: tf.Tensor) => tf.split(t, 3, 1)[1].mul(2).sum())(x),
    ],
    uninstallWasmSlice,
    installWasmSlice,
  );
  assertClose(ours, shipped, 0, "slice/split/unpack");
  tf.dispose([x, v]);
});

Deno.test("wasm Identity and Cast share memory and keep values; tensors stay independent", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  const x = rand([3, 4], 3);
  const [ours, shipped] = await bothWays(
    () => [
      x.clone(),
      x.cast("float32"),
      x.cast("int32"),
      tf.grad((t: tf.Tensor) => t.mul(t).sum())(x),
    ],
    uninstallWasmShare,
    installWasmShare,
  );
  assertClose(ours, shipped, 0, "identity/cast");
  // disposing a clone leaves the original intact, and the other way round
  const c = x.clone();
  const before = await x.data();
  c.dispose();
  assert.deepEqual(await x.data(), before);
  const d = x.clone();
  x.dispose();
  assert.deepEqual(await d.data(), before);
  d.dispose();
  // a variable assigned after cloning keeps the clone's values apart
  const w = tf.variable(tf.tensor1d([1, 2]));
  const snap = w.clone();
  w.assign(tf.tensor1d([5, 6]));
  assert.deepEqual(await snap.data(), Float32Array.from([1, 2]));
  tf.dispose([w, snap]);
});

Deno.test("wasm reductions over outer axes equal tfjs's kernels, values and gradients", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  const x = rand([4, 5, 6], 4);
  const big = rand([64, 100, 8], 5);
  const pairs = rand([6, 5, 8], 6); // short middle sums with whole groups of four: SIMD
  const [ours, shipped] = await bothWays(
    () => [
      x.sum(0),
      x.sum([0, 1]),
      x.sum([0, 2], true),
      x.mean(1),
      x.max(0),
      x.min([0, 2]),
      x.abs().add(0.5).prod(1),
      x.sum(-1),
      x.sum(),
      tf.grad((t: tf.Tensor) => t.sum(0).square().sum().add(t.mean([0, 1]).sum()))(x),
      big.sum(0), // large enough for OpenBLAS's matrix-vector product, when loaded
      big.reshape([4, 16, 800]).sum(1),
      big.mean([0, 1]),
      pairs.sum(1),
      pairs.sum(1, true),
      pairs.reshape([6, 5, 2, 4]).sum([1, 2]),
      tf.grad((t: tf.Tensor) => t.sum(1).square().sum())(pairs),
    ],
    uninstallWasmReduce,
    installWasmReduce,
  );
  assertClose(ours, shipped, 1e-5, "reductions", true);
  tf.dispose([x, big, pairs]);
});

Deno.test("small products in plain loops equal a direct sum", () => {
  const m = 3, n = 4, k = 5;
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const c = new Float32Array(m * n + 2);
    smallGemm(ta, tb, m, n, k, a, 0, b, 0, c, 2);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          s += a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
        }
        assert.ok(Math.abs(c[2 + i * n + j] - s) < 1e-5, `trans ${ta} ${tb}`);
      }
    }
  }
});

Deno.test("wasm BatchMatMul (OpenBLAS and small loops) equals tfjs's kernel, values and gradients", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  if (!loadNativeBlas().loaded) {
    console.warn(`OpenBLAS not loaded (${(loadNativeBlas() as { reason: string }).reason})`);
  }
  const cases: [number[], number[], boolean, boolean][] = [
    [[2, 5, 7], [2, 7, 3], false, false],
    [[2, 7, 5], [2, 7, 3], true, false],
    [[2, 5, 7], [2, 3, 7], false, true],
    [[2, 7, 5], [2, 3, 7], true, true],
    [[3, 2, 6, 4], [3, 2, 5, 4], false, true],
    [[64, 32], [48, 32], false, true],
    [[1, 9, 4], [3, 9, 6], true, false],
    [[128, 64], [64, 96], false, false], // OpenBLAS-sized
    [[128, 64], [128, 96], true, false],
    [[4, 100, 64], [64, 40], false, false], // batch folded into rows
    [[4, 64, 100], [40, 64], true, true],
    [[5, 0, 3], [5, 3, 2], false, false],
  ];
  const a = cases.map(([sa], i) => rand(sa, 10 + i));
  const b = cases.map(([, sb], i) => rand(sb, 30 + i));
  const [ours, shipped] = await bothWays(
    () =>
      cases.flatMap(([sa, sb, ta, tb], i) => {
        const product = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).square().sum();
        // tfjs's own gradient does not reduce a broadcast batch: those cases check values only
        const broadcast = sa.length !== sb.length || sa[0] !== sb[0];
        return [
          tf.matMul(a[i], b[i], ta, tb),
          ...(broadcast ? [] : tf.grads(product)([a[i], b[i]])),
        ];
      }),
    uninstallWasmBlasMatMul,
    () => installWasmBlasMatMul(),
  );
  assertClose(ours, shipped, 1e-5, "matmul", true);
  tf.dispose([...a, ...b]);
  assert.equal(wasmBlasMatMulInstalled(), true);
});

Deno.test("wasm Concat and Tile equal tfjs's kernels, values and gradients", async () => {
  if (!onWasm()) return;
  await useTestBackend();
  const a = rand([6, 3, 4], 1);
  const b = rand([6, 3, 12], 2);
  const c = rand([6, 1, 4], 3);
  const t = rand([5, 1, 7], 4);
  const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
  const [ours, shipped] = await bothWays(
    () => [
      tf.concat([a, b], 2),
      tf.concat([a, c, a], 1),
      tf.concat([a, a], 0),
      tf.concat([a.reshape([-1]), b.reshape([-1])]),
      tf.concat([a, tf.zeros([6, 3, 0])], 2),
      t.tile([2, 4, 1]),
      t.tile([1, 1, 3]),
      t.tile([3, 2, 2]),
      t.reshape([35]).tile([2]),
      ints.tile([2, 3]).cast("float32"),
      tf.grad((x: tf.Tensor) => tf.concat([x, x.mul(2)], 1).square().sum())(a),
      tf.grad((x: tf.Tensor) => x.tile([2, 4, 1]).mul(tf.range(0, 280).reshape([10, 4, 7])).sum())(
        t,
      ),
    ],
    uninstallWasmConcatTile,
    installWasmConcatTile,
  );
  assertClose(ours, shipped, 0, "concat/tile");
  tf.dispose([a, b, c, t, ints]);
});
