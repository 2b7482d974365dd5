/**
 * The comparison behind the tests of GATr's bilinear kernels (`src/backend/gatr_bilinear.ts` and
 * its WGSL twin): `bilinearProductsInternal` with the kernels and composed from tfjs ops (the
 * reference, `setGatrBilinear(false)`), values and the gradients with respect to the projections,
 * the join reference and the carried rows, on the active backend. Asynchronous reads, so that it
 * runs on webgpu too.
 *
 * @module
 */
import assert from "node:assert/strict";
import { assertCloseToRms } from "./assert_close.ts";
import { tf } from "../tf.ts";
import {
  GATR_BILINEAR,
  GATR_BILINEAR_GRAD,
  GATR_BILINEAR_REF_GRAD,
  gatrBilinearAvailable,
  setGatrBilinear,
} from "../backend/gatr_bilinear.ts";
import { bilinearProductsInternal } from "../models/gatr/bilinear.ts";

/** Sizes of one case: `b` samples of `n` rows, `h` channels per product, `s` carried scalars. */
export interface BilinearCase {
  readonly b: number;
  readonly n: number;
  readonly h: number;
  readonly s: number;
}

/** The kernels one call launches, forward then backward. */
export const BILINEAR_KERNELS: readonly string[] = [
  GATR_BILINEAR,
  GATR_BILINEAR_GRAD,
  GATR_BILINEAR_REF_GRAD,
];

async function run(
  c: BilinearCase,
  [x, e123, carry, dy]: tf.Tensor[],
  fused: boolean,
): Promise<{ values: Float32Array[]; kernels: string[] }> {
  setGatrBilinear(fused);
  try {
    const f = (x: tf.Tensor, e: tf.Tensor, cr: tf.Tensor) =>
      bilinearProductsInternal(x, e, cr, c.s);
    let out: tf.Tensor[] = [];
    const info = await tf.profile(() => {
      const value = f(x, e123, carry);
      const grads = tf.grads((x: tf.Tensor, e: tf.Tensor, cr: tf.Tensor) =>
        f(x, e, cr).mul(dy).sum()
      )([x, e123, carry]);
      out = [value, ...grads];
    });
    const values = await Promise.all(out.map((v) => v.data() as Promise<Float32Array>));
    tf.dispose(out);
    return { values, kernels: info.kernelNames };
  } finally {
    setGatrBilinear("auto");
  }
}

/**
 * Asserts that the kernels run (each once) and equal the composite: the output and the gradients
 * with respect to the projections, the reference's e123 and the carried rows.
 *
 * @param tol relative tolerance (float32 sums in another order).
 */
export async function compareGatrBilinear(
  c: BilinearCase,
  seed: number,
  tol = 2e-5,
): Promise<void> {
  setGatrBilinear(true);
  try {
    assert.ok(gatrBilinearAvailable(), "the kernels are registered and used here");
  } finally {
    setGatrBilinear("auto");
  }
  const label = `B=${c.b} N=${c.n} h=${c.h} S=${c.s}`;
  tf.engine().startScope();
  try {
    const t = c.b * c.n;
    const width = c.s + 16 * 3;
    const x = [
      tf.randomNormal([t, 64 * c.h], 0, 1, "float32", seed),
      tf.randomNormal([c.b, 1], 0, 1, "float32", seed + 1),
      tf.randomNormal([t, width], 0, 1, "float32", seed + 2),
      tf.randomNormal([t, c.s + 32 * c.h], 0, 1, "float32", seed + 3),
    ];
    const fused = await run(c, x, true);
    const composite = await run(c, x, false);
    assert.deepEqual(
      fused.kernels.filter((k) => k.startsWith("RemulGatrBilinear")),
      BILINEAR_KERNELS,
      `${label}: one launch of each kernel`,
    );
    assert.ok(
      !composite.kernels.some((k) => k.startsWith("RemulGatrBilinear")),
      `${label}: composed`,
    );
    for (const [i, what] of ["value", "d x", "d e123", "d carry"].entries()) {
      assertCloseToRms(fused.values[i], composite.values[i], `${label}: ${what}`, tol);
    }
  } finally {
    tf.engine().endScope();
  }
}

/** The cases both tests run: GATr small on N-body, batch 1, odd sizes, no carried scalars. */
export const BILINEAR_CASES: readonly BilinearCase[] = [
  { b: 8, n: 5, h: 4, s: 32 }, // GATr small on N-body (hidden 8 mv channels, 2 products)
  { b: 1, n: 31, h: 3, s: 5 },
  { b: 3, n: 1, h: 1, s: 0 },
  { b: 2, n: 7, h: 5, s: 1 },
];
