/**
 * GATr's bilinear products as WGSL programs for tfjs-backend-webgpu, under the names of the wasm
 * kernels of {@link ./gatr_bilinear.ts} (same inputs, attributes, outputs and layouts; see that
 * module): one dispatch forward and two backward where tfjs's composite launches 15 and 19.
 *
 * The geometric product's 192 and the join's 81 nonzero table entries are written into the shader
 * as one `switch` per product and direction: a case per blade position whose value is the sum of
 * its signed products, so each invocation reads only the components its output needs.
 *
 * - Forward: one invocation per output entry (a carried scalar, or one component of one product).
 * - Gradient of `x`: one invocation per entry of `dx`.
 * - Gradient of the join reference's e123: one invocation per sample, over its rows (`e123` only
 *   gives the number of samples and is not bound: a binding the shader does not read would not
 *   match the pipeline's layout).
 *
 * @module
 */
import { tf } from "../tf.ts";
import {
  f32Literal,
  type ProgramSpec,
  run,
  type TensorInfo,
  type Uniform,
  type WebGPUBackend,
} from "./_webgpu_program.ts";
import {
  GATR_BILINEAR,
  GATR_BILINEAR_GRAD,
  GATR_BILINEAR_REF_GRAD,
  type GatrBilinearAttrs,
  gatrBilinearDims,
  GP_ENTRIES,
  JOIN_ENTRIES,
  type TableEntry,
} from "./gatr_bilinear.ts";

const WORKGROUP = 64;
const UNIFORMS = "h : i32, s : i32, perSample : i32, cw : i32, count : i32,";

/**
 * `fn name(r, ca, cb, q) -> f32`: for blade position `q` (the entries' `key`), the sum of
 * `v · A(r, e.a, ca) · B(r, e.b, cb)` over its entries.
 */
function tableSwitch(
  name: string,
  es: readonly TableEntry[],
  key: "i" | "j" | "k",
  a: [string, "i" | "j" | "k"],
  b: [string, "i" | "j" | "k"],
): string {
  const cases: string[] = [];
  for (let q = 0; q < 16; q++) {
    const terms = es.filter((e) => e[key] === q).map((e) =>
      `${f32Literal(e.v)} * ${a[0]}(r, ${e[a[1]]}, ca) * ${b[0]}(r, ${e[b[1]]}, cb)`
    );
    if (terms.length) cases.push(`case ${q}: { return ${terms.join(" + ")}; }`);
  }
  return `fn ${name}(r : i32, ca : i32, cb : i32, q : i32) -> f32 {
    switch q {
      ${cases.join("\n      ")}
      default: { return 0.0; }
    }
  }`;
}

/** Reader of `x`: blade `p` of channel `ch` in row `r`. */
const READ_X = `
  fn xv(r : i32, p : i32, ch : i32) -> f32 {
    return x[r * 64 * uniforms.h + p * 4 * uniforms.h + ch];
  }`;

/** Reader of the output gradient: blade `p` of product channel `ch` in row `r`. */
const READ_DY = `
  fn dv(r : i32, p : i32, ch : i32) -> f32 {
    return dy[r * (uniforms.s + 32 * uniforms.h) + uniforms.s + p * 2 * uniforms.h + ch];
  }`;

function spec(
  key: string,
  inputs: string[],
  shape: number[],
  count: number,
  code: string,
): ProgramSpec {
  return {
    key,
    inputs,
    outputShape: shape,
    workgroup: WORKGROUP,
    workgroups: Math.ceil(count / WORKGROUP),
    uniforms: UNIFORMS,
    code: `${READ_X}${inputs.includes("dy") ? READ_DY : ""}${code}`,
  };
}

function forward(t: number, w: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear",
    ["x", "e123", "carry"],
    [t, w],
    t * w,
    `
  ${tableSwitch("gp", GP_ENTRIES, "i", ["xv", "j"], ["xv", "k"])}
  ${tableSwitch("joinOut", JOIN_ENTRIES, "i", ["xv", "j"], ["xv", "k"])}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let w = uniforms.s + 32 * uniforms.h;
    let r = index / w;
    let col = index - r * w;
    if (col < uniforms.s) {
      result[index] = carry[r * uniforms.cw + col];
      return;
    }
    let h = uniforms.h;
    let p = (col - uniforms.s) / (2 * h);
    let k = (col - uniforms.s) % (2 * h);
    if (k < h) {
      result[index] = gp(r, k, h + k, p);
    } else {
      result[index] = joinOut(r, h + k, 2 * h + k, p) * e123[r / uniforms.perSample];
    }
  }`,
  );
}

function backward(t: number, h: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear_grad",
    ["x", "e123", "dy"],
    [t, 64 * h],
    t * 64 * h,
    `
  ${tableSwitch("gpLeft", GP_ENTRIES, "j", ["dv", "i"], ["xv", "k"])}
  ${tableSwitch("gpRight", GP_ENTRIES, "k", ["dv", "i"], ["xv", "j"])}
  ${tableSwitch("joinLeft", JOIN_ENTRIES, "j", ["dv", "i"], ["xv", "k"])}
  ${tableSwitch("joinRight", JOIN_ENTRIES, "k", ["dv", "i"], ["xv", "j"])}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let h = uniforms.h;
    let r = index / (64 * h);
    let col = index - r * 64 * h;
    let p = col / (4 * h);
    let ch = col % (4 * h);
    let part = ch / h;
    let k = ch % h;
    let scaleJ = e123[r / uniforms.perSample];
    if (part == 0) {
      result[index] = gpLeft(r, k, h + k, p);
    } else if (part == 1) {
      result[index] = gpRight(r, k, k, p);
    } else if (part == 2) {
      result[index] = joinLeft(r, h + k, 3 * h + k, p) * scaleJ;
    } else {
      result[index] = joinRight(r, h + k, 2 * h + k, p) * scaleJ;
    }
  }`,
  );
}

function refBackward(b: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear_ref_grad",
    ["x", "dy"],
    [b, 1],
    b,
    `
  ${tableSwitch("joinOut", JOIN_ENTRIES, "i", ["xv", "j"], ["xv", "k"])}
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let h = uniforms.h;
    var acc = 0.0;
    for (var r = index * uniforms.perSample; r < (index + 1) * uniforms.perSample; r++) {
      for (var k = 0; k < h; k++) {
        for (var p = 0; p < 16; p++) {
          acc += joinOut(r, 2 * h + k, 3 * h + k, p) * dv(r, p, h + k);
        }
      }
    }
    result[index] = acc;
  }`,
  );
}

function uniforms(h: number, s: number, perSample: number, cw: number, count: number): Uniform[] {
  return [h, s, perSample, cw, count].map((v) => ({ type: "int32" as const, data: [v] }));
}

type Args = {
  inputs: Record<string, TensorInfo>;
  backend: WebGPUBackend;
  attrs: GatrBilinearAttrs;
};

/**
 * Registers `RemulGatrBilinear` and its two gradients for webgpu; idempotent. They need
 * tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); with them
 * `gatrBilinearAvailable()` is true on webgpu and GATr's bilinear layers use them.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuGatrBilinear } from "./webgpu_gatr_bilinear.ts";
 * installWebGpuGatrBilinear();
 * if (!tf.getKernel("RemulGatrBilinearRefGrad", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuGatrBilinear(): void {
  if (tf.getKernel(GATR_BILINEAR, "webgpu")) return;
  const kernels: [string, (x: Args) => TensorInfo][] = [
    [GATR_BILINEAR, ({ inputs: { x, e123, carry }, backend, attrs }) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      const w = s + 32 * h;
      const u = uniforms(h, s, t / b, carry.shape[1], t * w);
      return run(backend, forward(t, w), [x, e123, carry], u);
    }],
    [GATR_BILINEAR_GRAD, ({ inputs: { x, e123, dy }, backend, attrs }) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      return run(backend, backward(t, h), [x, e123, dy], uniforms(h, s, t / b, 0, t * 64 * h));
    }],
    [GATR_BILINEAR_REF_GRAD, ({ inputs: { x, e123, dy }, backend, attrs }) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      return run(backend, refBackward(b), [x, dy], uniforms(h, s, t / b, 0, b));
    }],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc: kernelFunc as never });
  }
}
