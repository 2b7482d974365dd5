/**
 * GATr's geometric multi-query attention on the packed output of its query/key/value projection
 * as five kernels: two forward, three backward. Composed from tfjs ops
 * (`geometricAttentionInternal` in `src/models/gatr/geometric_attention.ts`, which stays the
 * reference and the fallback) it is 33 kernels forward and 43 backward per layer, the largest
 * share of a GATr step on webgpu, where each dispatch costs tens of microseconds of host time
 * whatever it computes.
 *
 * Layout (sizes: H heads, c multivector and s scalar channels per head, N items per sample, T rows
 * = B samples × N items; `D = 12c + s` features, `Dv = 16c + s` values per head):
 * - `qkv [T, H·s + 2s + 16·(H·c + 2c)]`: query scalars (head-major), key scalars, value scalars,
 *   then multivector columns blade-major (`src/models/gatr/_layout.ts`): blade position `p` of
 *   channel `ch` at `H·s + 2s + p·(H·c + 2c) + ch`, channels: H·c queries, c keys, c values.
 * - `RemulGatrAttnFeatures(qkv, logw) → f [T, (H + 1)·D]`: per head the query features
 *   (per channel 7 inner-product components and 5 distance features, the distance ones times
 *   `exp(logw[h, k])`, then the scalars; all times `1/√D`), then the shared key features (key
 *   form: `[ip, −w̃², −Σ ã², 2w̃·ã]`, then the scalars). See `geometric_attention.ts` for φ, ψ.
 * - `RemulGatrAttnCore(f, qkv) → out [T, H·s + 16·H·c]`: per sample, item and head
 *   `softmax_j(q_i·k_j)·v_j`, written head-major: the heads' scalars, then multivector columns
 *   blade-major.
 * - `RemulGatrAttnCoreGrad(f, qkv, dy) → g [T, H·D + H·(D + Dv)]`: the gradients of the query
 *   features, then per head its share of the gradients of the key features and of the values
 *   (`[16c]` blade-major by channel, then `[s]`); keys and values are shared by the heads, and
 *   the features' gradient sums the shares (so the core's gradient runs per head, no reduction
 *   across workgroups).
 * - `RemulGatrAttnFeaturesGrad(qkv, logw, g) → dqkv` and `RemulGatrAttnLogWGrad(f, g) → [H, c]`
 *   (`d f/d logw = f` on the weighted query features).
 *
 * Registered here as JavaScript loops (float64 sums) on wasm; on webgpu the same names run WGSL
 * programs ({@link ./webgpu_gatr_attention.ts}). GATr uses them on webgpu; on wasm only with
 * {@linkcode setGatrAttention}(true) (see there why); on cpu, with more than
 * {@linkcode MAX_ITEMS} items, or with `setGatrAttention(false)`, GATr composes.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";
import { type HostKernel, registerHostKernels } from "./_host_memory.ts";
import { BLADE_POSITION } from "../models/gatr/_layout.ts";

/** Kernel name of the features (`qkv`, `logw` → `feat`). */
export const GATR_ATTN_FEATURES = "RemulGatrAttnFeatures";
/** Kernel name of the softmax core (`feat`, `qkv` → output). */
export const GATR_ATTN_CORE = "RemulGatrAttnCore";
/** Kernel name of the core's gradient (`feat`, `qkv`, `dy` → `dcore`). */
export const GATR_ATTN_CORE_GRAD = "RemulGatrAttnCoreGrad";
/** Kernel name of the features' gradient (`qkv`, `logw`, `dcore` → `dqkv`). */
export const GATR_ATTN_FEATURES_GRAD = "RemulGatrAttnFeaturesGrad";
/** Kernel name of the log-weights' gradient (`feat`, `dcore` → `[H, c]`). */
export const GATR_ATTN_LOGW_GRAD = "RemulGatrAttnLogWGrad";

/** Most items per sample the kernels take (the WGSL keeps a row of probabilities in registers). */
export const MAX_ITEMS = 64;

/** ε of the trivector normaliser `t₃ / (t₃² + ε)` (as `geometric_attention.ts`). */
export const ATTN_EPS = 1e-3;

/** Internal positions of the inner-product components (GATr 1, e1, e2, e3, e12, e13, e23). */
export const IP_POS: readonly number[] = [0, 2, 3, 4, 8, 9, 10].map((g) => BLADE_POSITION[g]);
/** Internal positions of the ideal trivector components e012, e013, e023. */
export const A_POS: readonly number[] = [11, 12, 13].map((g) => BLADE_POSITION[g]);
/** Internal position of e123. */
export const W_POS: number = BLADE_POSITION[14];

/** Attributes of the five kernels. */
export interface GatrAttentionAttrs {
  /** Heads H. */
  readonly heads: number;
  /** Multivector channels c per head (and of the shared keys and values). */
  readonly mv: number;
  /** Scalar channels s per head (and of the shared keys and values). */
  readonly s: number;
  /** Items N per sample; the rows are whole samples. */
  readonly items: number;
}

/** Derived sizes (shared with the WGSL kernels). */
export interface GatrAttentionDims {
  h: number;
  c: number;
  s: number;
  n: number;
  /** Rows T. */
  t: number;
  /** Features per head, `12c + s`. */
  d: number;
  /** Values per head, `16c + s`. */
  dv: number;
  /** Multivector channels of `qkv`, `H·c + 2c`. */
  ctot: number;
  /** Width of `qkv`. */
  w: number;
  /** First multivector column of `qkv`, `H·s + 2s`. */
  mvBase: number;
  /** Width of the output, `H·s + 16·H·c`. */
  ow: number;
  /** Width of the features, `(H + 1)·D`. */
  fw: number;
  /**
   * Width of the core's gradient, `H·D + H·(D + Dv)`: the query features' gradients, then per head
   * its share of the key features' and the values' gradients.
   */
  gw: number;
  /** `1/√D`. */
  scale: number;
}

/**
 * The sizes of one call from the rows of `qkv` and the attributes.
 *
 * @param qkv `[T, H·s + 2s + 16·(H·c + 2c)]` (or its `TensorInfo`).
 * @param a the attributes.
 * @returns the sizes.
 * @throws Error when the shape does not fit, T is not a multiple of N, or N > {@link MAX_ITEMS}.
 *
 * @example
 * ```ts
 * import { gatrAttentionDims } from "./gatr_attention.ts";
 * const d = gatrAttentionDims({ shape: [10, 2 * 4 + 8 + 16 * 4] }, { heads: 2, mv: 1, s: 4, items: 5 });
 * if (d.d !== 16 || d.fw !== 48) throw new Error();
 * ```
 */
export function gatrAttentionDims(
  qkv: { readonly shape: readonly number[] },
  a: GatrAttentionAttrs,
): GatrAttentionDims {
  const { heads: h, mv: c, s, items: n } = a;
  const [t, w] = qkv.shape;
  const ctot = h * c + 2 * c;
  const mvBase = h * s + 2 * s;
  if (qkv.shape.length !== 2 || w !== mvBase + 16 * ctot || n < 1 || t % n !== 0) {
    throw new Error(`GATr attention: [${qkv.shape}] does not fit H=${h} c=${c} s=${s} N=${n}`);
  }
  if (n > MAX_ITEMS) throw new Error(`GATr attention: ${n} items, the kernels take ${MAX_ITEMS}`);
  const d = 12 * c + s;
  return {
    h,
    c,
    s,
    n,
    t,
    d,
    dv: 16 * c + s,
    ctot,
    w,
    mvBase,
    ow: h * s + 16 * h * c,
    fw: (h + 1) * d,
    gw: h * (2 * d + 16 * c + s),
    scale: 1 / Math.sqrt(d),
  };
}

/** `(t₃ / (t₃² + ε))²` and its derivative in t₃, `2t₃(ε − t₃²)/(t₃² + ε)³`. */
function normaliser(w: number): [number, number] {
  const den = w * w + ATTN_EPS;
  return [w * w / (den * den), 2 * w * (ATTN_EPS - w * w) / (den * den * den)];
}

/** Query-form features (12) of channel `ch` of row `r` into `out`. */
function featuresOf(qkv: Float32Array, r: number, ch: number, z: GatrAttentionDims, out: number[]) {
  const base = r * z.w + z.mvBase + ch;
  for (let i = 0; i < 7; i++) out[i] = qkv[base + IP_POS[i] * z.ctot];
  const w = qkv[base + W_POS * z.ctot];
  const den = w * w + ATTN_EPS;
  const r2 = w * w / (den * den);
  const a0 = qkv[base + A_POS[0] * z.ctot];
  const a1 = qkv[base + A_POS[1] * z.ctot];
  const a2 = qkv[base + A_POS[2] * z.ctot];
  out[7] = r2 * (a0 * a0 + a1 * a1 + a2 * a2);
  out[8] = r2 * w * w;
  out[9] = r2 * w * a0;
  out[10] = r2 * w * a1;
  out[11] = r2 * w * a2;
}

const featuresForward: HostKernel<"qkv" | "logw", GatrAttentionAttrs> = {
  name: GATR_ATTN_FEATURES,
  outputShape: ({ qkv }, a) => {
    const z = gatrAttentionDims(qkv, a);
    return [z.t, z.fw];
  },
  compute: ({ qkv, logw }, f, inputs, a) => {
    const z = gatrAttentionDims(inputs.qkv, a);
    const f0 = new Array<number>(12);
    for (let r = 0; r < z.t; r++) {
      const row = r * z.fw;
      for (let h = 0; h <= z.h; h++) {
        const key = h === z.h;
        const base = row + h * z.d;
        for (let k = 0; k < z.c; k++) {
          featuresOf(qkv, r, h * z.c + k, z, f0);
          const o = base + 12 * k;
          if (key) {
            for (let i = 0; i < 7; i++) f[o + i] = f0[i];
            f[o + 7] = -f0[8];
            f[o + 8] = -f0[7];
            for (let i = 9; i < 12; i++) f[o + i] = 2 * f0[i];
          } else {
            const wd = Math.exp(logw[h * z.c + k]) * z.scale;
            for (let i = 0; i < 7; i++) f[o + i] = f0[i] * z.scale;
            for (let i = 7; i < 12; i++) f[o + i] = f0[i] * wd;
          }
        }
        const sFrom = r * z.w + h * z.s;
        for (let e = 0; e < z.s; e++) {
          f[base + 12 * z.c + e] = key ? qkv[sFrom + e] : qkv[sFrom + e] * z.scale;
        }
      }
    }
  },
};

/** Column of value `v` (`[16c]` blade-major by channel, then `[s]`) in a row of `qkv`. */
function valueCol(z: GatrAttentionDims, v: number): number {
  if (v >= 16 * z.c) return z.h * z.s + z.s + v - 16 * z.c;
  const p = Math.floor(v / z.c);
  return z.mvBase + p * z.ctot + z.h * z.c + z.c + v % z.c;
}

/** Column of head `h`'s value `v` in a row of the output. */
function outCol(z: GatrAttentionDims, h: number, v: number): number {
  if (v >= 16 * z.c) return h * z.s + v - 16 * z.c;
  const p = Math.floor(v / z.c);
  return z.h * z.s + p * z.h * z.c + h * z.c + v % z.c;
}

/** Softmax over the sample's items of query row `i`, head `h`, into `p`. */
function probabilities(
  f: Float32Array,
  z: GatrAttentionDims,
  b: number,
  i: number,
  h: number,
  p: Float64Array,
) {
  const q = (b * z.n + i) * z.fw + h * z.d;
  let best = -Infinity;
  for (let j = 0; j < z.n; j++) {
    const k = (b * z.n + j) * z.fw + z.h * z.d;
    let acc = 0;
    for (let x = 0; x < z.d; x++) acc += f[q + x] * f[k + x];
    p[j] = acc;
    best = Math.max(best, acc);
  }
  let total = 0;
  for (let j = 0; j < z.n; j++) total += p[j] = Math.exp(p[j] - best);
  for (let j = 0; j < z.n; j++) p[j] /= total;
}

/** The columns of each value in `qkv` and, per head, in the core's output. */
function columnTables(z: ReturnType<typeof gatrAttentionDims>) {
  const vCols = Int32Array.from({ length: z.dv }, (_, v) => valueCol(z, v));
  const oCols = Array.from(
    { length: z.h },
    (_, h) => Int32Array.from({ length: z.dv }, (_, v) => outCol(z, h, v)),
  );
  return { vCols, oCols };
}

const coreForward: HostKernel<"feat" | "qkv", GatrAttentionAttrs> = {
  name: GATR_ATTN_CORE,
  outputShape: ({ qkv }, a) => {
    const z = gatrAttentionDims(qkv, a);
    return [z.t, z.ow];
  },
  compute: ({ feat: f, qkv }, out, inputs, a) => {
    const z = gatrAttentionDims(inputs.qkv, a);
    const p = new Float64Array(z.n);
    const { vCols, oCols } = columnTables(z);
    for (let b = 0; b < z.t / z.n; b++) {
      for (let i = 0; i < z.n; i++) {
        for (let h = 0; h < z.h; h++) {
          probabilities(f, z, b, i, h, p);
          const o = (b * z.n + i) * z.ow;
          for (let v = 0; v < z.dv; v++) {
            let acc = 0;
            for (let j = 0; j < z.n; j++) acc += p[j] * qkv[(b * z.n + j) * z.w + vCols[v]];
            out[o + oCols[h][v]] = acc;
          }
        }
      }
    }
  },
};

const coreBackward: HostKernel<"feat" | "qkv" | "dy", GatrAttentionAttrs> = {
  name: GATR_ATTN_CORE_GRAD,
  outputShape: ({ qkv }, a) => {
    const z = gatrAttentionDims(qkv, a);
    return [z.t, z.gw];
  },
  compute: ({ feat: f, qkv, dy }, g, inputs, a) => {
    const z = gatrAttentionDims(inputs.qkv, a);
    const gw = z.gw;
    g.fill(0);
    const p = new Float64Array(z.n);
    const dp = new Float64Array(z.n);
    const dO = new Float64Array(z.dv);
    const { vCols, oCols } = columnTables(z);
    for (let b = 0; b < z.t / z.n; b++) {
      for (let i = 0; i < z.n; i++) {
        const ri = b * z.n + i;
        for (let h = 0; h < z.h; h++) {
          probabilities(f, z, b, i, h, p);
          for (let v = 0; v < z.dv; v++) dO[v] = dy[ri * z.ow + oCols[h][v]];
          let dot = 0;
          for (let j = 0; j < z.n; j++) {
            const vr = (b * z.n + j) * z.w;
            let acc = 0;
            for (let v = 0; v < z.dv; v++) acc += dO[v] * qkv[vr + vCols[v]];
            dp[j] = acc;
            dot += p[j] * acc;
          }
          const q = ri * z.fw + h * z.d;
          const kv = z.h * z.d + h * (z.d + z.dv); // this head's share of dK, dV
          for (let j = 0; j < z.n; j++) {
            const rj = b * z.n + j;
            const ds = p[j] * (dp[j] - dot);
            const k = rj * z.fw + z.h * z.d;
            for (let x = 0; x < z.d; x++) {
              g[ri * gw + h * z.d + x] += ds * f[k + x];
              g[rj * gw + kv + x] += ds * f[q + x];
            }
            for (let v = 0; v < z.dv; v++) g[rj * gw + kv + z.d + v] += p[j] * dO[v];
          }
        }
      }
    }
  },
};

/**
 * Writes the gradients of the 16 components of channel `ch` of row `r` (at `dx[base + p·ctot]`),
 * given the gradient `d0` of its query-form features.
 */
function channelGrad(
  qkv: Float32Array,
  dx: Float32Array,
  base: number,
  z: GatrAttentionDims,
  d0: Float64Array,
): void {
  const at = (p: number) => qkv[base + p * z.ctot];
  for (let p = 0; p < 16; p++) dx[base + p * z.ctot] = 0;
  for (let i = 0; i < 7; i++) dx[base + IP_POS[i] * z.ctot] = d0[i];
  const w = at(W_POS);
  const [r2, dr2] = normaliser(w);
  let wa = 0;
  let aa = 0;
  for (let i = 0; i < 3; i++) {
    const a = at(A_POS[i]);
    dx[base + A_POS[i] * z.ctot] = r2 * (2 * a * d0[7] + w * d0[9 + i]);
    wa += d0[9 + i] * a;
    aa += a * a;
  }
  const dR2 = d0[7] * aa + d0[8] * w * w + w * wa;
  dx[base + W_POS * z.ctot] = r2 * (2 * w * d0[8] + wa) + dR2 * dr2;
}

const featuresBackward: HostKernel<"qkv" | "logw" | "dcore", GatrAttentionAttrs> = {
  name: GATR_ATTN_FEATURES_GRAD,
  outputShape: ({ qkv }) => [...qkv.shape],
  compute: ({ qkv, logw, dcore: g }, dx, inputs, a) => {
    const z = gatrAttentionDims(inputs.qkv, a);
    const d0 = new Float64Array(12);
    for (let r = 0; r < z.t; r++) {
      const gr = r * z.gw;
      const xr = r * z.w;
      // keys and values: the heads' shares summed; `at` within a head's [D + Dv]
      const shared = (at: number) => {
        let acc = 0;
        for (let h = 0; h < z.h; h++) acc += g[gr + z.h * z.d + h * (z.d + z.dv) + at];
        return acc;
      };
      for (let h = 0; h < z.h; h++) {
        for (let e = 0; e < z.s; e++) {
          dx[xr + h * z.s + e] = g[gr + h * z.d + 12 * z.c + e] * z.scale;
        }
      }
      for (let e = 0; e < z.s; e++) {
        dx[xr + z.h * z.s + e] = shared(12 * z.c + e);
        dx[xr + z.h * z.s + z.s + e] = shared(z.d + 16 * z.c + e);
      }
      for (let ch = 0; ch < z.ctot; ch++) {
        const col = (p: number) => xr + z.mvBase + p * z.ctot + ch;
        if (ch >= z.h * z.c + z.c) {
          const k = ch - z.h * z.c - z.c;
          for (let p = 0; p < 16; p++) dx[col(p)] = shared(z.d + p * z.c + k);
          continue;
        }
        if (ch < z.h * z.c) {
          const h = Math.floor(ch / z.c);
          const from = gr + h * z.d + 12 * (ch % z.c);
          const wd = Math.exp(logw[ch]) * z.scale;
          for (let i = 0; i < 12; i++) d0[i] = g[from + i] * (i < 7 ? z.scale : wd);
        } else {
          const from = 12 * (ch - z.h * z.c);
          for (let i = 0; i < 7; i++) d0[i] = shared(from + i);
          d0[7] = -shared(from + 8);
          d0[8] = -shared(from + 7);
          for (let i = 9; i < 12; i++) d0[i] = 2 * shared(from + i);
        }
        channelGrad(qkv, dx, col(0), z, d0);
      }
    }
  },
};

/** Attributes of the log-weight gradient: the features' sizes without `qkv`. */
function logWDims(f: { readonly shape: readonly number[] }, a: GatrAttentionAttrs) {
  const d = 12 * a.mv + a.s;
  return { t: f.shape[0], fw: (a.heads + 1) * d, d, gw: a.heads * (2 * d + 16 * a.mv + a.s) };
}

const logWBackward: HostKernel<"feat" | "dcore", GatrAttentionAttrs> = {
  name: GATR_ATTN_LOGW_GRAD,
  outputShape: (_, a) => [a.heads, a.mv],
  compute: ({ feat: f, dcore: g }, out, inputs, a) => {
    const { t, fw, d, gw } = logWDims(inputs.feat, a);
    for (let h = 0; h < a.heads; h++) {
      for (let k = 0; k < a.mv; k++) {
        let acc = 0;
        for (let r = 0; r < t; r++) {
          const at = h * d + 12 * k;
          for (let i = 7; i < 12; i++) acc += g[r * gw + at + i] * f[r * fw + at + i];
        }
        out[h * a.mv + k] = acc;
      }
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
export function setGatrAttention(on: boolean | "auto"): void {
  mode = on;
}

function install(): void {
  if (installed) return;
  installed = true;
  registerHostKernels(
    [featuresForward, coreForward, coreBackward, featuresBackward, logWBackward],
    ["wasm"],
  );
}

/**
 * True where GATr runs the five kernels on the active backend for `items` items per sample:
 * webgpu once its WGSL kernels are installed (`initBackend("webgpu")` does it), wasm after
 * {@linkcode setGatrAttention}(true); never on cpu, where GATr's composite is the reference.
 *
 * @param items N, at most {@link MAX_ITEMS}.
 */
export function gatrAttentionAvailable(items = 1): boolean {
  install();
  const backend = tf.getBackend();
  return (mode === true || (mode === "auto" && backend === "webgpu")) && items <= MAX_ITEMS &&
    tf.getKernel(GATR_ATTN_CORE, backend) !== undefined;
}

function runKernel(
  name: string,
  inputs: Record<string, Tensor>,
  attrs: GatrAttentionAttrs,
): Tensor {
  if (!gatrAttentionAvailable(attrs.items)) throw new Error(`${name}: not available here`);
  return tf.engine().runKernel(name, inputs, attrs as never) as Tensor;
}

/**
 * The attention's forward pass: the features, then the core. Pair with
 * {@linkcode gatrAttentionGrad} in a hand-written gradient.
 *
 * @param qkv `[T, H·s + 2s + 16·(H·c + 2c)]` packed queries, keys, values.
 * @param logWeights `[H, c]` logs of the distance weights.
 * @param attrs sizes.
 * @returns the output `[T, H·s + 16·H·c]` and the features `[T, (H + 1)·D]` (for the gradient).
 * @throws Error when the kernels are not available ({@linkcode gatrAttentionAvailable}).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { initBackend } from "./backend.ts";
 * import { gatrAttention, gatrAttentionAvailable, setGatrAttention } from "./gatr_attention.ts";
 * await initBackend("wasm");
 * setGatrAttention(true); // wasm composes by default
 * if (gatrAttentionAvailable()) {
 *   // one item attends to itself: the output is its value (scalar value 3)
 *   const attrs = { heads: 1, mv: 1, s: 1, items: 1 };
 *   const qkv = tf.tensor2d([[0, 0, 3, ...new Array(48).fill(0)]]);
 *   const { value } = gatrAttention(qkv, tf.zeros([1, 1]), attrs);
 *   if ((await value.data())[0] !== 3) throw new Error();
 * }
 * ```
 */
export function gatrAttention(
  qkv: Tensor,
  logWeights: Tensor,
  attrs: GatrAttentionAttrs,
): { value: Tensor; features: Tensor } {
  gatrAttentionDims(qkv, attrs);
  const features = runKernel(GATR_ATTN_FEATURES, { qkv, logw: logWeights }, attrs);
  return { value: runKernel(GATR_ATTN_CORE, { feat: features, qkv }, attrs), features };
}

/**
 * The gradients of {@linkcode gatrAttention}'s output with respect to `qkv` and the log-weights,
 * in three kernels.
 *
 * @param qkv the forward pass's input.
 * @param logWeights `[H, c]`
 * @param features the features the forward pass returned.
 * @param dy `[T, H·s + 16·H·c]` the gradient of the output.
 * @param attrs sizes.
 * @returns `[dqkv, dlogWeights]`.
 */
export function gatrAttentionGrad(
  qkv: Tensor,
  logWeights: Tensor,
  features: Tensor,
  dy: Tensor,
  attrs: GatrAttentionAttrs,
): [Tensor, Tensor] {
  const g = runKernel(GATR_ATTN_CORE_GRAD, { feat: features, qkv, dy }, attrs);
  const dQkv = runKernel(GATR_ATTN_FEATURES_GRAD, { qkv, logw: logWeights, dcore: g }, attrs);
  const dLogW = runKernel(GATR_ATTN_LOGW_GRAD, { feat: features, dcore: g }, attrs);
  g.dispose();
  return [dQkv, dLogW];
}
