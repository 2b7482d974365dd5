/**
 * Multi-head self-attention over at most 64 tokens as one WGSL kernel each way for
 * tfjs-backend-webgpu, under the names of the wasm/cpu kernels of
 * {@link ./fused_attention.ts} (`RemulFusedAttention`, `RemulFusedAttentionGrad`): from the fused
 * projection `qkv [B, N, 3·H·D]` (per token q, k, v, each split into H heads of width D) to the
 * heads' outputs `[B, N, H·D]`, softmax(q·kᵀ/√D)·v per head, no mask. The composite form (5-D
 * transpose, unstack, two batched matmuls, scale, softmax, transpose back, and the gradients of
 * each) is about 25 kernels per layer; `attentionComposite` in `src/models/nn.ts` is the
 * reference.
 *
 * Forward: one invocation per (batch, head, query token) computes its row of probabilities in
 * private memory and its output row. Gradient: one workgroup per (batch, head), one thread per
 * token; each thread computes its row's softmax statistics and dQ, shares the statistics
 * through workgroup memory, then computes its token's column of P and dS for dV = Pᵀ·dO and
 * dK = dSᵀ·Q (dS = P ∘ (dP − rowsum(P ∘ dP))/√D).
 *
 * @module
 */
import {
  type KernelArgs,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
  type TensorInfo,
} from "./_webgpu_program.ts";
import { FUSED_ATTENTION, MAX_TOKENS } from "./fused_attention.ts";

const FORWARD_WORKGROUP = 64;

/** Indexing shared by both passes (uniforms: heads, headDim, scale). */
const LAYOUT = `
  // qkv [B, N, 3, H, D] row-major; out [B, N, H, D]
  fn qkvAt(b : i32, token : i32, part : i32, h : i32) -> i32 {
    let c = uniforms.heads * uniforms.headDim;
    return ((b * uniforms.tokens + token) * 3 + part) * c + h * uniforms.headDim;
  }
  fn outAt(b : i32, token : i32, h : i32) -> i32 {
    let c = uniforms.heads * uniforms.headDim;
    return (b * uniforms.tokens + token) * c + h * uniforms.headDim;
  }
  fn dotRows(a : i32, b : i32) -> f32 {
    var acc = 0.0;
    for (var t = 0; t < uniforms.headDim; t++) {
      acc += qkv[a + t] * qkv[b + t];
    }
    return acc;
  }`;

const UNIFORMS = "heads : i32, headDim : i32, tokens : i32, scale : f32, count : i32,";

function forwardSpec(b: number, n: number, h: number, d: number): ProgramSpec {
  const count = b * h * n;
  return {
    key: "remul_attention",
    inputs: ["qkv"],
    outputShape: [b, n, h * d],
    workgroup: FORWARD_WORKGROUP,
    workgroups: Math.ceil(count / FORWARD_WORKGROUP),
    uniforms: UNIFORMS,
    code: () =>
      `${LAYOUT}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let n = uniforms.tokens;
    let i = index % n;
    let h = (index / n) % uniforms.heads;
    let b = index / (n * uniforms.heads);
    let q = qkvAt(b, i, 0, h);
    var p : array<f32, ${MAX_TOKENS}>;
    var best = -3.402823e+38;
    for (var j = 0; j < n; j++) {
      p[j] = dotRows(q, qkvAt(b, j, 1, h)) * uniforms.scale;
      best = max(best, p[j]);
    }
    var total = 0.0;
    for (var j = 0; j < n; j++) {
      p[j] = exp(p[j] - best);
      total += p[j];
    }
    for (var j = 0; j < n; j++) {
      p[j] = p[j] / total;
    }
    let o = outAt(b, i, h);
    for (var t = 0; t < uniforms.headDim; t++) {
      var acc = 0.0;
      for (var j = 0; j < n; j++) {
        acc += p[j] * qkv[qkvAt(b, j, 2, h) + t];
      }
      setOutputAtIndex(o + t, acc);
    }
  }`,
  };
}

/**
 * The gradient. The workgroup has `size` threads, N rounded up to a power of two (at most seven
 * pipelines), and shares only each row's softmax statistics: a tile of P (N² floats) made
 * llvmpipe take minutes to compile the shader at N = 64 (it zero-fills workgroup memory with
 * one store per element). Entries of P, dP and dS are recomputed from q, k, v instead, and the
 * thread of token r accumulates its rows of dQ, dK and dV in the output itself.
 */
function backwardSpec(b: number, n: number, h: number, d: number): ProgramSpec {
  const size = 2 ** Math.ceil(Math.log2(n));
  return {
    key: `remul_attention_grad_${size}`,
    inputs: ["qkv", "dy"],
    outputShape: [b, n, 3 * h * d],
    workgroup: size,
    workgroups: b * h,
    uniforms: UNIFORMS,
    code: () =>
      `${LAYOUT}
  // per query token i of this (batch, head): max and sum of its scores, rowsum(P ∘ dP)
  var<workgroup> rowMax : array<f32, ${size}>;
  var<workgroup> rowSum : array<f32, ${size}>;
  var<workgroup> rowDot : array<f32, ${size}>;
  // score S[i, j] = q_i · k_j / √D
  fn score(b : i32, i : i32, j : i32, h : i32) -> f32 {
    return dotRows(qkvAt(b, i, 0, h), qkvAt(b, j, 1, h)) * uniforms.scale;
  }
  // dP[i, j] = dO_i · v_j
  fn dProb(b : i32, i : i32, j : i32, h : i32) -> f32 {
    let o = outAt(b, i, h);
    let v = qkvAt(b, j, 2, h);
    var acc = 0.0;
    for (var t = 0; t < uniforms.headDim; t++) {
      acc += dy[o + t] * qkv[v + t];
    }
    return acc;
  }
  fn main(index : i32) {
    let n = uniforms.tokens;
    let r = index % ${size}; // this thread's token
    let pair = index / ${size};
    // threads past the last token, and workgroups past the last pair (a dispatch folded into
    // two axes may launch a few), only take part in the barrier
    let live = pair < uniforms.count && r < n;
    let h = pair % uniforms.heads;
    let b = pair / uniforms.heads;
    let dq = qkvAt(b, r, 0, h); // dQ, dK, dV sit where Q, K, V do
    let dk = qkvAt(b, r, 1, h);
    let dv = qkvAt(b, r, 2, h);
    if (live) {
      var best = -3.402823e+38;
      for (var j = 0; j < n; j++) {
        best = max(best, score(b, r, j, h));
      }
      var total = 0.0;
      for (var j = 0; j < n; j++) {
        total += exp(score(b, r, j, h) - best);
      }
      var pdp = 0.0;
      for (var j = 0; j < n; j++) {
        pdp += exp(score(b, r, j, h) - best) / total * dProb(b, r, j, h);
      }
      rowMax[r] = best;
      rowSum[r] = total;
      rowDot[r] = pdp;
      // dQ_r = Σ_j dS[r, j]·k_j, dS = P ∘ (dP − rowsum(P ∘ dP))·scale
      for (var t = 0; t < uniforms.headDim; t++) {
        result[dq + t] = 0.0;
        result[dk + t] = 0.0;
        result[dv + t] = 0.0;
      }
      for (var j = 0; j < n; j++) {
        let p = exp(score(b, r, j, h) - best) / total;
        let ds = p * (dProb(b, r, j, h) - pdp) * uniforms.scale;
        let k = qkvAt(b, j, 1, h);
        for (var t = 0; t < uniforms.headDim; t++) {
          result[dq + t] += ds * qkv[k + t];
        }
      }
    }
    workgroupBarrier();
    if (live) {
      // column r: dV_r = Σ_i P[i, r]·dO_i; dK_r = Σ_i dS[i, r]·q_i
      for (var i = 0; i < n; i++) {
        let p = exp(score(b, i, r, h) - rowMax[i]) / rowSum[i];
        let ds = p * (dProb(b, i, r, h) - rowDot[i]) * uniforms.scale;
        let o = outAt(b, i, h);
        let q = qkvAt(b, i, 0, h);
        for (var t = 0; t < uniforms.headDim; t++) {
          result[dv + t] += p * dy[o + t];
          result[dk + t] += ds * qkv[q + t];
        }
      }
    }
  }`,
  };
}

type Attrs = { heads: number };

function dims(qkv: TensorInfo, heads: number) {
  const [b, n, c3] = qkv.shape;
  const d = c3 / 3 / heads;
  const uniforms = [
    { type: "int32" as const, data: [heads] },
    { type: "int32" as const, data: [d] },
    { type: "int32" as const, data: [n] },
    { type: "float32" as const, data: [1 / Math.sqrt(d)] },
  ];
  return { b, n, h: heads, d, uniforms };
}

/**
 * Registers `RemulFusedAttention` and `RemulFusedAttentionGrad` for webgpu; idempotent. The
 * kernels need tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); the gradient is
 * registered by `installFusedAttention`.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuAttention } from "./webgpu_attention.ts";
 * installWebGpuAttention();
 * if (!tf.getKernel("RemulFusedAttention", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuAttention(): void {
  registerWebGpuKernels({
    [FUSED_ATTENTION]: ({ inputs, backend, attrs }: KernelArgs<"qkv", Attrs>) => {
      const { b, n, h, d, uniforms } = dims(inputs.qkv, attrs.heads);
      return run(backend, forwardSpec(b, n, h, d), [inputs.qkv], [
        ...uniforms,
        { type: "int32", data: [b * h * n] },
      ]);
    },
    [`${FUSED_ATTENTION}Grad`]: ({ inputs, backend, attrs }: KernelArgs<"qkv" | "dy", Attrs>) => {
      const { b, n, h, d, uniforms } = dims(inputs.qkv, attrs.heads);
      return run(backend, backwardSpec(b, n, h, d), [inputs.qkv, inputs.dy], [
        ...uniforms,
        { type: "int32", data: [b * h] },
      ]);
    },
  });
}
