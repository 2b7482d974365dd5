/**
 * GATr's bilinear products as WGSL programs for tfjs-backend-webgpu, under the names of the wasm
 * kernels of {@link ./gatr_bilinear.ts} (same inputs, attributes, outputs and layouts; see that
 * module): one dispatch forward and two backward where tfjs's composite launches 15 and 19.
 *
 * The geometric product's 192 and the join's 81 nonzero table entries are written into the shader
 * as straight-line sums over private arrays (one statement per output blade), so every invocation
 * runs the same code: an earlier form with one invocation per output entry and a `switch` over
 * its blade diverged within every workgroup and, at GATr's cost config, took a quarter of the
 * step's GPU time on llvmpipe.
 *
 * - Forward: one invocation per (row, channel) loads the channel's four operands and writes its
 *   geometric product and join (16 blades each); one more per carried scalar.
 * - Gradient of `x`: one invocation per (row, channel) writes the gradients of its four operands.
 * - Gradient of the join reference's e123: one invocation per sample, over its rows (`e123` only
 *   gives the number of samples and is not bound: a binding the shader does not read would not
 *   match the pipeline's layout).
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
const UNIFORMS = "h : i32, s : i32, perSample : i32, cw : i32, rows : i32, count : i32,";

type Slot = "i" | "j" | "k";

/**
 * WGSL: `Σ v·A[e.a]·B[e.b]` over the entries whose `key` slot is `q`, `A` and `B` private arrays;
 * `0.0` where there is none.
 */
function sum(
  es: readonly TableEntry[],
  key: Slot,
  q: number,
  a: [string, Slot],
  b: [string, Slot],
) {
  const terms = es.filter((e) => e[key] === q).map((e) =>
    `${f32Literal(e.v)} * ${a[0]}[${e[a[1]]}] * ${b[0]}[${e[b[1]]}]`
  );
  return terms.length ? terms.join(" + ") : "0.0";
}

/** WGSL: `result[at(q)] = sum(q)·factor` for the 16 blade positions `q`. */
function writes(
  at: (q: number) => string,
  es: readonly TableEntry[],
  key: Slot,
  a: [string, Slot],
  b: [string, Slot],
  factor = "",
): string {
  return Array.from(
    { length: 16 },
    (_, q) => `result[${at(q)}] = (${sum(es, key, q, a, b)})${factor};`,
  ).join("\n    ");
}

/** WGSL: private arrays `name[16]` loaded with blade positions 0..15 by `read(p)`. */
function load(name: string, read: string): string {
  return `var ${name} : array<f32, 16>;
    for (var p = 0; p < 16; p++) {
      ${name}[p] = ${read};
    }`;
}

/** Readers of `x` (blade `p` of channel `ch` in row `r`) and of the output gradient. */
const READ_X = `
  fn xv(r : i32, p : i32, ch : i32) -> f32 {
    return x[r * 64 * uniforms.h + p * 4 * uniforms.h + ch];
  }`;
const READ_DY = `
  fn dv(r : i32, p : i32, ch : i32) -> f32 {
    return dy[r * (uniforms.s + 32 * uniforms.h) + uniforms.s + p * 2 * uniforms.h + ch];
  }`;

/** The four operands of channel k of row r as private arrays `l`, `rr`, `jl`, `jr`. */
const LOAD_OPERANDS = `${load("l", "xv(r, p, k)")}
    ${load("rr", "xv(r, p, h + k)")}
    ${load("jl", "xv(r, p, 2 * h + k)")}
    ${load("jr", "xv(r, p, 3 * h + k)")}`;

function spec(
  key: string,
  inputs: string[],
  shape: number[],
  count: number,
  code: () => string,
): ProgramSpec {
  return {
    key,
    inputs,
    outputShape: shape,
    workgroup: WORKGROUP,
    workgroups: Math.ceil(count / WORKGROUP),
    uniforms: UNIFORMS,
    code: () => `${READ_X}${inputs.includes("dy") ? READ_DY : ""}${code()}`,
  };
}

function forward(t: number, w: number, count: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear",
    ["x", "e123", "carry"],
    [t, w],
    count,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let h = uniforms.h;
    let w = uniforms.s + 32 * h;
    let units = uniforms.rows * h;
    if (index >= units) {
      // a carried scalar
      let q = index - units;
      let r = q / uniforms.s;
      let e = q - r * uniforms.s;
      result[r * w + e] = carry[r * uniforms.cw + e];
      return;
    }
    let r = index / h;
    let k = index - r * h;
    ${LOAD_OPERANDS}
    let o = r * w + uniforms.s + k;
    let ref0 = e123[r / uniforms.perSample];
    ${writes((q) => `o + ${q} * 2 * h`, GP_ENTRIES, "i", ["l", "j"], ["rr", "k"])}
    ${writes((q) => `o + ${q} * 2 * h + h`, JOIN_ENTRIES, "i", ["jl", "j"], ["jr", "k"], " * ref0")}
  }`,
  );
}

function backward(t: number, h: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear_grad",
    ["x", "e123", "dy"],
    [t, 64 * h],
    t * h,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let h = uniforms.h;
    let r = index / h;
    let k = index - r * h;
    ${LOAD_OPERANDS}
    let ref0 = e123[r / uniforms.perSample];
    ${load("dg", "dv(r, p, k)")}
    ${load("dj", "dv(r, p, h + k) * ref0")}
    let o = r * 64 * h + k;
    ${writes((q) => `o + ${q} * 4 * h`, GP_ENTRIES, "j", ["dg", "i"], ["rr", "k"])}
    ${writes((q) => `o + ${q} * 4 * h + h`, GP_ENTRIES, "k", ["dg", "i"], ["l", "j"])}
    ${writes((q) => `o + ${q} * 4 * h + 2 * h`, JOIN_ENTRIES, "j", ["dj", "i"], ["jr", "k"])}
    ${writes((q) => `o + ${q} * 4 * h + 3 * h`, JOIN_ENTRIES, "k", ["dj", "i"], ["jl", "j"])}
  }`,
  );
}

/** The reference gradient's sum over the 16 blades (WGSL; built when the pipeline is compiled). */
function refTerms(): string {
  return Array.from(
    { length: 16 },
    (_, q) =>
      `acc += dv(r, ${q}, h + k) * (${sum(JOIN_ENTRIES, "i", q, ["jl", "j"], ["jr", "k"])});`,
  ).join("\n        ");
}

function refBackward(b: number): ProgramSpec {
  return spec(
    "remul_gatr_bilinear_ref_grad",
    ["x", "dy"],
    [b, 1],
    b,
    () => `
  fn main(index : i32) {
    if (index >= uniforms.count) {
      return;
    }
    let h = uniforms.h;
    var acc = 0.0;
    for (var r = index * uniforms.perSample; r < (index + 1) * uniforms.perSample; r++) {
      for (var k = 0; k < h; k++) {
        ${load("jl", "xv(r, p, 2 * h + k)")}
        ${load("jr", "xv(r, p, 3 * h + k)")}
        ${refTerms()}
      }
    }
    result[index] = acc;
  }`,
  );
}

function uniforms(
  h: number,
  s: number,
  perSample: number,
  cw: number,
  rows: number,
  count: number,
): Uniform[] {
  return [h, s, perSample, cw, rows, count].map((v) => ({ type: "int32" as const, data: [v] }));
}

type Args = KernelArgs<string, GatrBilinearAttrs>;

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
  registerWebGpuKernels({
    [GATR_BILINEAR]: ({ inputs: { x, e123, carry }, backend, attrs }: Args) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      const count = t * (h + s);
      const u = uniforms(h, s, t / b, carry.shape[1], t, count);
      return run(backend, forward(t, s + 32 * h, count), [x, e123, carry], u);
    },
    [GATR_BILINEAR_GRAD]: ({ inputs: { x, e123, dy }, backend, attrs }: Args) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      return run(backend, backward(t, h), [x, e123, dy], uniforms(h, s, t / b, 0, t, t * h));
    },
    [GATR_BILINEAR_REF_GRAD]: ({ inputs: { x, e123, dy }, backend, attrs }: Args) => {
      const { t, h, b, s } = gatrBilinearDims(x, e123, attrs.sChannels);
      return run(backend, refBackward(b), [x, dy], uniforms(h, s, t / b, 0, t, b));
    },
  });
}
