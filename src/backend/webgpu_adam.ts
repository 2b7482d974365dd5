/**
 * One Adam step over every parameter as one kernel (`RemulAdamStep`, the interface of
 * {@link ./fused_adam.ts}) for tfjs-backend-webgpu, in WGSL. The step is a handful of GPU
 * programs inside the one kernel, instead of some twenty kernels over the concatenated gradient
 * plus a split and an add per parameter (`src/training/flat_adam.ts`'s composite path, the
 * reference):
 *
 * 1. the gradients are copied end to end into one flat vector by buffer copies (no program: a
 *    copy costs the host none of a dispatch's uniform block, bind group and pipeline);
 * 2. with clipping, each of up to 256 workgroups sums the squares of a share of it;
 * 3. the first and 4. the second moment are updated in place (the moments' own buffers are the
 *    programs' outputs, read and written; a CPU copy left by an earlier `data()` is dropped),
 *    each workgroup first adding up the partial sums for the clipping factor;
 * 5. one program computes every new weight, end to end, in the flat mirror of the weights that
 *    the caller keeps (input `w`), and each parameter's new weights are copied out: with
 *    `inPlace`, into the parameter's own memory (the kernel then returns no tensors; the caller
 *    makes sure no other tensor shares it, as a clone does), otherwise into a tensor of its own.
 *    In place, a parameter keeps its buffer from step to step, which is what lets a training step
 *    be recorded and replayed (`webgpu_step_replay.ts`). The mirror holds what the last step
 *    gave each parameter: a parameter that still holds that tensor (the caller assigned it and
 *    nothing since) is not copied in again; one assigned anything else is. Without `w`, every
 *    parameter is copied into a temporary. Four programs a step in all (three without
 *    clipping), whatever the number of parameters; before, a gather per 15 gradients and a
 *    program per parameter.
 *
 * The arithmetic follows the composite path operation for operation in float32 (bias correction
 * by division by `1 − βᵗ`, computed on the host; ε added to √v̂).
 *
 * @module
 */
import {
  copyElements,
  copyOut,
  type ProgramSpec,
  registerWebGpuKernels,
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
    code: () =>
      `${workgroupSumWgsl(WORKGROUP)}
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
    code: () =>
      `${clip ? workgroupSumWgsl(WORKGROUP) : ""}
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

/** New weights of every parameter, end to end and in place, from the (updated) moments. */
function applySpec(total: number): ProgramSpec {
  return {
    key: "remul_adam_apply_in_place",
    inputs: ["m", "v", "hyper"],
    outputShape: [total],
    workgroup: 128,
    workgroups: Math.ceil(total / 128),
    uniforms: "count : i32,",
    code: () => `
  fn main(index : i32) {
    if (index < uniforms.count) {
      let mHat = m[index] / hyper[0];
      let vHat = v[index] / hyper[1];
      let step = (mHat / (sqrt(vHat) + hyper[2])) * -hyper[3];
      result[index] = result[index] + step;
    }
  }`,
  };
}

/**
 * Per mirror (by its data id): the tensors (data ids) the last step copied out of it, one per
 * parameter; a parameter holding that tensor still has the mirror's weights.
 */
const mirrored = new WeakMap<object, readonly object[]>();

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
    if (attrs.inPlace) return [];
    return ps.map((p) => backend.makeTensorInfo([...p.shape], "float32") as TensorInfo);
  }
  const temporaries: TensorInfo[] = [];

  // 1. the gradients end to end, by buffer copies (no program)
  const flat = backend.makeTensorInfo([total], "float32") as TensorInfo;
  temporaries.push(flat);
  let base = 0;
  for (const g of gs) {
    copyElements(backend, g, 0, flat, base, g.shape[0]);
    base += g.shape[0];
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

  // 5. new weights: the parameters the mirror does not hold copied into it, one program over all
  // of them in place, and each parameter's new weights copied out: into the parameter's own
  // memory (`inPlace`: the caller checked that no other tensor shares it), or into a tensor of
  // its own (a parameter's memory may be shared with a copy, e.g. a clone). The step's bias
  // corrections and rate go in as one small tensor, not as uniforms, so that the uniform block
  // stays the same from step to step (see webgpu_bind_cache.ts); the caller may make it
  // (`hyper`), as training does so that a step's uploads are values it can name.
  const hyper = inputs.hyper ?? backend.makeTensorInfo(
    [4],
    "float32",
    new Float32Array([
      1 - attrs.beta1 ** attrs.t,
      1 - attrs.beta2 ** attrs.t,
      attrs.epsilon,
      attrs.lr,
    ]),
  ) as TensorInfo;
  if (!inputs.hyper) temporaries.push(hyper);
  const given = inputs.w;
  if (given && sizeOf(given.shape) !== total) {
    throw new Error(
      `${FUSED_ADAM}: the weights' mirror has ${sizeOf(given.shape)} elements, not ${total}`,
    );
  }
  const weights = given
    ? view(given, [total])
    : backend.makeTensorInfo([total], "float32") as TensorInfo;
  if (!given) temporaries.push(weights);
  const last = given ? mirrored.get(given.dataId) : undefined;
  let offset = 0;
  ps.forEach((p, i) => {
    if (last?.[i] !== p.dataId) copyElements(backend, p, 0, weights, offset, sizes[i]);
    offset += sizes[i];
  });
  run(backend, applySpec(total), [m, v, hyper], [int(total)], weights);
  offset = 0;
  const outs: TensorInfo[] = [];
  ps.forEach((p, i) => {
    if (attrs.inPlace) copyElements(backend, weights, offset, p, 0, sizes[i]);
    else outs.push(copyOut(backend, weights, offset, p.shape));
    offset += sizes[i];
  });
  if (given) mirrored.set(given.dataId, (attrs.inPlace ? ps : outs).map((o) => o.dataId));
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
  registerWebGpuKernels({ [FUSED_ADAM]: adamStepKernel });
}
