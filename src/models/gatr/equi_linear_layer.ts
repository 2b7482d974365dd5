/**
 * GATr layer: `EquiLinear` with auxiliary scalar channels (reference notes §2.3,
 * `gatr/layers/linear.py`).
 *
 * - multivectors → multivectors: the 9-basis equivariant map, weights `[C_out, C_in, 9]`;
 * - scalars → multivectors: a dense map with bias, added to component 0 only;
 * - multivectors → scalars: a dense map with bias on component 0 of the input multivectors;
 * - scalars → scalars: a dense map without bias;
 * - without scalar inputs, a separate bias on component 0 (biases elsewhere break equivariance).
 *
 * The multivector map runs as two matMuls (`equi_linear.ts`); the scalar paths only touch
 * component 0, so they join the first block's matrix as extra rows and columns. Several
 * layers that read the same input (queries, keys and values; the four bilinear projections) are
 * stored as one fused layer with one set of variables ({@link createEquiLinearParts}): fewer
 * variables means fewer optimiser kernels.
 *
 * Initialisation follows the reference: per-basis-map uniform bounds
 * `factor_b · f / √C_in` with `factor = √[1, 4, 6, 2, 0.5, 0.5, 1.5, 1.5, 0.5]` and `f` = 1
 * ("default"), 0.1 ("small"), 0.5 ("almost_unit_scalar", whose scalar bias is centred at 1);
 * paths that share an output each get half the variance.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../../tf.ts";
import type { DenseParams } from "../nn.ts";
import type { ParamFactory } from "../params.ts";
import { NUM_LINEAR_BASIS } from "./algebra.ts";
import {
  BLOCK_SIZE,
  blockSelectionValues,
  equiLinearBlockMatrices,
  equiLinearBlockMatricesAdjoint,
} from "./equi_linear.ts";
import { customOp } from "./_custom_op.ts";
import { blockLinear, blockLinearAvailable, blockLinearGrad } from "../../backend/block_linear.ts";
import {
  sparseLinear,
  sparseLinearAdjoint,
  sparseLinearAvailable,
  type SparseLinearPlan,
  SparseLinearPlanBuilder,
} from "../../backend/sparse_linear.ts";
import { packRows, unpackRows } from "./_layout.ts";

/** Initialisation schemes of the reference `EquiLinear`. */
export type EquiLinearInit = "default" | "small" | "almost_unit_scalar";

/** Channel numbers of an `EquiLinear`; 0 scalar channels means no scalars on that side. */
export interface EquiLinearDims {
  readonly inMv: number;
  readonly outMv: number;
  readonly inS: number;
  readonly outS: number;
}

/** Parameters of an `EquiLinear`. */
export interface EquiLinearParams {
  readonly dims: EquiLinearDims;
  /** Output blocks (one for a plain layer), see {@link createEquiLinearParts}. */
  readonly parts: readonly EquiLinearPart[];
  /** `[C_out, C_in, 9]` multivector weights. */
  readonly w: Variable;
  /** `[C_out]` bias on component 0, only without scalar inputs. */
  readonly bias?: Variable;
  /** scalars → component 0: `w [S_in, C_out]`, `b [C_out]`. */
  readonly s2mv?: DenseParams;
  /** component 0 → scalars: `w [C_in, S_out]`, `b [S_out]`. */
  readonly mv2s?: DenseParams;
  /** scalars → scalars: `w [S_in, S_out]`, no bias. */
  readonly s2s?: DenseParams;
}

/** Output of an `EquiLinear`. */
export interface MvAndScalars {
  /** `[..., C, 16]` multivectors. */
  readonly mv: Tensor;
  /** `[..., S]` auxiliary scalars, absent when the layer has none. */
  readonly s?: Tensor;
}

const COMPONENT_FACTORS = [1, 4, 6, 2, 0.5, 0.5, 1.5, 1.5, 0.5].map(Math.sqrt);

/**
 * Number of parameters of an `EquiLinear`.
 *
 * @param d channel numbers.
 * @returns `C_out·C_in·9` + scalar paths + biases.
 */
export function equiLinearParamCount(d: EquiLinearDims): number {
  let n = d.outMv * d.inMv * NUM_LINEAR_BASIS;
  n += d.inS > 0 ? d.inS * d.outMv + d.outMv : d.outMv;
  if (d.outS > 0) n += d.inMv * d.outS + d.outS;
  if (d.inS > 0 && d.outS > 0) n += d.inS * d.outS;
  return n;
}

/** One output block of a fused `EquiLinear`: its channels and its initialisation. */
export interface EquiLinearPart {
  readonly outMv: number;
  readonly outS: number;
  readonly init?: EquiLinearInit;
}

/**
 * Creates the parameters of an `EquiLinear`, seeded through `p`.
 *
 * @param p parameter factory (host-side seeded init).
 * @param name variable name prefix.
 * @param dims channel numbers.
 * @param init initialisation scheme.
 * @returns parameters; their variables are registered in `p`.
 */
export function createEquiLinear(
  p: ParamFactory,
  name: string,
  dims: EquiLinearDims,
  init: EquiLinearInit = "default",
): EquiLinearParams {
  return createEquiLinearParts(p, name, dims, [{ outMv: dims.outMv, outS: dims.outS, init }]);
}

/**
 * Creates one `EquiLinear` whose outputs are the concatenation of several independent layers
 * that read the same input (e.g. queries, keys and values). Each part is initialised exactly as
 * a separate layer would be; the result has the same parameter count as the separate layers but
 * one set of variables and one data pass. Split the output with {@link equiLinearParts}.
 *
 * @param p parameter factory.
 * @param name variable name prefix.
 * @param input input channels (`inMv`, `inS`; `outMv`/`outS` are ignored).
 * @param parts output blocks, in order.
 * @returns parameters with `dims.outMv = Σ outMv`, `dims.outS = Σ outS` and `parts` recorded.
 */
export function createEquiLinearParts(
  p: ParamFactory,
  name: string,
  input: Pick<EquiLinearDims, "inMv" | "inS">,
  parts: readonly EquiLinearPart[],
): EquiLinearParams {
  const { inMv, inS } = input;
  const outMv = parts.reduce((a, q) => a + q.outMv, 0);
  const outS = parts.reduce((a, q) => a + q.outS, 0);
  const dims = { inMv, outMv, inS, outS };
  const factors = (init: EquiLinearInit = "default") => ({
    mv: init === "default" ? 1 : init === "small" ? 0.1 : 0.5,
    s: init === "small" ? 0.1 : 1,
    biasShift: init === "almost_unit_scalar" ? 1 : 0,
  });
  const r = p.rng;
  // mv → mv, [C_out, C_in, 9], parts stacked along C_out
  const wv = new Float32Array(outMv * inMv * NUM_LINEAR_BASIS);
  let k = 0;
  for (const part of parts) {
    const f = factors(part.init);
    const bound = f.mv / Math.sqrt(inMv);
    const halve = inS > 0 ? Math.SQRT1_2 : 1; // mv and scalar inputs share component 0
    for (let n = 0; n < part.outMv * inMv * NUM_LINEAR_BASIS; n++, k++) {
      const b = k % NUM_LINEAR_BASIS;
      const bb = COMPONENT_FACTORS[b] * bound * (b === 0 ? halve : 1);
      wv[k] = r.uniform(-bb, bb);
    }
  }
  const w = p.fromValues(`${name}.w`, [outMv, inMv, NUM_LINEAR_BASIS], wv);
  /** Fills a `[rows, Σ cols(part)]` matrix part by part (columns per part). */
  const byColumns = (
    rows: number,
    cols: (q: EquiLinearPart) => number,
    bound: (q: EquiLinearPart) => [number, number],
  ) => {
    const total = parts.reduce((a, q) => a + cols(q), 0);
    const m = new Float32Array(rows * total);
    let c0 = 0;
    for (const part of parts) {
      const [lo, hi] = bound(part);
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < cols(part); c++) m[i * total + c0 + c] = r.uniform(lo, hi);
      }
      c0 += cols(part);
    }
    return m;
  };
  let bias: Variable | undefined;
  let s2mv: DenseParams | undefined;
  if (inS > 0) {
    const bw = (q: EquiLinearPart) => {
      const b = (COMPONENT_FACTORS[0] * factors(q.init).mv) / Math.sqrt(inS) * Math.SQRT1_2;
      return [-b, b] as [number, number];
    };
    const bb = COMPONENT_FACTORS[0] / Math.sqrt(inS + inMv);
    const shifted = (q: EquiLinearPart) => {
      const c = factors(q.init).biasShift;
      return [c - bb, c + bb] as [number, number];
    };
    s2mv = {
      w: p.fromValues(`${name}.s2mv.w`, [inS, outMv], byColumns(inS, (q) => q.outMv, bw)),
      b: p.fromValues(`${name}.s2mv.b`, [outMv], byColumns(1, (q) => q.outMv, shifted)),
    };
  } else {
    bias = p.constant(`${name}.bias`, [outMv], 0);
  }
  let mv2s: DenseParams | undefined;
  let s2s: DenseParams | undefined;
  if (outS > 0) {
    const paths = inS > 0 ? 2 : 1; // mv → s and s → s share the scalar outputs
    const sym = (b: number) => [-b, b] as [number, number];
    if (inS > 0) {
      const b = (q: EquiLinearPart) => sym(factors(q.init).s / Math.sqrt(inS * paths));
      s2s = { w: p.fromValues(`${name}.s2s.w`, [inS, outS], byColumns(inS, (q) => q.outS, b)) };
    }
    const bw = (q: EquiLinearPart) => sym(factors(q.init).s / Math.sqrt(inMv * paths));
    const bb = (q: EquiLinearPart) =>
      sym(factors(q.init).s / Math.sqrt(inMv + (inS > 0 ? inS : 0)));
    mv2s = {
      w: p.fromValues(`${name}.mv2s.w`, [inMv, outS], byColumns(inMv, (q) => q.outS, bw)),
      b: p.fromValues(`${name}.mv2s.b`, [outS], byColumns(1, (q) => q.outS, bb)),
    };
  }
  return { dims, parts, w, bias, s2mv, mv2s, s2s };
}

/** The variables of an `EquiLinear`, in a fixed order. */
export function equiLinearVariables(l: EquiLinearParams): Variable[] {
  return [l.w, l.bias, l.s2mv?.w, l.s2mv?.b, l.mv2s?.w, l.mv2s?.b, l.s2s?.w].filter(
    (v): v is Variable => v !== undefined,
  );
}

/**
 * The block matrices and bias of an `EquiLinear` (see `equi_linear.ts`), the first block
 * (`1, e0, e123, e0123`) extended by the scalar paths, in the order of packed internal rows
 * (`_layout.ts`): scalars first.
 *
 * @param l parameters.
 * @returns `matrices`: `[S_in + 4·C_in, S_out + 4·C_out]` (rows: the input scalars, then the input
 *   channels' four components of block 0, component-major; columns likewise for the outputs) and
 *   `[4·C_in, 4·C_out]` for the repeated blocks; `bias [S_out + 4·C_out]`, non-zero only on the
 *   scalars and on component 1.
 */
export function equiLinearLayerMatrices(l: EquiLinearParams): {
  matrices: [Tensor, Tensor];
  bias: Tensor;
} {
  const res = tf.tidy(() => {
    const { inMv, outMv, inS, outS } = l.dims;
    const rest = BLOCK_SIZE - 1;
    let [first, repeated] = equiLinearBlockMatrices(l.w); // [4·C_in, 4·C_out] each
    if (outS > 0) {
      // component 1 → scalars: from the first C_in rows of block 0
      first = tf.concat([l.mv2s!.w.pad([[0, rest * inMv], [0, 0]]), first], 1);
    }
    if (inS > 0) {
      // scalars → component 1: into the first C_out columns of block 0
      const toMv = l.s2mv!.w.pad([[0, 0], [0, rest * outMv]]);
      first = tf.concat([outS > 0 ? tf.concat([l.s2s!.w, toMv], 1) : toMv, first], 0);
    }
    let bias = (l.s2mv ? l.s2mv.b! : l.bias!).pad([[0, rest * outMv]]);
    if (outS > 0) bias = tf.concat([l.mv2s!.b!, bias], 0);
    return [bias, first, repeated];
  });
  return { bias: res[0], matrices: [res[1], res[2]] };
}

const plans = new WeakMap<EquiLinearParams, SparseLinearPlan>();

/**
 * {@link equiLinearLayerMatrices} as a sparse linear map of the layer's variables (in
 * {@link equiLinearVariables} order) to `[m0, m1, bias]`, built once per layer: the basis maps'
 * coefficients placed at their block positions, and the scalar paths copied to theirs.
 */
function assemblyPlan(l: EquiLinearParams): SparseLinearPlan {
  const cached = plans.get(l);
  if (cached) return cached;
  const { inMv, outMv, inS, outS } = l.dims;
  const n = BLOCK_SIZE;
  const vars = equiLinearVariables(l);
  const cols0 = outS + n * outMv;
  const builder = new SparseLinearPlanBuilder(vars.map((v) => v.shape), [
    [inS + n * inMv, cols0],
    [n * inMv, n * outMv],
    [cols0],
  ]);
  const sel = blockSelectionValues();
  for (let o = 0; o < outMv; o++) {
    for (let i = 0; i < inMv; i++) {
      for (let b = 0; b < NUM_LINEAR_BASIS; b++) {
        for (let blk = 0; blk < 2; blk++) {
          for (let r = 0; r < n; r++) {
            for (let c = 0; c < n; c++) {
              const v = sel[b * 32 + blk * 16 + r * n + c];
              if (v === 0) continue;
              const [row, col, width] = blk === 0
                ? [inS + r * inMv + i, outS + c * outMv + o, cols0]
                : [r * inMv + i, c * outMv + o, n * outMv];
              builder.add(blk, row * width + col, 0, (o * inMv + i) * NUM_LINEAR_BASIS + b, v);
            }
          }
        }
      }
    }
  }
  const at = (v: Variable | undefined) => vars.indexOf(v!);
  if (l.bias) { for (let o = 0; o < outMv; o++) builder.add(2, outS + o, at(l.bias), o); }
  if (l.s2mv) {
    for (let s = 0; s < inS; s++) {
      for (let o = 0; o < outMv; o++) {
        builder.add(0, s * cols0 + outS + o, at(l.s2mv.w as Variable), s * outMv + o);
      }
    }
    for (let o = 0; o < outMv; o++) builder.add(2, outS + o, at(l.s2mv.b as Variable), o);
  }
  if (l.mv2s) {
    for (let i = 0; i < inMv; i++) {
      for (let j = 0; j < outS; j++) {
        builder.add(0, (inS + i) * cols0 + j, at(l.mv2s.w as Variable), i * outS + j);
      }
    }
    for (let j = 0; j < outS; j++) builder.add(2, j, at(l.mv2s.b as Variable), j);
  }
  if (l.s2s) {
    for (let s = 0; s < inS; s++) {
      for (let j = 0; j < outS; j++) {
        builder.add(0, s * cols0 + j, at(l.s2s.w as Variable), s * outS + j);
      }
    }
  }
  const plan = builder.build();
  plans.set(l, plan);
  return plan;
}

function checkInputs(l: EquiLinearParams, inMv: number, s?: Tensor): void {
  if (inMv !== l.dims.inMv) {
    throw new Error(`EquiLinear: expected ${l.dims.inMv} input multivector channels, got ${inMv}`);
  }
  const { inS } = l.dims;
  if (inS > 0 && (!s || s.shape[s.rank - 1] !== inS)) {
    throw new Error(`EquiLinear: expected ${inS} input scalar channels, got [${s?.shape}]`);
  }
}

/**
 * Applies an `EquiLinear` to packed internal rows (`_layout.ts`): two matMuls (see
 * `equi_linear.ts`), the scalars and block 0 being one contiguous block of columns, as one op with
 * a hand-written gradient (`_custom_op.ts`).
 *
 * @param l parameters.
 * @param x `[T, S_in + 16·C_in]`: invariant scalars, then multivectors in the internal layout
 *   (transform under ρ).
 * @returns `[T, S_out + 16·C_out]`: invariant scalars, then equivariant multivectors.
 * @throws Error when the input width does not match.
 */
export function equiLinearInternal(l: EquiLinearParams, x: Tensor): Tensor {
  const { inMv: cIn, outMv: cOut, inS, outS } = l.dims;
  if (x.rank !== 2 || x.shape[1] !== inS + 16 * cIn) {
    throw new Error(
      `EquiLinear: expected rows of ${inS} scalars and ${cIn} multivectors, got [${x.shape}]`,
    );
  }
  const n = BLOCK_SIZE;
  const [w0In, w0Out] = [inS + n * cIn, outS + n * cOut]; // scalars and block 0
  return customOp("GatrEquiLinear", [x, ...equiLinearVariables(l)], ([x], save) => {
    const t = x.shape[0];
    // the weights' assembly: one sparse kernel each way where the backend has it
    const plan = sparseLinearAvailable() ? assemblyPlan(l) : undefined;
    const { matrices: [m0, m1], bias } = plan
      ? (([m0, m1, bias]) => ({ matrices: [m0, m1], bias }))(
        sparseLinear(equiLinearVariables(l), plan),
      )
      : equiLinearLayerMatrices(l);
    const parameterGrads = (dm0: Tensor, dm1: Tensor, dBias: Tensor) =>
      plan
        ? sparseLinearAdjoint([dm0, dm1, dBias], plan)
        : equiLinearParameterGrads(l, dm0, dm1, dBias);
    if (blockLinearAvailable()) {
      // the same two products, in place on the packed rows (no split or concat)
      save([x, m0, m1]);
      return {
        value: blockLinear(x, m0, m1, bias, 3),
        gradient(dy, [x, m0, m1]) {
          const [dx, dm0, dm1, dBias] = blockLinearGrad(x, m0, m1, dy, 3);
          return [dx, ...parameterGrads(dm0, dm1, dBias)];
        },
      };
    }
    const [a0, x1] = tf.split(x, [w0In, 3 * n * cIn], 1);
    const x1r = x1.reshape([3 * t, n * cIn]); // the three repeated blocks as rows
    const y0 = tf.matMul(a0 as tf.Tensor2D, m0 as tf.Tensor2D).add(bias);
    const y1 = tf.matMul(x1r as tf.Tensor2D, m1 as tf.Tensor2D).reshape([t, 3 * n * cOut]);
    save([a0, x1r, m0, m1]);
    return {
      value: tf.concat([y0, y1], 1),
      gradient(dy, [a0, x1r, m0, m1]) {
        const [dy0, dy1] = tf.split(dy, [w0Out, 3 * n * cOut], 1);
        const dy1r = dy1.reshape([3 * t, n * cOut]);
        const da0 = tf.matMul(dy0 as tf.Tensor2D, m0 as tf.Tensor2D, false, true);
        const dx1 = tf.matMul(dy1r as tf.Tensor2D, m1 as tf.Tensor2D, false, true);
        const grads = [tf.concat([da0, dx1.reshape([t, 3 * n * cIn])], 1)];
        // the matrices, then the adjoint of their assembly (equiLinearLayerMatrices)
        const dm0 = tf.matMul(a0 as tf.Tensor2D, dy0 as tf.Tensor2D, true, false);
        const dm1 = tf.matMul(x1r as tf.Tensor2D, dy1r as tf.Tensor2D, true, false);
        const dBias = dy0.sum(0); // [S_out + 4·C_out]
        return [...grads, ...parameterGrads(dm0, dm1, dBias)];
      },
    };
  });
}

/**
 * The gradients of an `EquiLinear`'s variables (in {@link equiLinearVariables} order) from those
 * of its two block matrices and its bias: the adjoint of {@link equiLinearLayerMatrices}.
 */
function equiLinearParameterGrads(
  l: EquiLinearParams,
  dm0: Tensor,
  dm1: Tensor,
  dBias: Tensor,
): Tensor[] {
  const { inMv: cIn, outMv: cOut, inS, outS } = l.dims;
  const n = BLOCK_SIZE;
  const dm0mv = inS > 0 || outS > 0 ? dm0.slice([inS, outS], [n * cIn, n * cOut]) : dm0;
  const grads = [equiLinearBlockMatricesAdjoint([dm0mv, dm1], l.w.shape)];
  const dBiasMv = dBias.slice([outS], [cOut]);
  if (inS > 0) {
    grads.push(dm0.slice([0, outS], [inS, cOut]), dBiasMv); // s2mv.w, s2mv.b
  } else {
    grads.push(dBiasMv); // bias
  }
  if (outS > 0) {
    grads.push(dm0.slice([inS, 0], [cIn, outS]), dBias.slice([0], [outS])); // mv2s.w, .b
    if (inS > 0) grads.push(dm0.slice([0, 0], [inS, outS])); // s2s.w
  }
  return grads;
}

/**
 * Applies an `EquiLinear`.
 *
 * @param l parameters.
 * @param mv `[..., C_in, 16]` multivectors, transform under ρ.
 * @param s `[..., S_in]` scalars (required when `S_in > 0`), invariant.
 * @returns `mv [..., C_out, 16]` (equivariant), `s [..., S_out]` (invariant; absent when
 *   `S_out = 0`).
 * @throws Error when the input channels do not match.
 */
export function equiLinearLayer(l: EquiLinearParams, mv: Tensor, s?: Tensor): MvAndScalars {
  checkInputs(l, mv.shape[mv.rank - 2], s);
  const out = tf.tidy(() => {
    const rows = equiLinearInternal(l, packRows(mv, l.dims.inS > 0 ? s : undefined));
    const y = unpackRows(rows, l.dims.outS, mv.shape.slice(0, -2));
    return y.s ? [y.mv, y.s] : [y.mv];
  });
  return { mv: out[0], s: out[1] };
}

/**
 * Splits the output of a fused `EquiLinear` into its parts; call inside `tf.tidy`.
 *
 * @param l parameters made by {@link createEquiLinearParts}.
 * @param y its output, multivectors channel-major `[..., C_out, 16]`.
 * @returns one `{ mv [..., outMv, 16], s? [..., outS] }` per part, in order.
 */
export function splitEquiLinearParts(l: EquiLinearParams, y: MvAndScalars): MvAndScalars[] {
  const lead = y.mv.shape.slice(0, -2);
  // split as matrices: contiguous runs, one kernel each for the multivectors and the scalars
  const mvParts = tf.split(
    y.mv.reshape([-1, l.dims.outMv * 16]),
    l.parts.map((q) => q.outMv * 16),
    1,
  ).map((t, k) => t.reshape([...lead, l.parts[k].outMv, 16]));
  const withS = l.parts.filter((q) => q.outS > 0);
  const sParts = withS.length <= 1 ? (y.s ? [y.s] : []) : tf.split(
    y.s!.reshape([-1, l.dims.outS]),
    withS.map((q) => q.outS),
    1,
  ).map((t, k) => t.reshape([...lead, withS[k].outS]));
  let k = 0;
  return l.parts.map((q, i) => ({ mv: mvParts[i], s: q.outS > 0 ? sParts[k++] : undefined }));
}

/**
 * Applies a fused `EquiLinear` and splits its output into its parts.
 *
 * @param l parameters made by {@link createEquiLinearParts}.
 * @param mv `[..., C_in, 16]` multivectors.
 * @param s `[..., S_in]` scalars (required when `S_in > 0`).
 * @returns one `{ mv [..., outMv, 16], s? [..., outS] }` per part, in order.
 */
export function equiLinearParts(l: EquiLinearParams, mv: Tensor, s?: Tensor): MvAndScalars[] {
  const out = tf.tidy(() =>
    splitEquiLinearParts(l, equiLinearLayer(l, mv, s)).flatMap((p) => p.s ? [p.mv, p.s] : [p.mv])
  );
  let i = 0;
  return l.parts.map((q) => ({ mv: out[i++], s: q.outS > 0 ? out[i++] : undefined }));
}
