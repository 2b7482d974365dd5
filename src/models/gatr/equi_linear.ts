/**
 * GATr primitive: the Pin(3,0,1)-equivariant linear map between multivector channels (reference
 * notes §2.3). `out[..., o, :] = Σ_{i,b} W[o,i,b] · B_b x[..., i, :]` with the 9 normalised
 * basis maps B_b of `algebra.ts`.
 *
 * A grade projection keeps each component and multiplication by e0 sends e_A to e_0A, so no basis
 * map leaves the block `[1, e0, e123, e0123]`, nor any of the three blocks
 * `[e_a, e_0a, e_bc, e_0bc]` (a = 1, 2, 3), and the three act identically on theirs. In the
 * internal blade-major layout (`_layout.ts`) the map is two matMuls on the `[T, 16·C_in]` data:
 * the first block `[T, 4·C_in] × [4·C_in, 4·C_out]`, and the other three as the rows of
 * `[3·T, 4·C_in] × [4·C_in, 4·C_out]`: 64·C_in·C_out multiply-adds per item instead of the
 * 256·C_in·C_out of one dense `[16·C_in, 16·C_out]` matrix. The two block matrices are assembled
 * from the weights on every call (one matMul with a constant and one transpose).
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";
import { LINEAR_BASIS, NUM_LINEAR_BASIS } from "./algebra.ts";
import { constant } from "./_constants.ts";
import { BLADE_ORDER, fromBladeMajor, toBladeMajor } from "./_layout.ts";

/** Components per block of the internal order; block 0 is the first four, blocks 1–3 repeat. */
export const BLOCK_SIZE = 4;

/**
 * `[9, 2·16]`: basis map b's coefficient from component r to component c of block 0 (column
 * `4r + c`) and of the repeated blocks (column `16 + 4r + c`), internal order. Checks that the
 * basis maps respect the blocks.
 */
function blockSelection(): Tensor {
  return constant("linearBlocks", [NUM_LINEAR_BASIS, 32], blockSelectionValues);
}

let selection: Float32Array | undefined;

/**
 * The values of the basis table `[9, 32]` (row b: basis map b's coefficients in block 0, column
 * `4r + c`, and in the repeated blocks, column `16 + 4r + c`), computed once.
 */
export function blockSelectionValues(): Float32Array {
  if (selection) return selection;
  const coef = (b: number, pIn: number, pOut: number) =>
    LINEAR_BASIS[b * 256 + BLADE_ORDER[pOut] * 16 + BLADE_ORDER[pIn]];
  const block = (p: number) => Math.floor(p / BLOCK_SIZE);
  const m = new Float32Array(NUM_LINEAR_BASIS * 32);
  for (let b = 0; b < NUM_LINEAR_BASIS; b++) {
    for (let pIn = 0; pIn < 16; pIn++) {
      for (let pOut = 0; pOut < 16; pOut++) {
        const v = coef(b, pIn, pOut);
        const [r, c] = [pIn % BLOCK_SIZE, pOut % BLOCK_SIZE];
        const same = block(pIn) === block(pOut);
        // blocks 1–3 must act as block 1 does
        const want = !same ? 0 : block(pIn) === 0 ? v : coef(b, 4 + r, 4 + c);
        if (v !== want) throw new Error("equiLinear: basis maps do not respect the blocks");
        if (same && block(pIn) <= 1) m[b * 32 + block(pIn) * 16 + r * BLOCK_SIZE + c] = v;
      }
    }
  }
  selection = m;
  return m;
}

/**
 * The two block matrices of an equivariant linear map (internal order).
 *
 * @param w `[C_out, C_in, 9]` weights.
 * @returns `[first, repeated]`, each `[4·C_in, 4·C_out]`: row `r·C_in + i`, column `c·C_out + o`
 *   = `Σ_b W[o,i,b] B_b[c, r]` for components r, c of block 0, resp. of each repeated block.
 * @throws Error when the weights do not have 9 basis maps.
 */
export function equiLinearBlockMatrices(w: Tensor): [Tensor, Tensor] {
  const [cOut, cIn, nb] = w.shape;
  if (nb !== NUM_LINEAR_BASIS) {
    throw new Error(`equiLinear: weights need 9 basis maps, got ${nb}`);
  }
  const n = BLOCK_SIZE;
  const out = tf.tidy(() => {
    const w2 = w.reshape([cOut * cIn, nb]) as tf.Tensor2D;
    const all = tf.matMul(w2, blockSelection() as tf.Tensor2D); // [o·i, 2·4·4]
    // [o, i, block, r, c] -> [block, r, i, c, o]
    const m = all.reshape([cOut, cIn, 2, n, n]).transpose([2, 3, 1, 4, 0]);
    return tf.unstack(m.reshape([2, n * cIn, n * cOut]));
  });
  return [out[0], out[1]];
}

/**
 * The adjoint of {@link equiLinearBlockMatrices}: the weights' gradient from the gradients of the
 * two block matrices.
 *
 * @param d `[dFirst, dRepeated]`, each `[4·C_in, 4·C_out]`.
 * @param shape the weights' shape `[C_out, C_in, 9]`.
 * @returns `[C_out, C_in, 9]`.
 */
export function equiLinearBlockMatricesAdjoint(
  d: readonly [Tensor, Tensor],
  shape: readonly number[],
): Tensor {
  const [cOut, cIn, nb] = shape;
  const n = BLOCK_SIZE;
  return tf.tidy(() => {
    // [block, r, i, c, o] -> [o, i, block, r, c]
    const m = tf.stack([...d]).reshape([2, n, cIn, n, cOut]).transpose([4, 2, 0, 1, 3]);
    const sel = blockSelection() as tf.Tensor2D;
    return tf.matMul(m.reshape([cOut * cIn, 2 * n * n]) as tf.Tensor2D, sel, false, true)
      .reshape([cOut, cIn, nb]);
  });
}

/** Options of {@link applyEquiLinearBlocks}. */
export interface BlockApplyOptions {
  /** `[..., S_in]` scalars appended to block 0's inputs (its matrix has S_in more rows). */
  readonly s?: Tensor;
  /** Added to block 0's output, `[4·C_out + S_out]`. */
  readonly bias?: Tensor;
  /** Scalar outputs S_out: block 0's matrix has this many extra columns (default 0). */
  readonly outS?: number;
}

/**
 * Applies block matrices to internal-layout multivector channels: the data pass of an
 * equivariant linear map. Block 0 may carry auxiliary scalars in and out, as extra rows and
 * columns of its matrix.
 *
 * @param x `[..., 16, C_in]` multivectors, internal layout.
 * @param matrices `[first, repeated]` as from {@link equiLinearBlockMatrices}, the first optionally
 *   extended by scalar rows and columns.
 * @param options scalar inputs, bias and scalar output count.
 * @returns `mv [..., 16, C_out]` (internal layout) and, when `outS > 0`, `s [..., S_out]`.
 */
export function applyEquiLinearBlocks(
  x: Tensor,
  matrices: readonly [Tensor, Tensor],
  options: BlockApplyOptions = {},
): { mv: Tensor; s?: Tensor } {
  const out = tf.tidy(() => {
    const lead = x.shape.slice(0, -2);
    const cIn = x.shape[x.rank - 1];
    const outS = options.outS ?? 0;
    const n = BLOCK_SIZE;
    const cOut = matrices[1].shape[1]! / n;
    const [first, rest] = tf.split(x.reshape([-1, 16 * cIn]), [n * cIn, 3 * n * cIn], 1);
    let a = first;
    if (options.s) {
      a = tf.concat([a, options.s.reshape([-1, options.s.shape[options.s.rank - 1]])], 1);
    }
    let y0 = tf.matMul(a as tf.Tensor2D, matrices[0] as tf.Tensor2D); // [T, 4·C_out (+ S_out)]
    if (options.bias) y0 = y0.add(options.bias);
    const y1 = tf.matMul(rest.reshape([-1, n * cIn]) as tf.Tensor2D, matrices[1] as tf.Tensor2D); // [3T, 4·C_out]
    let s: Tensor | undefined;
    if (outS > 0) [y0, s] = tf.split(y0, [n * cOut, outS], 1);
    const res = [tf.concat([y0, y1.reshape([-1, 3 * n * cOut])], 1).reshape([...lead, 16, cOut])];
    if (s) res.push(s.reshape([...lead, outS]));
    return res;
  });
  return { mv: out[0], s: out[1] };
}

/**
 * Applies an equivariant linear map to multivector channels.
 *
 * @param x `[..., C_in, 16]` multivectors, transform under ρ.
 * @param w `[C_out, C_in, 9]` weights.
 * @returns `[..., C_out, 16]`, transform under ρ.
 *
 * @example
 * ```ts
 * import { tf } from "../../tf.ts";
 * import { equiLinear } from "./equi_linear.ts";
 * const y = equiLinear(tf.ones([5, 3, 16]), tf.ones([2, 3, 9])); // [5, 2, 16]
 * if (y.shape.join() !== "5,2,16") throw new Error();
 * ```
 */
export function equiLinear(x: Tensor, w: Tensor): Tensor {
  return tf.tidy(() =>
    fromBladeMajor(applyEquiLinearBlocks(toBladeMajor(x), equiLinearBlockMatrices(w)).mv)
  );
}
