/**
 * GATr's pre-norm and MLP nonlinearity on packed rows as WGSL programs for tfjs-backend-webgpu,
 * under the names of the wasm kernels of {@link ./gatr_rows.ts} (`RemulGatrNorm`,
 * `RemulGatrNormGrad`, `RemulGatrGate`, `RemulGatrGateGrad`; same inputs, attributes and
 * outputs): one dispatch each where tfjs's composite launches some 8 to 28 (see that module).
 *
 * - Norm, both ways: one workgroup per row (64 threads, fewer for narrow rows), the threads
 *   striding over the row's columns and combining their partial sums in workgroup memory: the
 *   scalars' sum, then their squared deviations (two passes, as `tf.moments`), the multivectors'
 *   masked squared norm; backward also `Σ dy`, `Σ dy·ŷ` over the scalars and `Σ dy·x` over the
 *   multivectors.
 * - Residual norm (`RemulGatrResidualNorm`): the block's residual sum `x + y` and the norm of it
 *   in one program (written end to end, copied out into two tensors); backward the norm's gradient
 *   plus the sum's own incoming gradient (`add`), which tfjs would add in a kernel of its own.
 * - Gate forward: elementwise, each multivector column reading its channel's blade position 0.
 * - Gate backward: one invocation per scalar, and one per multivector channel, which sums
 *   `dy·x` over the channel's 16 blades and writes them.
 *
 * `erf` is Abramowitz & Stegun 7.1.26, as tfjs's `Erf` on every backend.
 *
 * @module
 */
import {
  f32Literal,
  halvesOf,
  type KernelArgs,
  type ProgramSpec,
  registerResidualNormGradient,
  registerWebGpuKernels,
  run,
  type TensorInfo,
  type Uniform,
  type WebGPUBackend,
  workgroupSumWgsl,
} from "./_webgpu_program.ts";
import {
  ERF,
  GATR_GATE,
  GATR_GATE_GRAD,
  GATR_NORM,
  GATR_NORM_GRAD,
  GATR_RESIDUAL_NORM,
  GATR_RESIDUAL_NORM_GRAD,
  type GatrGateAttrs,
  type GatrNormAttrs,
  type GatrRowDims,
  gatrRowDims,
  GELU_TANH,
  SCALAR_NORM_EPS,
} from "./gatr_rows.ts";

const ELEMENTWISE = 64;
const UNIFORMS = "rows : i32, w : i32, s : i32, c : i32, mask : i32, eps : f32, count : i32,";

function uniforms(d: GatrRowDims, count: number, mask = 0, eps = 0): Uniform[] {
  return [
    ...[d.t, d.w, d.s, d.c, mask].map((v) => ({ type: "int32" as const, data: [v] })),
    { type: "float32", data: [eps] },
    { type: "int32", data: [count] },
  ];
}

const [P, A1, A2, A3, A4, A5] = [ERF.p, ERF.a1, ERF.a2, ERF.a3, ERF.a4, ERF.a5].map(f32Literal);
const [GELU_C, GELU_K] = [GELU_TANH.c, GELU_TANH.k].map(f32Literal);

/** WGSL helpers: tfjs's `erf` and the σ of the tanh GELU. */
const GELU_WGSL = `
  fn erfApprox(a : f32) -> f32 {
    let v = abs(a);
    let t = 1.0 / (1.0 + ${P} * v);
    let poly = ((((${A5} * t + ${A4}) * t + ${A3}) * t + ${A2}) * t + ${A1}) * t;
    return sign(a) * (1.0 - poly * exp(-v * v));
  }
  fn geluSigmoid(v : f32) -> f32 {
    return 1.0 / (1.0 + exp(-${GELU_C} * (v + ${GELU_K} * v * v * v)));
  }`;

/** Threads per row: the row's width rounded up to a power of two, from 4 to 64. */
function workgroupFor(cols: number): number {
  return Math.min(64, Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(cols, 1)))));
}

/**
 * The norm programs: per row the statistics (`mean`, `inv` of the scalars; `sq`, `rs` of the
 * multivectors) of `value(i)` (`x[i]`, or `x[i] + y[i]` with an input `y`), then `body`.
 */
function normSpec(
  key: string,
  inputs: string[],
  d: GatrRowDims,
  body: string,
  outputShape = [d.t, d.w],
): ProgramSpec {
  const size = workgroupFor(d.w);
  const value = inputs.includes("y") ? "x[i] + y[i]" : "x[i]";
  return {
    key: `${key}_${size}`,
    inputs,
    outputShape,
    workgroup: size,
    workgroups: d.t,
    uniforms: UNIFORMS,
    code: () =>
      `${workgroupSumWgsl(size)}
  fn value(i : i32) -> f32 {
    return ${value};
  }
  fn masked(i : i32) -> bool {
    let p = (i - uniforms.s) / max(uniforms.c, 1);
    return i >= uniforms.s && ((uniforms.mask >> u32(p)) & 1) != 0;
  }
  fn main(index : i32) {
    let tid = localId.x;
    let row = index / ${size};
    // a dispatch folded into two axes may launch a few workgroups past the last row
    let live = row < uniforms.rows;
    let s = uniforms.s;
    let w = uniforms.w;
    let base = row * w;
    let sN = f32(max(s, 1));
    var sum = 0.0;
    var sq = 0.0;
    if (live) {
      for (var i = i32(tid); i < w; i += ${size}) {
        let v = value(base + i);
        if (i < s) {
          sum += v;
        } else if (masked(i)) {
          sq += v * v;
        }
      }
    }
    let mean = workgroupSum(sum, tid) / sN;
    let norm2 = workgroupSum(sq, tid) / f32(max(uniforms.c, 1));
    var dev = 0.0;
    if (live) {
      for (var i = i32(tid); i < s; i += ${size}) {
        let v = value(base + i) - mean;
        dev += v * v;
      }
    }
    let inv = inverseSqrt(workgroupSum(dev, tid) / sN + ${f32Literal(SCALAR_NORM_EPS)});
    let rs = inverseSqrt(max(norm2, uniforms.eps));
    ${body}
  }`,
  };
}

function normForward(d: GatrRowDims): ProgramSpec {
  return normSpec(
    "remul_gatr_norm",
    ["x"],
    d,
    `if (live) {
      for (var i = i32(tid); i < w; i += ${workgroupFor(d.w)}) {
        let v = value(base + i);
        result[base + i] = select(v * rs, (v - mean) * inv, i < s);
      }
    }`,
  );
}

/** `x + y` and its norm, end to end: `[2, T, W]`. */
function residualForward(d: GatrRowDims): ProgramSpec {
  return normSpec(
    "remul_gatr_residual_norm",
    ["x", "y"],
    d,
    `if (live) {
      for (var i = i32(tid); i < w; i += ${workgroupFor(d.w)}) {
        let v = value(base + i);
        result[base + i] = v;
        result[uniforms.rows * w + base + i] = select(v * rs, (v - mean) * inv, i < s);
      }
    }`,
    [2, d.t, d.w],
  );
}

/** The norm's `dx`; with `add`, plus `add` (the residual kernel's gradient). */
function normBackward(d: GatrRowDims, add = false): ProgramSpec {
  const size = workgroupFor(d.w);
  const plus = add ? " + add[base + i]" : "";
  return normSpec(
    add ? "remul_gatr_residual_norm_grad" : "remul_gatr_norm_grad",
    add ? ["x", "dy", "add"] : ["x", "dy"],
    d,
    `var sumDy = 0.0;
    var sumDyY = 0.0;
    var sumDyX = 0.0;
    if (live) {
      for (var i = i32(tid); i < w; i += ${size}) {
        let g = dy[base + i];
        let v = value(base + i);
        if (i < s) {
          sumDy += g;
          sumDyY += g * (v - mean) * inv;
        } else {
          sumDyX += g * v;
        }
      }
    }
    let meanDy = workgroupSum(sumDy, tid) / sN;
    let meanDyY = workgroupSum(sumDyY, tid) / sN;
    let gx = workgroupSum(sumDyX, tid);
    // dx = dy·rs − m·x·rs³·[σ ≥ eps]·Σ dy·x, m = 1/C on the masked blades
    let k = select(0.0, gx * rs * rs * rs / f32(max(uniforms.c, 1)), norm2 >= uniforms.eps);
    if (live) {
      for (var i = i32(tid); i < w; i += ${size}) {
        let g = dy[base + i];
        let v = value(base + i);
        if (i < s) {
          result[base + i] = inv * (g - meanDy - (v - mean) * inv * meanDyY)${plus};
        } else {
          result[base + i] = g * rs - select(0.0, v * k, masked(i))${plus};
        }
      }
    }`,
  );
}

function gateForward(d: GatrRowDims): ProgramSpec {
  const count = d.t * d.w;
  return {
    key: "remul_gatr_gate",
    inputs: ["x"],
    outputShape: [d.t, d.w],
    workgroup: ELEMENTWISE,
    workgroups: Math.ceil(count / ELEMENTWISE),
    uniforms: UNIFORMS,
    code: () =>
      `${GELU_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let row = index / uniforms.w;
    let i = index - row * uniforms.w;
    let v = x[index];
    if (i < uniforms.s) {
      result[index] = 0.5 * v * (1.0 + erfApprox(v * ${f32Literal(Math.SQRT1_2)}));
    } else {
      let x0 = x[row * uniforms.w + uniforms.s + (i - uniforms.s) % uniforms.c];
      result[index] = v * x0 * geluSigmoid(x0);
    }
  }`,
  };
}

function gateBackward(d: GatrRowDims): ProgramSpec {
  const units = d.s + d.c;
  const count = d.t * units;
  const k3 = f32Literal(3 * GELU_TANH.k);
  return {
    key: "remul_gatr_gate_grad",
    inputs: ["x", "dy"],
    outputShape: [d.t, d.w],
    workgroup: ELEMENTWISE,
    workgroups: Math.ceil(count / ELEMENTWISE),
    uniforms: UNIFORMS,
    code: () =>
      `${GELU_WGSL}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let units = uniforms.s + uniforms.c;
    let row = index / units;
    let u = index - row * units;
    let base = row * uniforms.w;
    if (u < uniforms.s) {
      // d/dx [x·Φ(x)] = Φ(x) + x·φ(x)
      let v = x[base + u];
      let phi = exp(-0.5 * v * v) * ${f32Literal(1 / Math.sqrt(2 * Math.PI))};
      let grad = 0.5 * (1.0 + erfApprox(v * ${f32Literal(Math.SQRT1_2)})) + v * phi;
      result[base + u] = dy[base + u] * grad;
      return;
    }
    // channel k: dx = dy·gate, plus GELU'(x₀)·Σ dy·x on blade position 0
    let first = base + u;
    let x0 = x[first];
    let sg = geluSigmoid(x0);
    let gate = x0 * sg;
    var g = 0.0;
    for (var p = 0; p < 16; p++) {
      let j = first + p * uniforms.c;
      g += dy[j] * x[j];
      result[j] = dy[j] * gate;
    }
    let dGate = sg + x0 * sg * (1.0 - sg) * ${GELU_C} * (1.0 + ${k3} * x0 * x0);
    result[first] = dy[first] * gate + dGate * g;
  }`,
  };
}

type Inputs = { x: TensorInfo; dy?: TensorInfo };

function kernel(
  program: (d: GatrRowDims) => ProgramSpec,
  count: (d: GatrRowDims) => number,
) {
  return ({ inputs, backend, attrs }: {
    inputs: Inputs;
    backend: WebGPUBackend;
    attrs: GatrNormAttrs | GatrGateAttrs;
  }) => {
    const d = gatrRowDims(inputs.x, attrs.sChannels);
    const { bladeMask = 0, eps = 0 } = attrs as Partial<GatrNormAttrs>;
    const tensors = inputs.dy ? [inputs.x, inputs.dy] : [inputs.x];
    return run(backend, program(d), tensors, uniforms(d, count(d), bladeMask, eps));
  };
}

/**
 * Registers `RemulGatrNorm`, `RemulGatrGate` and their gradients for webgpu; idempotent. The
 * kernels need tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); with them,
 * `gatrRowsAvailable()` is true on webgpu and GATr's pre-norms and MLP nonlinearities use them.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuGatrRows } from "./webgpu_gatr_rows.ts";
 * installWebGpuGatrRows();
 * if (!tf.getKernel("RemulGatrNormGrad", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuGatrRows(): void {
  registerWebGpuKernels({
    [GATR_NORM]: kernel(normForward, (d) => d.t),
    [GATR_NORM_GRAD]: kernel(normBackward, (d) => d.t),
    [GATR_GATE]: kernel(gateForward, (d) => d.t * d.w),
    [GATR_GATE_GRAD]: kernel(gateBackward, (d) => d.t * (d.s + d.c)),
    [GATR_RESIDUAL_NORM]: (
      { inputs: { x, y }, backend, attrs }: KernelArgs<"x" | "y", GatrNormAttrs>,
    ) => {
      const d = gatrRowDims(x, attrs.sChannels);
      const n = d.t * d.w;
      if (n === 0) {
        const empty = () => backend.makeTensorInfo([...x.shape], "float32", new Float32Array(0));
        return [empty(), empty()];
      }
      const both = run(
        backend,
        residualForward(d),
        [x, y],
        uniforms(d, d.t, attrs.bladeMask, attrs.eps),
      );
      return halvesOf(backend, both, x.shape);
    },
    [GATR_RESIDUAL_NORM_GRAD]: ({
      inputs: { x, dy, add },
      backend,
      attrs,
    }: KernelArgs<"x" | "dy" | "add", GatrNormAttrs>) => {
      const d = gatrRowDims(x, attrs.sChannels);
      return run(
        backend,
        normBackward(d, true),
        [x, dy, add],
        uniforms(d, d.t, attrs.bladeMask, attrs.eps),
      );
    },
  });
  registerResidualNormGradient(GATR_RESIDUAL_NORM, GATR_RESIDUAL_NORM_GRAD);
}
