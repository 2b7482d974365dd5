/**
 * The fixed sparse linear map of {@link ./sparse_linear.ts} and its adjoint as WGSL programs for
 * tfjs-backend-webgpu, under the names of the host kernels (`RemulSparseLinear`,
 * `RemulSparseLinearAdjoint`; same inputs, attributes and outputs):
 *
 * `outputs[out[e]][pos[e]] += coef[e] · inputs[src[e]][idx[e]]` (and, for the adjoint, the same
 * entries read the other way).
 *
 * A gather, no atomics: each element of a target (an output of the map, an input of the adjoint)
 * is one invocation that adds up its own entries, in the order the plan lists them, in float32.
 * The entries are grouped by target element on the host, once per plan and direction, and
 * uploaded once as one int32 array (the index), cached on the plan for the backend's lifetime:
 *
 * - `[0, S]`: where each source starts when the sources are packed into one array (prefix sums of
 *   their sizes, `S` sources);
 * - per target, its row starts: `size + 1` positions in the index, element `j`'s entries lying
 *   in `[start[j], start[j + 1])`;
 * - the entries, three ints each: the source, the position in it, the coefficient's float32 bits.
 *
 * One program gathers every target (the map's outputs, the adjoint's input gradients) end to
 * end into one array, binding the index, the sources and that array; each target is then copied
 * out into a tensor of its own by a buffer copy, which costs the host none of a dispatch's uniform
 * block, bind group and pipeline (one program a call instead of one per target). A program may bind at most
 * `maxStorageBuffersPerShaderStage` storage buffers (the adapter's own limit since
 * `webgpu_device_fix.ts`; WebGPU's default is 8): when the sources and the two other buffers do
 * not fit, the sources are first copied into one array (in as many copy programs as the limit
 * needs), and every target program reads that. GATr's assembly binds at most six variables, its
 * adjoint three gradients: no copy there.
 *
 * Sources of size zero are bound as one zero float (a WebGPU binding cannot be empty; no entry
 * reads it); targets of size zero launch nothing (tfjs returns them empty).
 *
 * @module
 */
import {
  copyOut,
  type ProgramSpec,
  registerWebGpuKernels,
  run,
  sizeOf,
  type TensorInfo,
  type Uniform,
  view,
  type WebGPUBackend,
} from "./_webgpu_program.ts";
import { SPARSE_LINEAR, SPARSE_LINEAR_ADJOINT, type SparseLinearPlan } from "./sparse_linear.ts";

const WORKGROUP = 64;
/** Ints per entry in the index: source, position in it, coefficient's bits. */
const ENTRY = 3;

/**
 * One direction of a plan as a gather, its index on the GPU. The targets are gathered as one
 * array, end to end (one program), and copied out into a tensor each.
 */
interface Gather {
  /** `[length]` int32, see the module doc; one target, the targets end to end. */
  readonly index: TensorInfo;
  /** Where the row starts of the targets end to end begin in the index. */
  readonly base: number;
  /** Per target: its shape. */
  readonly targetShapes: readonly (readonly number[])[];
  /** Per target: where it starts in the targets end to end. */
  readonly targetOffsets: readonly number[];
  /** Per source: its element count. */
  readonly sourceSizes: readonly number[];
}

/** The entries of one direction: target and position, source and position, coefficient. */
export interface GatherEntries {
  readonly target: Int32Array;
  readonly targetPos: Int32Array;
  readonly source: Int32Array;
  readonly sourcePos: Int32Array;
  readonly coef: Float64Array;
}

/**
 * The index of a gather (see the module doc), built on the host: the entries grouped by target
 * element by a counting sort, which keeps each element's entries in plan order.
 *
 * @param targetSizes element count of each target.
 * @param sourceSizes element count of each source.
 * @param e the entries, `target[targetPos] += coef · source[sourcePos]`.
 * @returns the index and where each target's row starts begin in it.
 *
 * @example
 * ```ts
 * import { gatherIndex } from "./webgpu_sparse_linear.ts";
 * // one target of 2 elements and one source of 3: target[1] = 2·source[0]
 * const { index, bases } = gatherIndex([2], [3], {
 *   target: Int32Array.of(0),
 *   targetPos: Int32Array.of(1),
 *   source: Int32Array.of(0),
 *   sourcePos: Int32Array.of(0),
 *   coef: Float64Array.of(2),
 * });
 * // source offsets [0, 3]; row starts [5, 5, 8]; the entry (0, 0, bits of 2)
 * if (bases[0] !== 2 || index.slice(0, 7).join() !== "0,3,5,5,8,0,0") throw new Error();
 * ```
 */
export function gatherIndex(
  targetSizes: readonly number[],
  sourceSizes: readonly number[],
  e: GatherEntries,
): { index: Int32Array; bases: number[] } {
  const count = e.target.length;
  const bases: number[] = [];
  let at = sourceSizes.length + 1;
  for (const n of targetSizes) {
    bases.push(at);
    at += n + 1;
  }
  const first = at; // the entries follow the row starts
  const index = new Int32Array(first + ENTRY * count);
  const bits = new Float32Array(index.buffer); // the same memory, for the coefficients
  let offset = 0;
  sourceSizes.forEach((n, s) => {
    index[s] = offset;
    offset += n;
  });
  index[sourceSizes.length] = offset;
  // entries per element, then each element's first entry (positions in the index)
  const perElement = targetSizes.map((n) => new Int32Array(n));
  for (let k = 0; k < count; k++) perElement[e.target[k]][e.targetPos[k]]++;
  let next = first;
  targetSizes.forEach((n, t) => {
    for (let j = 0; j < n; j++) {
      index[bases[t] + j] = next;
      next += ENTRY * perElement[t][j];
    }
    index[bases[t] + n] = next;
  });
  const fill = targetSizes.map((n, t) => index.slice(bases[t], bases[t] + n));
  for (let k = 0; k < count; k++) {
    const slot = fill[e.target[k]][e.targetPos[k]];
    fill[e.target[k]][e.targetPos[k]] += ENTRY;
    index[slot] = e.source[k];
    index[slot + 1] = e.sourcePos[k];
    bits[slot + 2] = e.coef[k];
  }
  return { index, bases };
}

/** Frees a cached index once its plan is collected. */
const release = new FinalizationRegistry<{ backend: WebGPUBackend; dataId: object }>(
  ({ backend, dataId }) => backend.disposeData(dataId),
);

/** Per backend, per plan: the gathers of the map and of its adjoint, built when first used. */
const gathers = new WeakMap<
  WebGPUBackend,
  WeakMap<SparseLinearPlan, { forward?: Gather; adjoint?: Gather }>
>();

function gatherOf(
  backend: WebGPUBackend,
  plan: SparseLinearPlan,
  direction: "forward" | "adjoint",
): Gather {
  let perPlan = gathers.get(backend);
  if (!perPlan) gathers.set(backend, perPlan = new WeakMap());
  let cached = perPlan.get(plan);
  if (!cached) perPlan.set(plan, cached = {});
  const found = cached[direction];
  if (found) return found;
  const outputSizes = plan.outputShapes.map(sizeOf);
  const forward = direction === "forward";
  const targetShapes = forward ? plan.outputShapes : plan.inputShapes;
  const sourceSizes = forward ? plan.inputSizes : outputSizes;
  const entries = forward
    ? { target: plan.out, targetPos: plan.pos, source: plan.src, sourcePos: plan.idx }
    : { target: plan.src, targetPos: plan.idx, source: plan.out, sourcePos: plan.pos };
  // the targets end to end: one target, each entry's position shifted by its target's offset
  const targetSizes = targetShapes.map(sizeOf);
  const targetOffsets: number[] = [];
  let total = 0;
  for (const n of targetSizes) {
    targetOffsets.push(total);
    total += n;
  }
  const { index, bases } = gatherIndex([total], sourceSizes, {
    target: new Int32Array(entries.target.length),
    targetPos: entries.targetPos.map((p, k) => targetOffsets[entries.target[k]] + p),
    source: entries.source,
    sourcePos: entries.sourcePos,
    coef: plan.coef,
  });
  const info = backend.makeTensorInfo([index.length], "int32", index) as TensorInfo;
  release.register(plan, { backend, dataId: info.dataId });
  return cached[direction] = {
    index: info,
    base: bases[0],
    targetShapes,
    targetOffsets,
    sourceSizes,
  };
}

let bindingLimit: number | undefined;

/**
 * Sets the storage buffers a program may bind, below the device's own limit (`undefined`: the
 * device's); tests use it to force the sources to be packed.
 *
 * @example
 * ```ts
 * import { setWebGpuSparseLinearBindings } from "./webgpu_sparse_linear.ts";
 * setWebGpuSparseLinearBindings(4); // pack once the sources are more than two
 * setWebGpuSparseLinearBindings(undefined);
 * ```
 */
export function setWebGpuSparseLinearBindings(limit: number | undefined): void {
  if (limit !== undefined && limit < 3) {
    throw new Error(`setWebGpuSparseLinearBindings: ${limit} bindings, a program needs 3`);
  }
  bindingLimit = limit;
}

function bindings(backend: WebGPUBackend): number {
  const device = backend.device.limits.maxStorageBuffersPerShaderStage;
  return Math.min(device, bindingLimit ?? device);
}

/** A program over `size` elements; `code` is called only when the pipeline is compiled. */
function launch(
  key: string,
  inputs: string[],
  size: number,
  uniforms: string,
  code: () => string,
) {
  const spec: ProgramSpec = {
    key,
    inputs,
    outputShape: [size],
    workgroup: WORKGROUP,
    workgroups: Math.ceil(size / WORKGROUP),
    uniforms,
    code,
  };
  return spec;
}

/** WGSL: `load(s, i)`, element `i` of source `s`, from `sources` bindings or the packed array. */
function loadWgsl(sources: number | "packed"): string {
  if (sources === "packed") {
    return `fn load(s : i32, i : i32) -> f32 {
    return packed[plan[s] + i];
  }`;
  }
  const cases = Array.from(
    { length: sources },
    (_, s) => `case ${s}: { v = source${s}[i]; }`,
  );
  return `fn load(s : i32, i : i32) -> f32 {
    var v = 0.0;
    switch s {
      ${cases.join("\n      ")}
      default: {}
    }
    return v;
  }`;
}

/** `target[j] = Σ coef · load(source, position)` over element `j`'s entries. */
function gatherProgramOf(sources: number | "packed", size: number): ProgramSpec {
  const names = sources === "packed"
    ? ["packed"]
    : Array.from({ length: sources }, (_, s) => `source${s}`);
  return launch(
    `remul_sparse_linear_${sources}`,
    ["plan", ...names],
    size,
    "count : i32, base : i32,",
    () => `
  ${loadWgsl(sources)}
  fn main(element : i32) {
    if (element >= uniforms.count) {
      return;
    }
    let first = plan[uniforms.base + element];
    let last = plan[uniforms.base + element + 1];
    var acc = 0.0;
    for (var e = first; e < last; e += ${ENTRY}) {
      acc += bitcast<f32>(plan[e + 2]) * load(plan[e], plan[e + 1]);
    }
    result[element] = acc;
  }`,
  );
}

/** Copies `sources` arrays into one, each at its offset (`count`: the longest). */
function packProgramOf(sources: number, size: number): ProgramSpec {
  const names = Array.from({ length: sources }, (_, s) => `source${s}`);
  const fields = names.map((_, s) => `size${s} : i32, offset${s} : i32,`).join(" ");
  return launch(
    `remul_sparse_linear_pack_${sources}`,
    names,
    size,
    `count : i32, ${fields}`,
    () => `
  fn main(element : i32) {
    if (element >= uniforms.count) {
      return;
    }
    ${
      names.map((name, s) =>
        `if (element < uniforms.size${s}) {
      result[uniforms.offset${s} + element] = ${name}[element];
    }`
      ).join("\n    ")
    }
  }`,
  );
}

/**
 * A spec per number of sources and size, made once: a step launches the same few dozen, and
 * making one builds its key string and arrays again (a spec is never changed after).
 */
function memoSpecs<S extends number | "packed">(
  make: (sources: S, size: number) => ProgramSpec,
): (sources: S, size: number) => ProgramSpec {
  const made = new Map<S, Map<number, ProgramSpec>>();
  return (sources, size) => {
    let bySize = made.get(sources);
    if (!bySize) made.set(sources, bySize = new Map());
    let spec = bySize.get(size);
    if (!spec) bySize.set(size, spec = make(sources, size));
    return spec;
  };
}

const gatherProgram = memoSpecs(gatherProgramOf);
const packProgram = memoSpecs(packProgramOf);

const int = (v: number): Uniform => ({ type: "int32", data: [v] });

/**
 * Runs one direction: `sources` (the map's inputs or the adjoint's output gradients, in plan
 * order) to one tensor per target, in the target's shape.
 */
function apply(backend: WebGPUBackend, g: Gather, sources: TensorInfo[]): TensorInfo[] {
  const owned: TensorInfo[] = [];
  let zero: TensorInfo | undefined;
  // flat views (any rank), an empty one replaced by one zero float
  const bindable = (t: TensorInfo, size: number) => {
    if (size > 0) return view(t, [size]);
    zero ??= backend.makeTensorInfo([1], "float32", new Float32Array(1)) as TensorInfo;
    return zero;
  };
  const flat = sources.map((t, s) => bindable(t, g.sourceSizes[s]));
  const limit = bindings(backend);
  let bound: TensorInfo[] = flat;
  let mode: number | "packed" = flat.length;
  if (flat.length + 2 > limit) {
    // the index and the target take two bindings; a copy program binds its output and the rest
    const total = g.sourceSizes.reduce((a, n) => a + n, 0);
    let packed: TensorInfo | undefined;
    for (let from = 0; from < flat.length; from += limit - 1) {
      const chunk = flat.slice(from, from + limit - 1);
      const sizes = g.sourceSizes.slice(from, from + limit - 1);
      const longest = Math.max(...sizes);
      if (longest === 0) continue;
      let offset = g.sourceSizes.slice(0, from).reduce((a, n) => a + n, 0);
      const fields = sizes.flatMap((n) => [int(n), int((offset += n) - n)]);
      packed = run(
        backend,
        packProgram(chunk.length, total),
        chunk,
        [int(longest), ...fields],
        packed,
      );
    }
    if (packed) owned.push(packed);
    bound = [packed ?? bindable(flat[0], 0)];
    mode = "packed";
  }
  // one program for the targets end to end, then each target copied out (a buffer copy costs the
  // host none of a dispatch's uniform block, bind group and pipeline)
  const total = g.targetShapes.reduce((a, shape) => a + sizeOf(shape), 0);
  const all = total > 0
    ? run(backend, gatherProgram(mode, total), [g.index, ...bound], [int(total), int(g.base)])
    : undefined;
  if (all) owned.push(all);
  const outputs = g.targetShapes.map((shape, t) =>
    copyOut(backend, all!, g.targetOffsets[t], shape)
  );
  if (zero) owned.push(zero);
  for (const t of owned) backend.disposeData(t.dataId);
  return outputs;
}

type Attrs = { plan: SparseLinearPlan };

/** The kernel of one direction; inputs arrive as an array (keyed "0", "1", …). */
function kernel(direction: "forward" | "adjoint") {
  return ({ inputs, backend, attrs }: {
    inputs: Record<string, TensorInfo>;
    backend: WebGPUBackend;
    attrs: Attrs;
  }): TensorInfo[] =>
    apply(backend, gatherOf(backend, attrs.plan, direction), Object.values(inputs));
}

/**
 * Registers `RemulSparseLinear` and `RemulSparseLinearAdjoint` for webgpu; idempotent. The
 * kernels need tfjs-backend-webgpu loaded (`initBackend("webgpu")` does both); with them,
 * `sparseLinearAvailable()` is true on webgpu and GATr's equivariant linear maps assemble their
 * weights with them.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { installWebGpuSparseLinear } from "./webgpu_sparse_linear.ts";
 * installWebGpuSparseLinear();
 * if (!tf.getKernel("RemulSparseLinearAdjoint", "webgpu")) throw new Error();
 * ```
 */
export function installWebGpuSparseLinear(): void {
  registerWebGpuKernels({
    [SPARSE_LINEAR]: kernel("forward"),
    [SPARSE_LINEAR_ADJOINT]: kernel("adjoint"),
  });
}
