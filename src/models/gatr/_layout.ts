/**
 * Private to the GATr folder: the internal layout of multivector channels.
 *
 * The public functions take multivectors as `[..., C, 16]` (channel-major, GATr's component
 * order). Inside the network they travel blade-major, `[..., 16, C]`, with the components in
 * {@link BLADE_ORDER}: first the four that the equivariant linear maps only mix among themselves
 * and with the scalars (1, e0, e123, e0123), then three blocks of four, one per vector index a
 * (e_a, e_0a, the bivector e_bc, the trivector e_0bc), which the linear maps all treat alike. So
 * an equivariant linear map is two matMuls on the `[T, 16·C]` data: the first `4·C` columns, and
 * the other `12·C` columns read as `[3·T, 4·C]` (`equi_linear.ts`). The gate of the nonlinearity
 * (component 1) and the norm are column blocks too. The bilinear products and attention work per
 * multivector, on `[..., C, 16]` in the internal order (a transpose of the last two axes each way,
 * with their constant tables permuted to match).
 *
 * Between layers the network carries packed rows `[T, S + 16·C]`: the S auxiliary scalars, then
 * the multivectors. The scalars sit right before block 0, the part of the multivectors they
 * interact with, so a linear map's first matMul reads one contiguous block of columns.
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { BLADE_NAMES } from "./algebra.ts";
import { constant, matmulLast } from "./_constants.ts";

/**
 * GATr component index of each internal position: `1, e0, e123, e0123`, then for a = 1, 2, 3:
 * `e_a, e0a, e_bc, e0bc` with (a, bc) = (1, 12), (2, 13), (3, 23).
 */
export const BLADE_ORDER: readonly number[] = [
  "1",
  "e0",
  "e123",
  "e0123",
  "e1",
  "e01",
  "e12",
  "e012",
  "e2",
  "e02",
  "e13",
  "e013",
  "e3",
  "e03",
  "e23",
  "e023",
].map((name) => BLADE_NAMES.indexOf(name)); // deno-fmt-ignore

/** Internal position of each GATr component index (inverse of {@link BLADE_ORDER}). */
export const BLADE_POSITION: readonly number[] = (() => {
  const p = new Array<number>(16);
  BLADE_ORDER.forEach((g, i) => (p[g] = i));
  return p;
})();

/** `[16, 16]`: GATr order → internal order (`x_internal = x_gatr · P`), or back (`Pᵀ`). */
function orderMatrix(inverse: boolean): Tensor {
  return constant(`bladeOrder:${inverse}`, [16, 16], () => {
    const m = new Float32Array(256);
    BLADE_ORDER.forEach((g, p) => (m[inverse ? p * 16 + g : g * 16 + p] = 1));
    return m;
  });
}

function swapLastAxes(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return x.transpose(perm);
}

/**
 * Public layout to the internal one.
 *
 * @param x `[..., C, 16]`, GATr's component order.
 * @returns `[..., 16, C]`, internal order.
 */
export function toBladeMajor(x: Tensor): Tensor {
  return tf.tidy(() => swapLastAxes(matmulLast(x, orderMatrix(false))));
}

/**
 * Internal layout to the public one.
 *
 * @param x `[..., 16, C]`, internal order.
 * @returns `[..., C, 16]`, GATr's component order.
 */
export function fromBladeMajor(x: Tensor): Tensor {
  return tf.tidy(() => matmulLast(swapLastAxes(x), orderMatrix(true)));
}

/**
 * Packs public-layout multivectors and scalars into internal rows.
 *
 * @param mv `[..., C, 16]`, GATr's component order.
 * @param s `[..., S]` (absent: S = 0).
 * @returns `[T, S + 16·C]`, T the product of the leading axes.
 */
export function packRows(mv: Tensor, s?: Tensor): Tensor {
  return tf.tidy(() => {
    const c = mv.shape[mv.rank - 2];
    const x = toBladeMajor(mv).reshape([-1, 16 * c]);
    return s ? tf.concat([s.reshape([x.shape[0], -1]), x], 1) : x;
  });
}

/**
 * Splits internal rows into public-layout multivectors and scalars.
 *
 * @param rows `[T, S + 16·C]`
 * @param sChannels S.
 * @param lead the leading axes of the result, their product T.
 * @returns `mv [...lead, C, 16]` and, when S > 0, `s [...lead, S]`.
 */
export function unpackRows(
  rows: Tensor,
  sChannels: number,
  lead: readonly number[],
): { mv: Tensor; s?: Tensor } {
  const out = tf.tidy(() => {
    const c = (rows.shape[1]! - sChannels) / 16;
    const [s, x] = sChannels > 0 ? tf.split(rows, [sChannels, 16 * c], 1) : [undefined, rows];
    const mv = fromBladeMajor(x.reshape([...lead, 16, c]));
    return s ? [mv, s.reshape([...lead, sChannels])] : [mv];
  });
  return { mv: out[0], s: out[1] };
}
