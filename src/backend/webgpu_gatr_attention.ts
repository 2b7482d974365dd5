/**
 * GATr's geometric multi-query attention as WGSL programs for tfjs-backend-webgpu, under the names
 * of the wasm kernels of {@link ./gatr_attention.ts} (same inputs, attributes, outputs and
 * layouts; see that module): two dispatches forward and three backward where tfjs's composite
 * launches 33 and 43.
 *
 * - Features: one invocation per feature; a feature is one component, or a product of two
 *   components and the trivector normaliser `(t₃/(t₃² + ε))²`, times the head's weight and scale.
 * - Core: one invocation per (sample, item, head) keeps its row of probabilities (at most
 *   {@link MAX_ITEMS}) in private memory and writes the head's `16c + s` outputs.
 * - Core gradient: one workgroup per (sample, head), one thread per item. Each thread computes
 *   its query row's probabilities, `dP` and `dS = P ∘ (dP − rowsum(P ∘ dP))`, and from them the
 *   query features' gradient; it shares the row's max, sum and `rowsum(P ∘ dP)` through
 *   workgroup memory; then each thread rebuilds its key's column of `P` and `dS` and writes the
 *   head's share of its key features' and value's gradients. Keys and values are shared by the
 *   heads: the features gradient sums the shares, so no workgroup waits on another (an earlier
 *   form ran the heads in turn in one workgroup per sample: H times fewer threads).
 * - Features gradient: one invocation per entry of `dqkv`.
 * - Log-weight gradient: one invocation per (head, channel), summing over the rows.
 *
 * @module
 */
import {
  f32Literal,
  type KernelArgs,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
  type Uniform,
} from "./_webgpu_program.ts";
import {
  A_POS,
  ATTN_EPS,
  GATR_ATTN_CORE,
  GATR_ATTN_CORE_GRAD,
  GATR_ATTN_FEATURES,
  GATR_ATTN_FEATURES_GRAD,
  GATR_ATTN_LOGW_GRAD,
  type GatrAttentionAttrs,
  IP_POS,
  MAX_ITEMS,
  W_POS,
} from "./gatr_attention.ts";

const WORKGROUP = 64;
const UNIFORMS =
  "heads : i32, c : i32, s : i32, items : i32, rows : i32, count : i32, scale : f32,";

/** `switch` returning the index of `p` in `list`, or −1. */
function indexSwitch(name: string, list: readonly number[]): string {
  const cases = list.map((p, i) => `case ${p}: { return ${i}; }`).join("\n      ");
  return `fn ${name}(p : i32) -> i32 {
    switch p {
      ${cases}
      default: { return -1; }
    }
  }`;
}

/** Sizes, indexing and the features, for every program. */
const COMMON = `
  fn dimD() -> i32 { return 12 * uniforms.c + uniforms.s; }
  fn dimDv() -> i32 { return 16 * uniforms.c + uniforms.s; }
  fn ctot() -> i32 { return (uniforms.heads + 2) * uniforms.c; }
  fn mvBase() -> i32 { return (uniforms.heads + 2) * uniforms.s; }
  fn qkvW() -> i32 { return mvBase() + 16 * ctot(); }
  fn outW() -> i32 { return uniforms.heads * (uniforms.s + 16 * uniforms.c); }
  fn featW() -> i32 { return (uniforms.heads + 1) * dimD(); }
  fn gradW() -> i32 { return uniforms.heads * (2 * dimD() + dimDv()); }
  // head h's share of the key features' and values' gradients in a row of the core's gradient
  fn shareAt(h : i32) -> i32 { return uniforms.heads * dimD() + h * (dimD() + dimDv()); }
  // (t₃ / (t₃² + ε))²
  fn normR2(w : f32) -> f32 {
    let den = w * w + ${f32Literal(ATTN_EPS)};
    return w * w / (den * den);
  }
  ${indexSwitch("ipIndex", IP_POS)}
  ${indexSwitch("aIndex", A_POS)}
  fn ipPos(i : i32) -> i32 {
    switch i {
      ${IP_POS.map((p, i) => `case ${i}: { return ${p}; }`).join("\n      ")}
      default: { return 0; }
    }
  }
  fn aPos(i : i32) -> i32 {
    switch i {
      ${A_POS.map((p, i) => `case ${i}: { return ${p}; }`).join("\n      ")}
      default: { return 0; }
    }
  }`;

/** WGSL reading components of `qkv`: blade position `p` of channel `ch` in row `r`. */
const COMPONENTS = `
  fn comp(r : i32, ch : i32, p : i32) -> f32 {
    return qkv[r * qkvW() + mvBase() + p * ctot() + ch];
  }
  // query-form feature i of channel ch of row r
  fn featureOf(r : i32, ch : i32, i : i32) -> f32 {
    if (i < 7) {
      return comp(r, ch, ipPos(i));
    }
    let w = comp(r, ch, ${W_POS});
    let r2 = normR2(w);
    if (i == 7) {
      let a0 = comp(r, ch, ${A_POS[0]});
      let a1 = comp(r, ch, ${A_POS[1]});
      let a2 = comp(r, ch, ${A_POS[2]});
      return r2 * (a0 * a0 + a1 * a1 + a2 * a2);
    }
    if (i == 8) {
      return r2 * w * w;
    }
    return r2 * w * comp(r, ch, aPos(i - 9));
  }`;

function spec(
  key: string,
  inputs: string[],
  shape: number[],
  count: number,
  code: () => string,
  workgroups?: number,
): ProgramSpec {
  return {
    key,
    inputs,
    outputShape: shape,
    workgroup: WORKGROUP,
    workgroups: workgroups ?? Math.ceil(count / WORKGROUP),
    uniforms: UNIFORMS,
    code: () => `${COMMON}${inputs.includes("qkv") ? COMPONENTS : ""}${code()}`,
  };
}

function featuresForward(t: number, fw: number): ProgramSpec {
  return spec(
    "remul_gatr_attn_features",
    ["qkv", "logw"],
    [t, fw],
    t * fw,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let fw = featW();
    let r = index / fw;
    let col = index - r * fw;
    let h = col / dimD();
    let d = col - h * dimD();
    let isKey = h == uniforms.heads;
    let c = uniforms.c;
    if (d >= 12 * c) {
      let v = qkv[r * qkvW() + h * uniforms.s + d - 12 * c];
      result[index] = select(v * uniforms.scale, v, isKey);
      return;
    }
    let k = d / 12;
    let i = d - 12 * k;
    if (isKey) {
      // key form [ip, −w², −Σ a², 2w·a]
      let ch = uniforms.heads * c + k;
      if (i < 7) {
        result[index] = featureOf(r, ch, i);
      } else if (i == 7) {
        result[index] = -featureOf(r, ch, 8);
      } else if (i == 8) {
        result[index] = -featureOf(r, ch, 7);
      } else {
        result[index] = 2.0 * featureOf(r, ch, i);
      }
      return;
    }
    let m = select(exp(logw[h * c + k]), 1.0, i < 7) * uniforms.scale;
    result[index] = featureOf(r, h * c + k, i) * m;
  }`,
  );
}

function coreForward(t: number, ow: number, h: number): ProgramSpec {
  return spec(
    "remul_gatr_attn_core",
    ["feat", "qkv"],
    [t, ow],
    t * h,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let n = uniforms.items;
    let h = index % uniforms.heads;
    let ri = index / uniforms.heads; // row b·N + i
    let b0 = ri - ri % n; // the sample's first row
    let d = dimD();
    let fw = featW();
    let q = ri * fw + h * d;
    var p : array<f32, ${MAX_ITEMS}>;
    var best = -3.402823e+38;
    for (var j = 0; j < n; j++) {
      let k = (b0 + j) * fw + uniforms.heads * d;
      var acc = 0.0;
      for (var x = 0; x < d; x++) {
        acc += feat[q + x] * feat[k + x];
      }
      p[j] = acc;
      best = max(best, acc);
    }
    var total = 0.0;
    for (var j = 0; j < n; j++) {
      p[j] = exp(p[j] - best);
      total += p[j];
    }
    let w = qkvW();
    let c = uniforms.c;
    let hc = uniforms.heads * c;
    let vMv = mvBase() + hc + c; // the value channels
    let oMv = ri * outW() + uniforms.heads * uniforms.s + h * c;
    for (var pb = 0; pb < 16; pb++) {
      for (var k = 0; k < c; k++) {
        let col = vMv + pb * ctot() + k;
        var acc = 0.0;
        for (var j = 0; j < n; j++) {
          acc += p[j] * qkv[(b0 + j) * w + col];
        }
        result[oMv + pb * hc + k] = acc / total;
      }
    }
    let vS = (uniforms.heads + 1) * uniforms.s;
    for (var e = 0; e < uniforms.s; e++) {
      var acc = 0.0;
      for (var j = 0; j < n; j++) {
        acc += p[j] * qkv[(b0 + j) * w + vS + e];
      }
      result[ri * outW() + h * uniforms.s + e] = acc / total;
    }
  }`,
  );
}

function coreBackward(t: number, gw: number, pairs: number): ProgramSpec {
  return spec(
    "remul_gatr_attn_core_grad",
    ["feat", "qkv", "dy"],
    [t, gw],
    pairs,
    () => `
  var<workgroup> rowMax : array<f32, ${WORKGROUP}>;
  var<workgroup> rowSum : array<f32, ${WORKGROUP}>;
  var<workgroup> rowDot : array<f32, ${WORKGROUP}>;
  fn logit(qRow : i32, kRow : i32, h : i32) -> f32 {
    let d = dimD();
    let q = qRow * featW() + h * d;
    let k = kRow * featW() + uniforms.heads * d;
    var acc = 0.0;
    for (var x = 0; x < d; x++) {
      acc += feat[q + x] * feat[k + x];
    }
    return acc;
  }
  // dP: the output gradient of (row oRow, head h) against the value of row vRow
  fn dProb(oRow : i32, vRow : i32, h : i32) -> f32 {
    let c = uniforms.c;
    let hc = uniforms.heads * c;
    let ct = ctot();
    let o = oRow * outW() + uniforms.heads * uniforms.s + h * c;
    let v = vRow * qkvW() + mvBase() + hc + c;
    var acc = 0.0;
    for (var pb = 0; pb < 16; pb++) {
      for (var k = 0; k < c; k++) {
        acc += dy[o + pb * hc + k] * qkv[v + pb * ct + k];
      }
    }
    let os = oRow * outW() + h * uniforms.s;
    let vs = vRow * qkvW() + (uniforms.heads + 1) * uniforms.s;
    for (var e = 0; e < uniforms.s; e++) {
      acc += dy[os + e] * qkv[vs + e];
    }
    return acc;
  }
  fn main(index : i32) {
    let n = uniforms.items;
    let me = index % ${WORKGROUP}; // this thread's item
    let wgId = index / ${WORKGROUP}; // (sample, head)
    // threads past the last item, and workgroups past the last pair (a dispatch folded into
    // two axes may launch a few), only take part in the barrier
    let live = wgId < uniforms.count && me < n;
    let h = wgId % uniforms.heads;
    let b0 = (wgId / uniforms.heads) * n;
    let row = b0 + me;
    let d = dimD();
    let fw = featW();
    let gw = gradW();
    if (live) {
      // this query row: P, dP, dS, and dQ = dS·K
      var p : array<f32, ${MAX_ITEMS}>;
      var ds : array<f32, ${MAX_ITEMS}>;
      var best = -3.402823e+38;
      for (var j = 0; j < n; j++) {
        p[j] = logit(row, b0 + j, h);
        best = max(best, p[j]);
      }
      var total = 0.0;
      for (var j = 0; j < n; j++) {
        p[j] = exp(p[j] - best);
        total += p[j];
      }
      var pdp = 0.0;
      for (var j = 0; j < n; j++) {
        p[j] = p[j] / total;
        ds[j] = dProb(row, b0 + j, h);
        pdp += p[j] * ds[j];
      }
      for (var j = 0; j < n; j++) {
        ds[j] = p[j] * (ds[j] - pdp);
      }
      for (var x = 0; x < d; x++) {
        var acc = 0.0;
        for (var j = 0; j < n; j++) {
          acc += ds[j] * feat[(b0 + j) * fw + uniforms.heads * d + x];
        }
        result[row * gw + h * d + x] = acc;
      }
      rowMax[me] = best;
      rowSum[me] = total;
      rowDot[me] = pdp;
    }
    workgroupBarrier();
    if (live) {
      // this key's column: the head's share of dK = dSᵀ·Q and dV = Pᵀ·dO
      var pc : array<f32, ${MAX_ITEMS}>;
      var dsc : array<f32, ${MAX_ITEMS}>;
      for (var i = 0; i < n; i++) {
        let pr = exp(logit(b0 + i, row, h) - rowMax[i]) / rowSum[i];
        pc[i] = pr;
        dsc[i] = pr * (dProb(b0 + i, row, h) - rowDot[i]);
      }
      let kvAt = row * gw + shareAt(h);
      for (var x = 0; x < d; x++) {
        var acc = 0.0;
        for (var i = 0; i < n; i++) {
          acc += dsc[i] * feat[(b0 + i) * fw + h * d + x];
        }
        result[kvAt + x] = acc;
      }
      let c = uniforms.c;
      let hc = uniforms.heads * c;
      for (var pb = 0; pb < 16; pb++) {
        for (var k = 0; k < c; k++) {
          let col = uniforms.heads * uniforms.s + pb * hc + h * c + k;
          var acc = 0.0;
          for (var i = 0; i < n; i++) {
            acc += pc[i] * dy[(b0 + i) * outW() + col];
          }
          result[kvAt + d + pb * c + k] = acc;
        }
      }
      for (var e = 0; e < uniforms.s; e++) {
        var acc = 0.0;
        for (var i = 0; i < n; i++) {
          acc += pc[i] * dy[(b0 + i) * outW() + h * uniforms.s + e];
        }
        result[kvAt + d + 16 * c + e] = acc;
      }
    }
  }`,
    pairs,
  );
}

function featuresBackward(t: number, w: number): ProgramSpec {
  return spec(
    "remul_gatr_attn_features_grad",
    ["qkv", "logw", "dcore"],
    [t, w],
    t * w,
    () => `
  // the heads' shares of a key feature's or value's gradient summed (off: within a share)
  fn headSum(r : i32, off : i32) -> f32 {
    var acc = 0.0;
    for (var h = 0; h < uniforms.heads; h++) {
      acc += dcore[r * gradW() + shareAt(h) + off];
    }
    return acc;
  }
  // gradient of query-form feature i of channel ch (query or key) of row r
  fn d0(r : i32, ch : i32, i : i32) -> f32 {
    let c = uniforms.c;
    let hc = uniforms.heads * c;
    if (ch < hc) {
      let at0 = r * gradW() + (ch / c) * dimD() + 12 * (ch % c);
      let m = select(exp(logw[ch]), 1.0, i < 7) * uniforms.scale;
      return dcore[at0 + i] * m;
    }
    let at0 = 12 * (ch - hc);
    if (i < 7) {
      return headSum(r, at0 + i);
    }
    if (i == 7) {
      return -headSum(r, at0 + 8);
    }
    if (i == 8) {
      return -headSum(r, at0 + 7);
    }
    return 2.0 * headSum(r, at0 + i);
  }
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let w = qkvW();
    let r = index / w;
    let col = index - r * w;
    let s = uniforms.s;
    let c = uniforms.c;
    let hs = uniforms.heads * s;
    let gr = r * gradW();
    let sFeat = 12 * c; // the scalars' offset in a head's features
    if (col < hs) {
      result[index] = dcore[gr + (col / s) * dimD() + sFeat + col % s] * uniforms.scale;
      return;
    }
    if (col < hs + s) {
      result[index] = headSum(r, sFeat + col - hs);
      return;
    }
    if (col < hs + 2 * s) {
      result[index] = headSum(r, dimD() + 16 * c + col - hs - s);
      return;
    }
    let cc = col - mvBase();
    let p = cc / ctot();
    let ch = cc % ctot();
    let hc = uniforms.heads * c;
    if (ch >= hc + c) {
      result[index] = headSum(r, dimD() + p * c + ch - hc - c);
      return;
    }
    let ip = ipIndex(p);
    if (ip >= 0) {
      result[index] = d0(r, ch, ip);
      return;
    }
    let wv = comp(r, ch, ${W_POS});
    let r2 = normR2(wv);
    let ai = aIndex(p);
    if (ai >= 0) {
      result[index] = r2 * (2.0 * comp(r, ch, p) * d0(r, ch, 7) + wv * d0(r, ch, 9 + ai));
      return;
    }
    if (p != ${W_POS}) {
      result[index] = 0.0;
      return;
    }
    var wa = 0.0;
    var aa = 0.0;
    for (var i = 0; i < 3; i++) {
      let a = comp(r, ch, aPos(i));
      wa += d0(r, ch, 9 + i) * a;
      aa += a * a;
    }
    let dR2 = d0(r, ch, 7) * aa + d0(r, ch, 8) * wv * wv + wv * wa;
    // d r²/d t₃ = 2t₃(ε − t₃²)/(t₃² + ε)³
    let den = wv * wv + ${f32Literal(ATTN_EPS)};
    let dr2 = 2.0 * wv * (${f32Literal(ATTN_EPS)} - wv * wv) / (den * den * den);
    result[index] = r2 * (2.0 * wv * d0(r, ch, 8) + wa) + dR2 * dr2;
  }`,
  );
}

function logWBackward(h: number, c: number): ProgramSpec {
  return spec(
    "remul_gatr_attn_logw_grad",
    ["feat", "dcore"],
    [h, c],
    h * c,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let at = (index / uniforms.c) * dimD() + 12 * (index % uniforms.c);
    var acc = 0.0;
    for (var r = 0; r < uniforms.rows; r++) {
      for (var i = 7; i < 12; i++) {
        acc += dcore[r * gradW() + at + i] * feat[r * featW() + at + i];
      }
    }
    result[index] = acc;
  }`,
  );
}

function uniforms(a: GatrAttentionAttrs, rows: number, count: number): Uniform[] {
  return [
    ...[a.heads, a.mv, a.s, a.items, rows, count].map((v) => ({
      type: "int32" as const,
      data: [v],
    })),
    { type: "float32", data: [1 / Math.sqrt(12 * a.mv + a.s)] },
  ];
}

type Args = KernelArgs<string, GatrAttentionAttrs>;

/**
 * Registers the five attention kernels for webgpu; idempotent. They need tfjs-backend-webgpu
 * loaded (`initBackend("webgpu")` does both); with them `gatrAttentionAvailable(items)` is true on
 * webgpu for up to 64 items and GATr's attention uses them.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuGatrAttention } from "./webgpu_gatr_attention.ts";
 * installWebGpuGatrAttention();
 * if (!tf.getKernel("RemulGatrAttnCoreGrad", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuGatrAttention(): void {
  const sizes = (a: GatrAttentionAttrs) => {
    const d = 12 * a.mv + a.s;
    const fw = (a.heads + 1) * d;
    return { fw, gw: a.heads * (2 * d + 16 * a.mv + a.s), ow: a.heads * (a.s + 16 * a.mv) };
  };
  registerWebGpuKernels({
    [GATR_ATTN_FEATURES]: ({ inputs: { qkv, logw }, backend, attrs }: Args) => {
      const [t] = qkv.shape;
      const { fw } = sizes(attrs);
      return run(backend, featuresForward(t, fw), [qkv, logw], uniforms(attrs, t, t * fw));
    },
    [GATR_ATTN_CORE]: ({ inputs: { feat, qkv }, backend, attrs }: Args) => {
      const [t] = qkv.shape;
      const spec = coreForward(t, sizes(attrs).ow, attrs.heads);
      return run(backend, spec, [feat, qkv], uniforms(attrs, t, t * attrs.heads));
    },
    [GATR_ATTN_CORE_GRAD]: ({ inputs: { feat, qkv, dy }, backend, attrs }: Args) => {
      const [t] = qkv.shape;
      const pairs = (t / attrs.items) * attrs.heads;
      const spec = coreBackward(t, sizes(attrs).gw, pairs);
      return run(backend, spec, [feat, qkv, dy], uniforms(attrs, t, pairs));
    },
    [GATR_ATTN_FEATURES_GRAD]: ({ inputs: { qkv, logw, dcore }, backend, attrs }: Args) => {
      const [t, w] = qkv.shape;
      return run(backend, featuresBackward(t, w), [qkv, logw, dcore], uniforms(attrs, t, t * w));
    },
    [GATR_ATTN_LOGW_GRAD]: ({ inputs: { feat, dcore }, backend, attrs }: Args) => {
      const [t] = feat.shape;
      const spec = logWBackward(attrs.heads, attrs.mv);
      return run(backend, spec, [feat, dcore], uniforms(attrs, t, attrs.heads * attrs.mv));
    },
  });
}
