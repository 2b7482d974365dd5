/**
 * The comparison behind the tests of GATr's row kernels (`src/backend/gatr_rows.ts` and its WGSL
 * twin): the pre-norm and the MLP nonlinearity on packed rows, with the kernels and composed from
 * tfjs ops (the model's reference form, `setGatrRows(false)`), values and input gradients, on the
 * active backend. Asynchronous reads, so that it runs on webgpu too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertCloseToRms } from "./assert_close.ts";
import { tf } from "../tf.ts";
import { GATR_GATE, GATR_NORM, gatrRowsAvailable, setGatrRows } from "../backend/gatr_rows.ts";
import { normalizeInternal } from "../models/gatr/normalization.ts";
import { mlpNonlinearityInternal } from "../models/gatr/nonlinearity.ts";

/** Sizes of one case: `t` rows of `s` scalars and `c` multivector channels. */
export interface RowCase {
  readonly t: number;
  readonly s: number;
  readonly c: number;
}

/** Rows of growing scale (some below the norm's clamp), and a cotangent. */
function inputs({ t, s, c }: RowCase, seed: number): [tf.Tensor, tf.Tensor] {
  const w = s + 16 * c;
  const scale = t > 1 ? tf.linspace(0.002, 3, t).reshape([t, 1]) : tf.ones([t, 1]);
  return [
    tf.randomNormal([t, w], 0, 1, "float32", seed).mul(scale),
    tf.randomNormal([t, w], 0, 1, "float32", seed + 1),
  ];
}

/** The value and `d(sum(y·dy))/dx` of `f` at `x`, with the kernels on or off. */
async function run(
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  dy: tf.Tensor,
  fused: boolean,
): Promise<{ value: Float32Array; grad: Float32Array; kernels: string[] }> {
  setGatrRows(fused);
  try {
    let value: tf.Tensor | undefined;
    let grad: tf.Tensor | undefined;
    const info = await tf.profile(() => {
      value = f(x);
      grad = tf.grad(f)(x, dy); // no Sum: tfjs-webgpu's fails on an empty input
    });
    const out = {
      value: await value!.data() as Float32Array,
      grad: await grad!.data() as Float32Array,
      kernels: info.kernelNames,
    };
    assert.deepEqual(value!.shape, x.shape);
    assert.deepEqual(grad!.shape, x.shape);
    tf.dispose([value!, grad!]);
    return out;
  } finally {
    setGatrRows(true);
  }
}

/**
 * Asserts that the kernels run (one each way) and equal the composite, values and gradients, for
 * the pre-norm (eps 0.01) and the nonlinearity on one case.
 *
 * @param tol relative tolerance (float32 sums in another order; the composite's `erf` and the
 *   kernels' are the same formula).
 */
export async function compareGatrRows(rc: RowCase, seed: number, tol = 2e-5): Promise<void> {
  assert.ok(gatrRowsAvailable(), "the row kernels are registered");
  const label = `T=${rc.t} S=${rc.s} C=${rc.c}`;
  tf.engine().startScope();
  try {
    const [x, dy] = inputs(rc, seed);
    const ops: [string, string, (x: tf.Tensor) => tf.Tensor][] = [
      [GATR_NORM, "norm", (v) => normalizeInternal(v, rc.s)],
      [GATR_GATE, "gate", (v) => mlpNonlinearityInternal(v, rc.s)],
    ];
    for (const [kernel, name, f] of ops) {
      const fused = await run(f, x, dy, true);
      const composite = await run(f, x, dy, false);
      if (rc.t > 0) {
        assert.deepEqual(
          fused.kernels.filter((k) => k.startsWith(kernel)),
          [kernel, `${kernel}Grad`],
          `${label}: ${name} runs one kernel each way`,
        );
      }
      assert.ok(!composite.kernels.some((k) => k.startsWith(kernel)), `${label}: composed`);
      assertCloseToRms(fused.value, composite.value, `${label}: ${name} value`, tol);
      assertCloseToRms(fused.grad, composite.grad, `${label}: ${name} gradient`, tol);
    }
  } finally {
    tf.engine().endScope();
  }
}

/** The cases both tests run: GATr's block width, odd sizes, one row, one channel, no rows. */
export const ROW_CASES: readonly RowCase[] = [
  { t: 40, s: 32, c: 8 }, // GATr small on N-body: batch 8 × 5 items
  { t: 13, s: 5, c: 3 },
  { t: 1, s: 7, c: 1 },
  { t: 9, s: 1, c: 5 },
  { t: 67, s: 3, c: 70 }, // a row wider than a workgroup
  { t: 0, s: 4, c: 2 },
];
