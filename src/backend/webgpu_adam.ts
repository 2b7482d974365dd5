/**
 * One Adam step over every parameter as one kernel (`RemulAdamStep`, the interface of
 * {@link ./fused_adam.ts}) for tfjs-backend-webgpu, in WGSL. The step is a handful of GPU
 * programs inside the one kernel, instead of some twenty kernels over the concatenated gradient
 * plus a split and an add per parameter (`src/training/flat_adam.ts`'s composite path, the
 * reference):
 *
 * 1. the gradients are copied end to end into one flat vector, up to 15 per program (a program
 *    binds one storage buffer per input, and WebGPU devices allow 8 to 16 or more);
 * 2. with clipping, each of up to 256 workgroups sums the squares of a share of it;
 * 3. the first and 4. the second moment are updated in place (the moments' own buffers are the
 *    programs' outputs, read and written; a CPU copy left by an earlier `data()` is dropped),
 *    each workgroup first adding up the partial sums for the clipping factor;
 * 5. one program per parameter writes its new weights (a weight's memory may be shared with a
 *    copy, e.g. the best-validation snapshot, so weights are never written in place).
 *
 * The arithmetic follows the composite path operation for operation in float32 (bias correction
 * by division by `1 − βᵗ`, computed on the host; ε added to √v̂).
 *
 * @module
 */
import { tf } from "../tf.ts";
import {
  type ProgramSpec,
  run,
  sizeOf,
  type TensorInfo,
  view,
  type WebGPUBackend,
  workgroupSumWgsl,
} from "./_webgpu_program.ts";
import { type AdamStepAttrs, FUSED_ADAM } from "./fused_adam.ts";

const WORKGROUP = 64;
/** Most workgroups of the partial sums of squares (and partial sums read by every workgroup). */
const MAX_PARTIALS = 256;
/** Most gradients copied by one program. */
const MAX_GATHER = 15;

/** Copies `k` gradients (`count` elements) into the flat vector from `uniforms.base` on. */
function gatherSpec(k: number, count: number, total: number): ProgramSpec {
  const names = Array.from({ length: k }, (_, i) => `g${i}`);
  // the gradient an element belongs to: ends are cumulative sizes within the group
  const branches = names.map((g, i) =>
    `if (index < uniforms.end${i}) {
        result[uniforms.base + index] = ${g}[index${i === 0 ? "" : ` - uniforms.end${i - 1}`}];
        return;
      }`
  ).join("\n      ");
  return {
    key: `remul_adam_gather_${k}`,
    inputs: names,
    outputShape: [total],
    workgroup: WORKGROUP,
    workgroups: Math.ceil(count / WORKGROUP),
    uniforms: `base : i32, ${names.map((_, i) => `end${i} : i32,`).join(" ")}`,
    code: `
  fn main(index : i32) {
    if (index < uniforms.end${k - 1}) {
      ${branches}
    }
  }`,
  };
}

/** Partial sums of squares of `g`: one per workgroup, each striding over the vector. */
function normSpec(total: number): ProgramSpec {
  const groups = Math.min(MAX_PARTIALS, Math.ceil(total / (16 * WORKGROUP)));
  return {
    key: "remul_adam_norm",
    inputs: ["g"],
    outputShape: [groups],
    workgroup: WORKGROUP,
    workgroups: groups,
    uniforms: "count : i32, stride : i32,",
    code: `${workgroupSumWgsl(WORKGROUP)}
  fn main(index : i32) {
    let stride = uniforms.stride; // threads in all
    var s = 0.0;
    for (var i = index; i < uniforms.count; i += stride) {
      s += g[i] * g[i];
    }
    let total = workgroupSum(s, localId.x);
    if (localId.x == 0u && index < stride) {
      setOutputAtIndex(index / ${WORKGROUP}, total);
    }
  }`,
  };
}

/**
 * A moment update in place: `result = β·result + (1 − β)·g` (first moment) or
 * `β·result + g²·(1 − β)` (second), with `g` scaled by the clipping factor.
 */
function momentSpec(which: "m" | "v", clip: boolean, total: number): ProgramSpec {
  const gradient = which === "m"
    ? "(g[index] * scale) * uniforms.oneMinusBeta"
    : "((g[index] * scale) * (g[index] * scale)) * uniforms.oneMinusBeta";
  return {
    key: `remul_adam_${which}${clip ? "_clip" : ""}`,
    inputs: clip ? ["g", "partials"] : ["g"],
    outputShape: [total],
    workgroup: WORKGROUP,
    workgroups: Math.ceil(total / WORKGROUP),
    uniforms: "count : i32, beta : f32, oneMinusBeta : f32, clip : f32,",
    code: `${clip ? workgroupSumWgsl(WORKGROUP) : ""}
  fn main(index : i32) {
    var scale = 1.0;
    ${
      clip
        ? `// global norm from the partial sums; min(1, clip / (norm + 1e-12)) as the composite
    var s = 0.0;
    for (var i = i32(localId.x); i < uniforms.partialsShape; i += ${WORKGROUP}) {
      s += partials[i];
    }
    let norm = sqrt(workgroupSum(s, localId.x));
    scale = min(1.0, uniforms.clip / (norm + 1e-12));`
        : ""
    }
    if (index < uniforms.count) {
      result[index] = result[index] * uniforms.beta + ${gradient};
    }
  }`,
  };
}

/** New weights of one parameter from its slice of the (updated) moments. */
function applySpec(size: number): ProgramSpec {
  return {
    key: "remul_adam_apply",
    inputs: ["p", "m", "v", "hyper"],
    outputShape: [size],
    workgroup: 128,
    workgroups: Math.ceil(size / 128),
    uniforms: "count : i32, offset : i32,",
    code: `
  fn main(index : i32) {
    if (index < uniforms.count) {
      let k = uniforms.offset + index;
      let mHat = m[k] / hyper[0];
      let vHat = v[k] / hyper[1];
      let step = (mHat / (sqrt(vHat) + hyper[2])) * -hyper[3];
      setOutputAtIndex(index, p[index] + step);
    }
  }`,
  };
}

const int = (v: number) => ({ type: "int32" as const, data: [v] });
const float = (v: number) => ({ type: "float32" as const, data: [v] });

function adamStepKernel({ inputs, backend, attrs }: {
  inputs: Record<string, TensorInfo>;
  backend: WebGPUBackend;
  attrs: AdamStepAttrs;
}): TensorInfo[] {
  const n = attrs.n;
  const ps = Array.from({ length: n }, (_, i) => inputs[`p${i}`]);
  const gs = Array.from({ length: n }, (_, i) => view(inputs[`g${i}`], [sizeOf(ps[i].shape)]));
  const sizes = gs.map((g) => g.shape[0]);
  const total = sizes.reduce((a, b) => a + b, 0);
  const m = view(inputs.m, [total]);
  const v = view(inputs.v, [total]);
  if (total === 0) {
    return ps.map((p) => backend.makeTensorInfo([...p.shape], "float32") as TensorInfo);
  }
  const temporaries: TensorInfo[] = [];

  // 1. the gradients end to end
  const flat = backend.makeTensorInfo([total], "float32") as TensorInfo;
  temporaries.push(flat);
  const perProgram = Math.max(
    1,
    Math.min(MAX_GATHER, backend.device.limits.maxStorageBuffersPerShaderStage - 1),
  );
  let base = 0;
  for (let first = 0; first < n; first += perProgram) {
    const group = gs.slice(first, first + perProgram).filter((g) => g.shape[0] > 0);
    if (group.length === 0) continue;
    let end = 0;
    const ends = group.map((g) => (end += g.shape[0]));
    run(backend, gatherSpec(group.length, end, total), group, [int(base), ...ends.map(int)], flat);
    base += end;
  }

  // 2. partial sums of squares for the clipping factor
  const clip = attrs.clip > 0;
  const momentInputs = [flat];
  if (clip) {
    const spec = normSpec(total);
    const partials = run(backend, spec, [flat], [int(total), int(spec.workgroups * WORKGROUP)]);
    temporaries.push(partials);
    momentInputs.push(partials);
  }

  // 3., 4. the moments, in place
  for (const [which, into, beta] of [["m", m, attrs.beta1], ["v", v, attrs.beta2]] as const) {
    run(
      backend,
      momentSpec(which, clip, total),
      momentInputs,
      [int(total), float(beta), float(1 - beta), float(attrs.clip)],
      into,
    );
  }

  // 5. new weights. The step's bias corrections and rate go in as one small tensor, not as
  // uniforms: the uniform blocks then stay the same from step to step (see webgpu_bind_cache.ts),
  // and a step uploads 16 bytes once instead of a block per parameter.
  const hyper = backend.makeTensorInfo(
    [4],
    "float32",
    new Float32Array([
      1 - attrs.beta1 ** attrs.t,
      1 - attrs.beta2 ** attrs.t,
      attrs.epsilon,
      attrs.lr,
    ]),
  ) as TensorInfo;
  temporaries.push(hyper);
  let offset = 0;
  const outs = ps.map((p, i) => {
    const size = sizes[i];
    const out = run(backend, applySpec(size), [view(p, [size]), m, v, hyper], [
      int(size),
      int(offset),
    ]);
    offset += size;
    return view(out, [...p.shape]);
  });
  for (const t of temporaries) backend.disposeData(t.dataId);
  return outs;
}

/**
 * Registers `RemulAdamStep` for webgpu; idempotent. The kernel needs tfjs-backend-webgpu loaded
 * (`initBackend("webgpu")` does both).
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuAdam } from "./webgpu_adam.ts";
 * installWebGpuAdam();
 * if (!tf.getKernel("RemulAdamStep", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuAdam(): void {
  if (tf.getKernel(FUSED_ADAM, "webgpu")) return;
  tf.registerKernel({
    kernelName: FUSED_ADAM,
    backendName: "webgpu",
    kernelFunc: adamStepKernel as never,
  });
}
