/**
 * Test helper: how far a function of fields is from E(3)-equivariance for one given group
 * element. Used by every equivariant model's tests at primitive, layer and model level.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import type { FieldKind, FieldSpec } from "../symmetry/field.ts";
import { type Fields, rotate, rotateFields, translateFields } from "../symmetry/group_action.ts";

/** One group element: a rotation or reflection matrix (row-major, 9 numbers) and a shift. */
export interface GroupElement {
  readonly matrix: readonly number[];
  readonly shift?: readonly number[];
}

/**
 * Relative equivariance gap ‖f(g·x) − g·f(x)‖ / ‖f(x)‖ for a batch of inputs.
 *
 * @param f the function under test; returns `[B, ..., 3]` (vector/position) or any shape (scalar).
 * @param fields inputs `[B, ...]`.
 * @param specs how each input field transforms.
 * @param outputKind how the output transforms.
 * @param g the group element applied to every sample.
 */
export function equivarianceGap(
  f: (x: Fields) => Tensor,
  fields: Fields,
  specs: readonly FieldSpec[],
  outputKind: FieldKind,
  g: GroupElement,
): number {
  return tf.tidy(() => {
    const [num, den] = gapNorms(f, fields, specs, outputKind, g);
    return num.dataSync()[0] / Math.max(den.dataSync()[0], 1e-12);
  });
}

/**
 * {@linkcode equivarianceGap} read back asynchronously, for backends without synchronous reads
 * (tfjs-webgpu in Deno).
 *
 * @returns the relative gap, as {@linkcode equivarianceGap}.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { equivarianceGapAsync, TEST_ELEMENTS } from "./equivariance.ts";
 * const pos = tf.tensor3d([[[1, 2, 3], [0, 1, 0]]]); // [B = 1, 2 points, 3]
 * const specs = [{ name: "pos", kind: "position" as const, shape: [2, 3] }];
 * const gap = await equivarianceGapAsync((x) => x.pos.mean(1, true), { pos }, specs, "position",
 *   TEST_ELEMENTS.rotoreflection);
 * if (gap > 1e-6) throw new Error(`the centroid is equivariant: ${gap}`);
 * ```
 */
export async function equivarianceGapAsync(
  f: (x: Fields) => Tensor,
  fields: Fields,
  specs: readonly FieldSpec[],
  outputKind: FieldKind,
  g: GroupElement,
): Promise<number> {
  const norms = tf.tidy(() => gapNorms(f, fields, specs, outputKind, g));
  const [num, den] = await Promise.all(norms.map((t) => t.data()));
  tf.dispose(norms);
  return num[0] / Math.max(den[0], 1e-12);
}

/** `[‖f(g·x) − g·f(x)‖, ‖f(x)‖]` as scalars; call inside `tf.tidy`. */
function gapNorms(
  f: (x: Fields) => Tensor,
  fields: Fields,
  specs: readonly FieldSpec[],
  outputKind: FieldKind,
  g: GroupElement,
): [Tensor, Tensor] {
  const b = fields[specs[0].name].shape[0];
  const r = tf.tensor(Array(b).fill(g.matrix).flat(), [b, 3, 3]);
  const t = tf.tensor(Array(b).fill(g.shift ?? [0, 0, 0]).flat(), [b, 3]);
  const gx = translateFields(rotateFields(fields, specs, r), specs, t);
  const y = f(fields);
  const ygx = f(gx);
  let gy = y;
  if (outputKind !== "scalar") gy = rotate(y, r);
  if (outputKind === "position") {
    gy = gy.add(t.reshape([b, ...y.shape.slice(1, -1).map(() => 1), 3]));
  }
  return [ygx.sub(gy).norm(), y.norm()];
}

/** A fixed rotation (about an oblique axis), a reflection, and a rotoreflection for tests. */
export const TEST_ELEMENTS: Record<string, GroupElement> = {
  rotation: {
    matrix: [
      0.36,
      0.48,
      -0.8,
      -0.8,
      0.6,
      0,
      0.48,
      0.64,
      0.6,
    ],
  },
  reflection: { matrix: [1, 0, 0, 0, 1, 0, 0, 0, -1] },
  rotoreflection: {
    matrix: [
      0.36,
      0.48,
      0.8,
      -0.8,
      0.6,
      0,
      0.48,
      0.64,
      -0.6,
    ],
    shift: [0.3, -0.2, 0.5],
  },
  translation: { matrix: [1, 0, 0, 0, 1, 0, 0, 0, 1], shift: [0.7, -1.1, 0.4] },
}; // deno-fmt-ignore
