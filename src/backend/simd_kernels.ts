/**
 * Arithmetic loops in WebAssembly SIMD over tfjs-backend-wasm's heap, for the project's own wasm
 * kernels: the modules ({@link ./simd_kernels.wat}, {@link ./simd_exp.wat}; their bytes in
 * {@link ./simd_modules.ts}) import the backend's memory, so a loop reads and writes tensors in
 * place, four floats at a time, at about a tenth of the cost of a JavaScript loop (2–3 ns an
 * element here).
 *
 * Each function takes `Float32Array` views. When every view lies on the heap the module was
 * bound to ({@linkcode bindSimdKernels}, called when the wasm backend starts) the SIMD loop runs
 * the whole groups of four and JavaScript the rest; otherwise (the cpu backend, tests, or SIMD
 * turned off) a JavaScript loop computes the same float32 arithmetic in the same order, so both
 * paths give the same bits.
 *
 * @module
 */

import { EXP_BASE64, WASM_BASE64 } from "./simd_modules.ts";

type ExpExports = {
  attention(
    qkv: number,
    out: number,
    b: number,
    n: number,
    h: number,
    d4: number,
    s: number,
    scale: number,
  ): void;
  attention_grad(
    qkv: number,
    g: number,
    dqkv: number,
    b: number,
    n: number,
    h: number,
    d4: number,
    s: number,
    scale: number,
  ): void;
  gate(x: number, y: number, n4: number, c: number, k3: number): void;
  gate_grad(x: number, dy: number, dx: number, n4: number, c: number, k3: number): void;
};

type Exports = {
  silu_grad(x: number, y: number, dy: number, dx: number, n4: number): void;
  sum_middle(x: number, out: number, outer: number, reduce: number, inner4: number): void;
  pair_aggregate(x: number, w: number, out: number, batch: number, n: number, c4: number): void;
  pair_spread(dy: number, w: number, dx: number, batch: number, n: number, c4: number): void;
  layer_norm(x: number, y: number, rows: number, c4: number): void;
  sum_squares(g: number, n4: number): number;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    o: number,
    n4: number,
    scale: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    lr: number,
    eps: number,
  ): void;
  layer_norm_grad(x: number, dy: number, dx: number, rows: number, c4: number): void;
  pair_add_edges(
    r: number,
    s: number,
    a: number,
    w: number,
    out: number,
    batch: number,
    n: number,
    c4: number,
    k: number,
  ): void;
};

let memory: WebAssembly.Memory | undefined;
let kernels: Exports | undefined;
let expLoops: ExpExports | undefined;
let enabled = true;

function decode(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Binds the SIMD loops to a wasm memory (tfjs-backend-wasm's). Returns false, and leaves the
 * JavaScript loops in charge, where WebAssembly SIMD is unavailable.
 */
export function bindSimdKernels(mem: WebAssembly.Memory): boolean {
  if (memory === mem && kernels) return true;
  const instantiate = (b64: string) =>
    new WebAssembly.Instance(new WebAssembly.Module(decode(b64) as BufferSource), {
      env: { memory: mem },
    }).exports;
  try {
    kernels = instantiate(WASM_BASE64) as unknown as Exports;
    expLoops = instantiate(EXP_BASE64) as unknown as ExpExports;
    memory = mem;
    return true;
  } catch {
    kernels = undefined;
    expLoops = undefined;
    memory = undefined;
    return false;
  }
}

/** Turns the SIMD loops off (or on) in this thread; the JavaScript loops then run (tests). */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}

/**
 * Whether the SIMD loops run on these views: for tests that compare the SIMD path with the
 * JavaScript one, so that they cannot compare JavaScript with itself.
 */
export function simdRunsOn(views: readonly Float32Array[]): boolean {
  return simdFor(...views) !== undefined && expFor(...views) !== undefined;
}

/** Whether the SIMD loops are bound to a memory (and on) in this thread. */
export function simdBound(): boolean {
  return enabled && kernels !== undefined && memory !== undefined;
}

/** The SIMD exports, when every view lies on the bound memory. */
function simdFor(...views: Float32Array[]): Exports | undefined {
  if (!enabled || !kernels || !memory) return undefined;
  const buffer = memory.buffer;
  for (const v of views) if (v.buffer !== buffer) return undefined;
  return kernels;
}

/** Parameters `c`, `k₃` of a gated activation `y = u·σ(c·u·(1 + k₃u²))`. */
export interface Gate {
  readonly c: number;
  readonly k3: number;
}

/** SiLU: `u·σ(u)`. */
export const SILU_GATE: Gate = { c: 1, k3: 0 };
/** GELU, tanh approximation: `u·σ(2√(2/π)·(u + 0.044715u³))`. */
export const GELU_GATE: Gate = { c: 2 * Math.sqrt(2 / Math.PI), k3: 0.044715 };

/** The exports of the loops with an `exp`, when every view lies on the bound memory. */
function expFor(...views: Float32Array[]): ExpExports | undefined {
  if (!enabled || !expLoops || !memory) return undefined;
  for (const v of views) if (v.buffer !== memory.buffer) return undefined;
  return expLoops;
}

/**
 * A gated activation `y = u·σ(c·u·(1 + k₃u²))`, elementwise (SiLU, GELU). On the bound heap the
 * SIMD loop with its own `exp` ({@link ./simd_exp.wat}; SiLU's relative error below 4e-7), elsewhere a
 * JavaScript loop with `Math.exp`.
 */
export function gateInto(x: Float32Array, y: Float32Array, gate: Gate): void {
  const n = x.length;
  const { c, k3 } = gate;
  let i = 0;
  const k = expFor(x, y);
  if (k) {
    i = n & ~3;
    k.gate(x.byteOffset, y.byteOffset, i >> 2, c, k3);
  }
  for (; i < n; i++) {
    const u = x[i];
    y[i] = u / (1 + Math.exp(-c * u * (1 + k3 * u * u)));
  }
}

/** Its gradient: `dx = dy·(σ + u·σ(1 − σ)·c·(1 + 3k₃u²))` with σ at the gate's argument. */
export function gateGradInto(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  gate: Gate,
): void {
  const n = x.length;
  const { c, k3 } = gate;
  let i = 0;
  const k = expFor(x, dy, dx);
  if (k) {
    i = n & ~3;
    k.gate_grad(x.byteOffset, dy.byteOffset, dx.byteOffset, i >> 2, c, k3);
  }
  for (; i < n; i++) {
    const u = x[i];
    const s = 1 / (1 + Math.exp(-c * u * (1 + k3 * u * u)));
    dx[i] = dy[i] * (s + u * s * (1 - s) * c * (1 + 3 * k3 * u * u));
  }
}

/** SiLU, `y = x·σ(x)`: {@linkcode gateInto} with {@linkcode SILU_GATE}. */
export function siluInto(x: Float32Array, y: Float32Array): void {
  gateInto(x, y, SILU_GATE);
}

const TINY = Math.fround(1e-30);

/**
 * SiLU's gradient from its input and output: `s = σ(x) = y/x` (½ where `|x| < 1e-30`),
 * `dx = dy·s·(1 + x·(1 − s))`, in float32, in that order. The quotient is within an ulp or two of
 * σ(x) (y is x·σ(x) rounded once), so the backward pass needs no second `exp`.
 */
export function siluGradInto(
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const n = x.length;
  const k = simdFor(x, y, dy, dx);
  let i = 0;
  if (k) {
    i = n & ~3;
    k.silu_grad(x.byteOffset, y.byteOffset, dy.byteOffset, dx.byteOffset, i >> 2);
  }
  const f = Math.fround;
  for (; i < n; i++) {
    const xi = x[i];
    const si = Math.abs(xi) < TINY ? 0.5 : f(y[i] / xi);
    dx[i] = f(f(dy[i] * si) * f(1 + f(xi * f(1 - si))));
  }
}

/**
 * The sum over the middle axis of `x [outer, reduce, inner]`: `out[o, i] = Σ_r x[o, r, i]`, in
 * float32, rows added in order. SIMD when `inner` is a multiple of 4.
 */
export function sumMiddleInto(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  reduce: number,
  inner: number,
): void {
  if (reduce === 0) {
    out.fill(0, 0, outer * inner);
    return;
  }
  const k = inner % 4 === 0 ? simdFor(x, out) : undefined;
  if (k) {
    k.sum_middle(x.byteOffset, out.byteOffset, outer, reduce, inner >> 2);
    return;
  }
  for (let o = 0; o < outer; o++) {
    const base = o * reduce * inner;
    for (let i = 0; i < inner; i++) {
      let acc = x[base + i];
      for (let r = 1; r < reduce; r++) acc = Math.fround(acc + x[base + r * inner + i]);
      out[o * inner + i] = acc;
    }
  }
}

/**
 * A graph's weighted neighbour sum: `out[b, i, :] = Σ_j w[i, j]·x[b, i, j, :]` for
 * `x [batch, n, n, c]`, `w [n, n]`, terms added in order of `j` from 0, in float32. SIMD when `c`
 * is a multiple of 4.
 */
export function pairAggregateInto(
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  batch: number,
  n: number,
  c: number,
): void {
  const k = c % 4 === 0 ? simdFor(x, w, out) : undefined;
  if (k) {
    k.pair_aggregate(x.byteOffset, w.byteOffset, out.byteOffset, batch, n, c >> 2);
    return;
  }
  const f = Math.fround;
  for (let bi = 0; bi < batch * n; bi++) {
    const i = bi % n;
    for (let ch = 0; ch < c; ch++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc = f(acc + f(w[i * n + j] * x[(bi * n + j) * c + ch]));
      out[bi * c + ch] = acc;
    }
  }
}

/** The gradient of {@linkcode pairAggregateInto}: `dx[b, i, j, :] = w[i, j]·dy[b, i, :]`. */
export function pairSpreadInto(
  dy: Float32Array,
  w: Float32Array,
  dx: Float32Array,
  batch: number,
  n: number,
  c: number,
): void {
  const k = c % 4 === 0 ? simdFor(dy, w, dx) : undefined;
  if (k) {
    k.pair_spread(dy.byteOffset, w.byteOffset, dx.byteOffset, batch, n, c >> 2);
    return;
  }
  for (let bi = 0; bi < batch * n; bi++) {
    const i = bi % n;
    for (let j = 0; j < n; j++) {
      const wij = w[i * n + j];
      const at = (bi * n + j) * c;
      for (let ch = 0; ch < c; ch++) dx[at + ch] = Math.fround(wij * dy[bi * c + ch]);
    }
  }
}

/**
 * Receivers and senders broadcast over the pairs, plus optional edge terms:
 * `out[b, i, j, :] = r[b, i, :] + s[b, j, :] (+ Σ_k a[b, i, j, k]·w[k, :])` for `r, s [batch, n, c]`,
 * `a [batch, n, n, k]`, `w [k, c]`, in float32 in that order. SIMD when `c` is a multiple of 4.
 */
export function pairAddInto(
  r: Float32Array,
  s: Float32Array,
  out: Float32Array,
  batch: number,
  n: number,
  c: number,
  edges?: { readonly a: Float32Array; readonly w: Float32Array; readonly k: number },
): void {
  const k = c % 4 === 0
    ? (edges ? simdFor(r, s, out, edges.a, edges.w) : simdFor(r, s, out))
    : undefined;
  if (k) {
    k.pair_add_edges(
      r.byteOffset,
      s.byteOffset,
      edges?.a.byteOffset ?? 0,
      edges?.w.byteOffset ?? 0,
      out.byteOffset,
      batch,
      n,
      c >> 2,
      edges?.k ?? 0,
    );
    return;
  }
  const f = Math.fround;
  const kk = edges?.k ?? 0;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const pair = (b * n + i) * n + j;
        const at = pair * c;
        const ri = (b * n + i) * c;
        const sj = (b * n + j) * c;
        for (let ch = 0; ch < c; ch++) {
          let v = f(r[ri + ch] + s[sj + ch]);
          for (let e = 0; e < kk; e++) v = f(v + f(edges!.a[pair * kk + e] * edges!.w[e * c + ch]));
          out[at + ch] = v;
        }
      }
    }
  }
}

const LN_EPS = Math.fround(1e-5);
const lanes = new Float32Array(4);

/** Four lane sums added (l0 + l1) + (l2 + l3), as the SIMD loop does. */
function laneTotal(): number {
  const f = Math.fround;
  return f(f(lanes[0] + lanes[1]) + f(lanes[2] + lanes[3]));
}

/** μ and 1/√(σ² + ε) of `x[r .. r + c)` in the SIMD loop's float32 order (c a multiple of 4). */
function rowStats(x: Float32Array, r: number, c: number): [number, number] {
  const f = Math.fround;
  lanes.fill(0);
  for (let i = 0; i < c; i++) lanes[i & 3] = f(lanes[i & 3] + x[r + i]);
  const mean = f(laneTotal() / c);
  lanes.fill(0);
  for (let i = 0; i < c; i++) {
    const d = f(x[r + i] - mean);
    lanes[i & 3] = f(lanes[i & 3] + f(d * d));
  }
  const inv = f(1 / f(Math.sqrt(f(f(laneTotal() / c) + LN_EPS))));
  return [mean, inv];
}

/**
 * Layer norm over rows of `c` floats (ε 1e-5, biased variance): `y = (x − μ)·(1/√(σ² + ε))`,
 * each row's statistics as four float32 lane sums. SIMD on the bound heap; `c` must be a
 * multiple of 4 (callers with other widths keep their own loop).
 */
export function layerNormInto(x: Float32Array, y: Float32Array, rows: number, c: number): void {
  if (c % 4 !== 0) throw new Error(`layerNormInto: row width ${c} is not a multiple of 4`);
  const k = simdFor(x, y);
  if (k) {
    k.layer_norm(x.byteOffset, y.byteOffset, rows, c >> 2);
    return;
  }
  const f = Math.fround;
  for (let r = 0; r < rows * c; r += c) {
    const [mean, inv] = rowStats(x, r, c);
    for (let i = 0; i < c; i++) y[r + i] = f(f(x[r + i] - mean) * inv);
  }
}

/** Its gradient: with `ŷ = (x − μ)·inv`, `dx = inv·((dy − mean(dy)) − ŷ·mean(dy·ŷ))`. */
export function layerNormGradInto(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  rows: number,
  c: number,
): void {
  if (c % 4 !== 0) throw new Error(`layerNormGradInto: row width ${c} is not a multiple of 4`);
  const k = simdFor(x, dy, dx);
  if (k) {
    k.layer_norm_grad(x.byteOffset, dy.byteOffset, dx.byteOffset, rows, c >> 2);
    return;
  }
  const f = Math.fround;
  const sums = new Float32Array(4);
  for (let r = 0; r < rows * c; r += c) {
    const [mean, inv] = rowStats(x, r, c);
    lanes.fill(0);
    sums.fill(0);
    for (let i = 0; i < c; i++) {
      const g = dy[r + i];
      const yh = f(f(x[r + i] - mean) * inv);
      lanes[i & 3] = f(lanes[i & 3] + g);
      sums[i & 3] = f(sums[i & 3] + f(g * yh));
    }
    const mg = f(laneTotal() / c);
    lanes.set(sums);
    const mgy = f(laneTotal() / c);
    for (let i = 0; i < c; i++) {
      const yh = f(f(x[r + i] - mean) * inv);
      dx[r + i] = f(inv * f(f(dy[r + i] - mg) - f(yh * mgy)));
    }
  }
}

/** Sizes of an attention: batch, tokens, heads, head width in the layout (a multiple of 4). */
export interface AttentionDims {
  readonly b: number;
  readonly n: number;
  readonly h: number;
  readonly d: number;
  /** The heads' own width when `d` pads them with zero columns (it sets the 1/√width scale). */
  readonly width?: number;
}

/** `1/√width` in float32, rounded as float32 `sqrt` then `div` would. */
function attentionScale(width: number): number {
  return Math.fround(1 / Math.fround(Math.sqrt(width)));
}

/** Floats of scratch {@linkcode attentionSimd} and {@linkcode attentionGradSimd} need. */
export function attentionScratch(n: number): number {
  return 2 * n * (Math.ceil(n / 4) * 4);
}

/**
 * Attention over the tokens of every (sample, head) on the fused projection `qkv [B, N, 3, H, D]`
 * into `out [B, N, H, D]`, as a SIMD loop ({@link ./simd_exp.wat}; float32
 * accumulation), when every view lies on the bound heap and `D` is a multiple of 4 (the fused
 * attention kernel pads other widths). Returns false (and does nothing) otherwise: the caller
 * runs its own loop.
 */
export function attentionSimd(
  qkv: Float32Array,
  out: Float32Array,
  dims: AttentionDims,
  scratch: Float32Array | undefined,
): boolean {
  const { b, n, h, d } = dims;
  if (d % 4 !== 0 || !scratch || scratch.length < attentionScratch(n)) return false;
  const k = expFor(qkv, out, scratch);
  if (!k) return false;
  k.attention(
    qkv.byteOffset,
    out.byteOffset,
    b,
    n,
    h,
    d >> 2,
    scratch.byteOffset,
    attentionScale(dims.width ?? d),
  );
  return true;
}

/** Its gradient into `dQkv [B, N, 3, H, D]` from `dOut [B, N, H, D]`; false where it cannot run. */
export function attentionGradSimd(
  qkv: Float32Array,
  dOut: Float32Array,
  dQkv: Float32Array,
  dims: AttentionDims,
  scratch: Float32Array | undefined,
): boolean {
  const { b, n, h, d } = dims;
  if (d % 4 !== 0 || !scratch || scratch.length < attentionScratch(n)) return false;
  const k = expFor(qkv, dOut, dQkv, scratch);
  if (!k) return false;
  k.attention_grad(
    qkv.byteOffset,
    dOut.byteOffset,
    dQkv.byteOffset,
    b,
    n,
    h,
    d >> 2,
    scratch.byteOffset,
    attentionScale(dims.width ?? d),
  );
  return true;
}

/** `Σ g²` in float64 (SIMD lanes on the bound heap, then a float64 loop for the rest). */
export function sumSquares(g: Float32Array): number {
  const n = g.length;
  const k = simdFor(g);
  let i = 0;
  let total = 0;
  if (k) {
    i = n & ~3;
    total = k.sum_squares(g.byteOffset, i >> 2);
  }
  for (; i < n; i++) total += g[i] * g[i];
  return total;
}

/** Constants of one Adam step, all read as float32. */
export interface AdamConstants {
  /** Gradient scale (clipping). */
  readonly scale: number;
  readonly beta1: number;
  readonly beta2: number;
  /** `1/(1 − β₁ᵗ)`. */
  readonly c1: number;
  /** `1/(1 − β₂ᵗ)`. */
  readonly c2: number;
  readonly lr: number;
  readonly epsilon: number;
}

/**
 * One Adam step on a parameter array in float32: `g' = g·scale`, `m = β₁m + (1 − β₁)g'`,
 * `v = β₂v + (1 − β₂)g'²`, `out = p − lr·(m·c₁)/(√(v·c₂) + ε)`; `m` and `v` updated in place.
 * SIMD on the bound heap; the JavaScript twin gives the same bits.
 */
export function adamInto(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: Float32Array,
  a: AdamConstants,
): void {
  const f = Math.fround;
  const [scale, b1, b2, c1, c2, lr, eps] = [a.scale, a.beta1, a.beta2, a.c1, a.c2, a.lr, a.epsilon]
    .map(f);
  const n = p.length;
  const k = simdFor(p, g, m, v, out);
  let i = 0;
  if (k) {
    i = n & ~3;
    k.adam(
      p.byteOffset,
      g.byteOffset,
      m.byteOffset,
      v.byteOffset,
      out.byteOffset,
      i >> 2,
      scale,
      b1,
      b2,
      c1,
      c2,
      lr,
      eps,
    );
  }
  const a1 = f(1 - b1);
  const a2 = f(1 - b2);
  for (; i < n; i++) {
    const gi = f(g[i] * scale);
    const mi = f(f(b1 * m[i]) + f(a1 * gi));
    const vi = f(f(b2 * v[i]) + f(f(a2 * gi) * gi));
    m[i] = mi;
    v[i] = vi;
    out[i] = f(p[i] - f(f(lr * f(mi * c1)) / f(f(Math.sqrt(f(vi * c2))) + eps)));
  }
}
