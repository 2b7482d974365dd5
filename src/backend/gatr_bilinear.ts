/**
 * GATr's bilinear products on packed rows (the geometric product `L·R` and the equivariant join
 * `join(JL, JR)·ref_e123` of each channel) as one kernel forward and two backward, the sign
 * tables of both products written into the loops (WGSL: into the shader text). Composed from tfjs
 * ops (`bilinearProductsInternal` in `src/models/gatr/bilinear.ts`: factored tables, transposes,
 * splits and concats; the reference and the fallback) the products are 15 kernels forward and 19
 * backward per layer.
 *
 * Layout (`src/models/gatr/_layout.ts`; h channels per product, T rows = B samples of equal size):
 * - `x [T, 16·4h]`: the four projections blade-major, column `p·4h + ch` (channels L, R, JL, JR,
 *   h each), blade positions in the internal order;
 * - `e123 [B, 1]`: the join reference's e123 component per sample;
 * - `carry [T, ≥ S]`: its first S columns (scalars) lead the output;
 * - `RemulGatrBilinear(x, e123, carry) → [T, S + 16·2h]`: the carried scalars, then the products
 *   blade-major, column `S + p·2h + k` (channels: h geometric products, then h joins);
 * - `RemulGatrBilinearGrad(x, e123, dy) → dx [T, 16·4h]`: per component
 *   `dL_j = Σ_{i,k} T[i,j,k]·dOut_i·R_k`, `dR_k = Σ_{i,j} T[i,j,k]·dOut_i·L_j` (the join's `dOut`
 *   times the sample's e123);
 * - `RemulGatrBilinearRefGrad(x, e123, dy) → [B, 1]`: `Σ join·dJoin` over the sample's rows.
 * The carried scalars' gradient is `dy`'s first S columns, padded (one tfjs kernel).
 *
 * Registered here as JavaScript loops on wasm; on webgpu the same names run WGSL programs
 * ({@link ./webgpu_gatr_bilinear.ts}). GATr uses them on webgpu; on wasm only with
 * {@linkcode setGatrBilinear}(true) (see there why); on cpu, or with `setGatrBilinear(false)`, GATr
 * composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";
import { GEOMETRIC_PRODUCT, JOIN } from "../models/gatr/algebra.ts";
import { BLADE_ORDER } from "../models/gatr/_layout.ts";

/** Kernel name of the products. */
export const GATR_BILINEAR = "RemulGatrBilinear";
/** Kernel name of the products' gradient with respect to `x`. */
export const GATR_BILINEAR_GRAD = "RemulGatrBilinearGrad";
/** Kernel name of the gradient with respect to the join reference's e123 (`[B, 1]`). */
export const GATR_BILINEAR_REF_GRAD = "RemulGatrBilinearRefGrad";

/** Attributes of the three kernels. */
export interface GatrBilinearAttrs {
  /** S, the carried scalar columns at the head of the output. */
  readonly sChannels: number;
}

/** One nonzero entry of a product table, blade positions in the internal order. */
export interface TableEntry {
  /** Output position. */
  readonly i: number;
  /** Left operand position. */
  readonly j: number;
  /** Right operand position. */
  readonly k: number;
  /** Coefficient. */
  readonly v: number;
}

/** The nonzero entries of a `[16 out, 16 left, 16 right]` table (GATr order) in internal order. */
function entries(table: Float32Array): TableEntry[] {
  const out: TableEntry[] = [];
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      for (let k = 0; k < 16; k++) {
        const v = table[BLADE_ORDER[i] * 256 + BLADE_ORDER[j] * 16 + BLADE_ORDER[k]];
        if (v !== 0) out.push({ i, j, k, v });
      }
    }
  }
  return out;
}

/** The geometric product's nonzero entries (192), internal order. */
export const GP_ENTRIES: readonly TableEntry[] = entries(GEOMETRIC_PRODUCT);
/** The join's nonzero entries (81), internal order. */
export const JOIN_ENTRIES: readonly TableEntry[] = entries(JOIN);

/** The sizes of one call: `t` rows, `h` channels per product, `b` samples, `s` carried scalars. */
export interface GatrBilinearDims {
  t: number;
  h: number;
  b: number;
  s: number;
}

/**
 * The sizes of one call.
 *
 * @param x `[T, 16·4h]` (or its `TensorInfo`).
 * @param e123 `[B, 1]`, B dividing T.
 * @param sChannels S.
 * @returns the sizes.
 * @throws Error when the shapes do not fit.
 *
 * @example
 * ```ts
 * import { gatrBilinearDims } from "./gatr_bilinear.ts";
 * if (gatrBilinearDims({ shape: [10, 128] }, { shape: [2, 1] }, 3).h !== 2) throw new Error();
 * ```
 */
export function gatrBilinearDims(
  x: { readonly shape: readonly number[] },
  e123: { readonly shape: readonly number[] },
  sChannels: number,
): GatrBilinearDims {
  const [t, w] = x.shape;
  const [b] = e123.shape;
  if (
    x.shape.length !== 2 || w % 64 !== 0 || w === 0 || e123.shape.length !== 2 || b < 1 ||
    t % b !== 0
  ) {
    throw new Error(`GATr bilinear: x [${x.shape}] and e123 [${e123.shape}] do not fit`);
  }
  return { t, h: w / 64, b, s: sChannels };
}

/** A table's entries as typed arrays, for the loops. */
class Table {
  readonly i: Int32Array;
  readonly j: Int32Array;
  readonly k: Int32Array;
  readonly v: Float64Array;
  constructor(es: readonly TableEntry[]) {
    this.i = Int32Array.from(es, (e) => e.i);
    this.j = Int32Array.from(es, (e) => e.j);
    this.k = Int32Array.from(es, (e) => e.k);
    this.v = Float64Array.from(es, (e) => e.v);
  }
  /** `out_i = Σ v·a_j·b_k`. */
  apply(a: Float64Array, b: Float64Array, out: Float64Array): void {
    out.fill(0);
    for (let e = 0; e < this.v.length; e++) {
      out[this.i[e]] += this.v[e] * a[this.j[e]] * b[this.k[e]];
    }
  }
  /** The left operand's gradient `out_j = Σ v·d_i·b_k`. */
  left(d: Float64Array, b: Float64Array, out: Float64Array): void {
    out.fill(0);
    for (let e = 0; e < this.v.length; e++) {
      out[this.j[e]] += this.v[e] * d[this.i[e]] * b[this.k[e]];
    }
  }
  /** The right operand's gradient `out_k = Σ v·d_i·a_j`. */
  right(d: Float64Array, a: Float64Array, out: Float64Array): void {
    out.fill(0);
    for (let e = 0; e < this.v.length; e++) {
      out[this.k[e]] += this.v[e] * d[this.i[e]] * a[this.j[e]];
    }
  }
}

let tables: { gp: Table; join: Table } | undefined;

/** Float64 buffers of 16 blades. */
function buffers(n: number): Float64Array[] {
  return Array.from({ length: n }, () => new Float64Array(16));
}

/** Copies 16 blades, `src[from + p·stride]·scale`, into `out`. */
function gather(src: Float32Array, from: number, stride: number, out: Float64Array, scale = 1) {
  for (let p = 0; p < 16; p++) out[p] = src[from + p * stride] * scale;
}

/** Writes 16 blades to `dst[from + p·stride]`. */
function scatter(v: Float64Array, dst: Float32Array, from: number, stride: number, scale = 1) {
  for (let p = 0; p < 16; p++) dst[from + p * stride] = v[p] * scale;
}

/** The geometric product's and the join's sign tables, built on first use. */
function signTables(): { gp: Table; join: Table } {
  return tables ??= { gp: new Table(GP_ENTRIES), join: new Table(JOIN_ENTRIES) };
}

/**
 * Channel `k`'s four operands of row `xr` (left and right of the geometric product, then of the
 * join): channel blocks of `h`, multivector components `4·h` apart.
 */
function gatherOperands(
  x: Float32Array,
  xr: number,
  k: number,
  h: number,
  into: readonly Float64Array[],
): void {
  for (let part = 0; part < 4; part++) gather(x, xr + part * h + k, 4 * h, into[part]);
}

const forward: HostKernel<"x" | "e123" | "carry", GatrBilinearAttrs> = {
  name: GATR_BILINEAR,
  outputShape: ({ x, e123 }, a) => {
    const d = gatrBilinearDims(x, e123, a.sChannels);
    return [d.t, d.s + 32 * d.h];
  },
  compute: ({ x, e123, carry }, y, inputs, a) => {
    const { t, h, b, s } = gatrBilinearDims(inputs.x, inputs.e123, a.sChannels);
    const { gp, join } = signTables();
    const cw = inputs.carry.shape[1];
    const ow = s + 32 * h;
    const [l, r, jl, jr, out] = buffers(5);
    for (let row = 0; row < t; row++) {
      for (let e = 0; e < s; e++) y[row * ow + e] = carry[row * cw + e];
      const ref = e123[Math.floor(row / (t / b))];
      const xr = row * 64 * h;
      for (let k = 0; k < h; k++) {
        gatherOperands(x, xr, k, h, [l, r, jl, jr]);
        gp.apply(l, r, out);
        scatter(out, y, row * ow + s + k, 2 * h);
        join.apply(jl, jr, out);
        scatter(out, y, row * ow + s + h + k, 2 * h, ref);
      }
    }
  },
};

const backward: HostKernel<"x" | "e123" | "dy", GatrBilinearAttrs> = {
  name: GATR_BILINEAR_GRAD,
  outputShape: ({ x }) => [...x.shape],
  compute: ({ x, e123, dy }, dx, inputs, a) => {
    const { t, h, b, s } = gatrBilinearDims(inputs.x, inputs.e123, a.sChannels);
    const { gp, join } = signTables();
    const ow = s + 32 * h;
    const [l, r, jl, jr, dg, dj, out] = buffers(7);
    for (let row = 0; row < t; row++) {
      const ref = e123[Math.floor(row / (t / b))];
      const xr = row * 64 * h;
      for (let k = 0; k < h; k++) {
        gatherOperands(x, xr, k, h, [l, r, jl, jr]);
        gather(dy, row * ow + s + k, 2 * h, dg);
        gather(dy, row * ow + s + h + k, 2 * h, dj, ref);
        gp.left(dg, r, out);
        scatter(out, dx, xr + k, 4 * h);
        gp.right(dg, l, out);
        scatter(out, dx, xr + h + k, 4 * h);
        join.left(dj, jr, out);
        scatter(out, dx, xr + 2 * h + k, 4 * h);
        join.right(dj, jl, out);
        scatter(out, dx, xr + 3 * h + k, 4 * h);
      }
    }
  },
};

const refBackward: HostKernel<"x" | "e123" | "dy", GatrBilinearAttrs> = {
  name: GATR_BILINEAR_REF_GRAD,
  outputShape: ({ e123 }) => [e123.shape[0], 1],
  compute: ({ x, dy }, de, inputs, a) => {
    const { t, h, b, s } = gatrBilinearDims(inputs.x, inputs.e123, a.sChannels);
    const { join } = tables ??= { gp: new Table(GP_ENTRIES), join: new Table(JOIN_ENTRIES) };
    const ow = s + 32 * h;
    const [jl, jr, out] = buffers(3);
    de.fill(0);
    for (let row = 0; row < t; row++) {
      const xr = row * 64 * h;
      let sum = 0;
      for (let k = 0; k < h; k++) {
        gather(x, xr + 2 * h + k, 4 * h, jl);
        gather(x, xr + 3 * h + k, 4 * h, jr);
        join.apply(jl, jr, out);
        for (let i = 0; i < 16; i++) sum += out[i] * dy[row * ow + s + i * 2 * h + h + k];
      }
      de[Math.floor(row / (t / b))] += sum;
    }
  },
};

let installed = false;
let mode: boolean | "auto" = "auto";

/**
 * Whether GATr uses the kernels: `"auto"` (the default) on webgpu only, `true` also on wasm (the
 * tests), `false` nowhere (GATr composes; tests compare both). On wasm the JavaScript loops are
 * faster than the composite at N-body `small` sizes but slower at GATr's cost config (batch 64),
 * where the composite's products run on OpenBLAS, so wasm composes by default.
 */
export function setGatrBilinear(on: boolean | "auto"): void {
  mode = on;
}

function install(): void {
  if (installed) return;
  installed = true;
  registerHostKernels([forward, backward, refBackward], ["wasm"]);
}

/**
 * True where GATr runs the three kernels on the active backend: webgpu once its WGSL kernels are
 * installed (`initBackend("webgpu")` does it), wasm after {@linkcode setGatrBilinear}(true); never
 * on cpu, where GATr's composite is the reference.
 */
export function gatrBilinearAvailable(): boolean {
  install();
  const backend = tf.getBackend();
  return (mode === true || (mode === "auto" && backend === "webgpu")) &&
    tf.getKernel(GATR_BILINEAR, backend) !== undefined;
}

function runKernel(name: string, inputs: Record<string, Tensor>, attrs: GatrBilinearAttrs): Tensor {
  if (!gatrBilinearAvailable()) throw new Error(`${name}: not available on this backend`);
  return tf.engine().runKernel(name, inputs, attrs as never) as Tensor;
}

/**
 * The bilinear products with the carried scalars in front, one kernel (pair with
 * {@linkcode gatrBilinearGrad}).
 *
 * @param x `[T, 16·4h]` the four projections (internal layout).
 * @param e123 `[B, 1]` the join reference's e123 per sample.
 * @param carry `[T, ≥ S]` rows whose first S columns lead the output.
 * @param attrs S.
 * @returns `[T, S + 16·2h]`.
 * @throws Error when the kernels are not available ({@linkcode gatrBilinearAvailable}).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend } from "./backend.ts";
 * import { gatrBilinear, gatrBilinearAvailable, setGatrBilinear } from "./gatr_bilinear.ts";
 * await initBackend("wasm");
 * setGatrBilinear(true); // wasm composes by default
 * if (gatrBilinearAvailable()) {
 *   // L = 2 (scalar), R = 3 (scalar): L·R = 6 in column 0 (no carried scalars)
 *   const x = new Float32Array(64);
 *   [x[0], x[1]] = [2, 3];
 *   const y = gatrBilinear(tf.tensor2d(x, [1, 64]), tf.ones([1, 1]), tf.zeros([1, 1]), {
 *     sChannels: 0,
 *   });
 *   if ((await y.data())[0] !== 6) throw new Error();
 * }
 * ```
 */
export function gatrBilinear(
  x: Tensor,
  e123: Tensor,
  carry: Tensor,
  attrs: GatrBilinearAttrs,
): Tensor {
  gatrBilinearDims(x, e123, attrs.sChannels);
  return runKernel(GATR_BILINEAR, { x, e123, carry }, attrs);
}

/**
 * The gradients of {@linkcode gatrBilinear} with respect to `x` and `e123` (two kernels).
 *
 * @param x `[T, 16·4h]` the products' input.
 * @param e123 `[B, 1]`
 * @param dy `[T, S + 16·2h]` the gradient of the output.
 * @param attrs S.
 * @returns `[dx, de123]`.
 */
export function gatrBilinearGrad(
  x: Tensor,
  e123: Tensor,
  dy: Tensor,
  attrs: GatrBilinearAttrs,
): [Tensor, Tensor] {
  gatrBilinearDims(x, e123, attrs.sChannels);
  return [
    runKernel(GATR_BILINEAR_GRAD, { x, e123, dy }, attrs),
    runKernel(GATR_BILINEAR_REF_GRAD, { x, e123, dy }, attrs),
  ];
}
