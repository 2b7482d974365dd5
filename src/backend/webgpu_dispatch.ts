/**
 * A shorter host path for a dispatch of tfjs-backend-webgpu 4.22, in front of its own
 * `runWebGPUProgram`.
 *
 * Once the uniform blocks and bind groups are cached (`webgpu_bind_cache.ts`), what a dispatch
 * costs the host is mostly tfjs's own bookkeeping around it: per program it builds the pipeline
 * key from the shapes (`makeShaderKey`: broadcast dimensions, joins), looks every tensor up in its
 * data map two or three times (upload check, dtype, binding), and spreads arrays through the
 * ES5 helpers its bundle was compiled with. A CPU profile of GATr's training step on this
 * project's machine put some 17% of the host time outside `queue.submit` there.
 *
 * This path does the same work once per tensor, in the same order, with the same results:
 *
 * - the same pipeline key as tfjs's `makeShaderKey` (tested: after tfjs's own path has compiled a
 *   set of programs, this path compiles none of them again), and the pipeline from tfjs's cache;
 * - the same uniform fields, in the same order (NaN, ∞, each input's and the output's shape and
 *   strides, the size, the program's own), through the backend's `makeUniforms`;
 * - the same bindings (output, inputs, uniforms), the same bind group request, the same compute
 *   pass and submit rules (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`), the same ownership marks.
 *
 * What a dispatch's shapes, dtypes and uniform values determine (the pipeline key, and the
 * uniform slot when the bind cache's arena makes the uniforms) is remembered ({@linkcode
 * DispatchMemo}): a training step repeats the same dispatches, and building the key, the fields
 * and their strides again each time cost GATr's step about 6% of its host time by a CPU profile,
 * plus the garbage. A remembered slot stays right because the arena never rewrites one.
 *
 * Everything else goes to tfjs's own method unchanged: a program whose pipeline is not cached yet
 * (tfjs compiles it), kernel timing (`tf.profile`, `tf.time`), pixel programs, parallel
 * compilation, empty outputs. Results are bit-identical with it on and off (tested, down to a
 * training run's losses and weights); `REMUL_WEBGPU_FAST_DISPATCH=0` turns it off.
 *
 * @module
 */
import { envSwitch } from "./_env_switch.ts";
import { KeyTable } from "./_key_table.ts";
import { tf } from "../tf.ts";
import type { WebGPUBackend } from "./_webgpu_program.ts";
import { stableSlots } from "./webgpu_bind_cache.ts";

/** A tensor as tfjs-webgpu's programs take it. */
interface Info {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: string;
}

/** What tfjs-webgpu keeps per tensor (not public API). */
interface TensorData {
  readonly dtype: string;
  readonly resource: unknown;
}

/** A program as tfjs-webgpu runs it (not public API). */
interface Program {
  shaderKey: string;
  variableNames: string[];
  outputShape: number[];
  dispatch: [number, number, number];
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  workgroupSize?: number[];
  size?: boolean;
  outputComponent?: number;
  pixelsOpType?: unknown;
  pipeline?: GPUComputePipeline | Promise<GPUComputePipeline>;
}

type Uniform = { type: string; data: number[] };

/** What this path uses of tfjs-webgpu's backend object (not public API). */
interface Internals {
  readonly device: GPUDevice;
  readonly tensorMap: { get(dataId: object): TensorData };
  readonly pipelineCache: Record<string, GPUComputePipeline | Promise<GPUComputePipeline>>;
  readonly activeTimers: unknown;
  readonly commandQueueOwnedIds: WeakSet<object>;
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  makeTensorInfo(shape: number[], dtype: string): Info;
  uploadToGPU(dataId: object): void;
  makeUniforms(fields: Uniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  runWebGPUProgram(
    program: Program,
    inputs: Info[],
    outputDtype: string,
    uniforms?: Uniform[],
    output?: Info,
  ): Info;
}

/** The environment variable that turns this path off (`0`) in every thread. */
export const FAST_DISPATCH_ENV = "REMUL_WEBGPU_FAST_DISPATCH";

/** Counts of this thread's dispatches by path, since install (or the last reset). */
export const fastDispatchStats = { fast: 0, tfjs: 0 };

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** tfjs-core's `backend_util.getBroadcastDims`, joined with `_` as `makeShaderKey` joins it. */
function broadcastDimsKey(inShape: readonly number[], outShape: readonly number[]): string {
  const inRank = inShape.length;
  let key = "";
  for (let dim = 0; dim < inRank; dim++) {
    const i = inRank - 1 - dim;
    const a = inShape[dim] || 1;
    const b = outShape[outShape.length - 1 - i] || 1;
    if (b > 1 && a === 1) key += key === "" ? `${dim}` : `_${dim}`;
  }
  return key;
}

/**
 * tfjs-webgpu 4.22's `makeShaderKey` for a program that is not a pixel program: the program's key,
 * its workgroup size, the ranks and dtypes of its inputs and output, its variable names, each
 * input's broadcast dimensions and whether its shape is the output's, and whether the dispatch
 * is flat. The same string, so that both paths share tfjs's pipeline cache.
 */
export function shaderKeyOf(
  program: Pick<Program, "shaderKey" | "workgroupSize" | "variableNames" | "dispatch">,
  inputs: readonly { shape: readonly number[]; dtype: string }[],
  output: { shape: readonly number[]; dtype: string },
): string {
  let ranks = "";
  let types = "";
  let broadcast = "";
  let equal = "";
  for (let i = 0; i < inputs.length; i++) {
    const sep = i === 0 ? "" : ",";
    ranks += sep + inputs[i].shape.length;
    types += sep + inputs[i].dtype;
    broadcast += (i === 0 ? "" : ";") + broadcastDimsKey(inputs[i].shape, output.shape);
    equal += (i === 0 ? "" : "_") + sameShape(inputs[i].shape, output.shape);
  }
  ranks += (inputs.length === 0 ? "" : ",") + output.shape.length;
  types += (inputs.length === 0 ? "" : ",") + output.dtype;
  const flat = program.dispatch[1] === 1 && program.dispatch[2] === 1 ? "flatDispatch" : "";
  return `${program.shaderKey}_${program.workgroupSize ? program.workgroupSize.join(",") : ""}` +
    ranks + types + program.variableNames.join(",") + broadcast + equal + flat;
}

function strides(shape: readonly number[]): number[] {
  const rank = shape.length;
  if (rank < 2) return [];
  const s = new Array<number>(rank - 1);
  s[rank - 2] = shape[rank - 1];
  for (let i = rank - 3; i >= 0; --i) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** What a dispatch's shapes, dtypes and uniforms determine. */
interface MemoLeaf {
  /** The pipeline key (`shaderKeyOf`). */
  readonly key: string;
  /** The uniform slot, where the backend's slots are stable (the bind cache's arena). */
  slot?: GPUBufferBinding;
}

/**
 * Per program and the shapes, dtypes and uniform values of a dispatch: its pipeline key and its
 * uniform slot, instead of building the key, the uniform fields and their strides again on every
 * dispatch. Everything that goes into either is one of the key's values: the program's key,
 * variable names, workgroup size, flat dispatch, size field and output components; each input's
 * dtype and shape; the output's; the program's uniform values (each variable-length part after
 * its length). The key is looked up in a {@linkcode KeyTable} (one hash, one compare; `-0` is not
 * `0`): a tree of maps, one per value, cost more in cache misses than the work it saved.
 */
export class DispatchMemo {
  readonly #table: KeyTable<MemoLeaf>;

  constructor(maxEntries = 1 << 14) {
    this.#table = new KeyTable({ maxEntries });
  }

  /** The leaf of a dispatch, made (with its key) on first sight. */
  leaf(
    program: Program,
    inputs: readonly Info[],
    dtypes: readonly string[],
    out: Info,
    uniforms: readonly Uniform[] | undefined,
  ): MemoLeaf {
    const t = this.#table;
    t.begin();
    t.pushString(program.shaderKey);
    const names = program.variableNames;
    t.push(names.length);
    for (let i = 0; i < names.length; i++) t.pushString(names[i]);
    t.pushAll(program.workgroupSize ?? []);
    t.push(program.dispatch[1] === 1 && program.dispatch[2] === 1 ? 1 : 0);
    t.push(program.outputComponent ?? -1);
    t.pushAll(program.size ? program.outputShape : []);
    t.push(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      t.pushString(dtypes[i]);
      t.pushAll(inputs[i].shape);
    }
    t.pushString(out.dtype);
    t.pushAll(out.shape);
    t.push(uniforms?.length ?? 0);
    if (uniforms) {
      for (const u of uniforms) {
        t.pushString(u.type);
        t.pushAll(u.data);
      }
    }
    const found = t.find();
    if (found) return found;
    if (t.full) t.clear();
    const keyInputs = inputs.map((x, i) => ({ shape: x.shape, dtype: dtypes[i] }));
    const leaf: MemoLeaf = { key: shaderKeyOf(program, keyInputs, out) };
    t.add(leaf);
    return leaf;
  }
}

/** The uniform fields tfjs-webgpu's `runWebGPUProgram` passes to `makeUniforms`, in order. */
function uniformFields(
  program: Program,
  inputs: readonly Info[],
  out: Info,
  programUniforms: readonly Uniform[] | undefined,
): Uniform[] {
  const fields: Uniform[] = [NAN, INFINITY];
  for (let i = 0; i < inputs.length; i++) {
    fields.push({ type: "int32", data: inputs[i].shape });
    fields.push({ type: "int32", data: strides(inputs[i].shape) });
  }
  fields.push({ type: "int32", data: out.shape });
  fields.push({ type: "int32", data: strides(out.shape) });
  if (program.size) {
    const size = sizeOf(program.outputShape);
    fields.push({
      type: "int32",
      data: [program.outputComponent ? size / program.outputComponent : size],
    });
  }
  if (programUniforms) { for (const u of programUniforms) fields.push(u); }
  return fields;
}

const NAN: Uniform = { type: "float32", data: [NaN] };
const INFINITY: Uniform = { type: "float32", data: [Infinity] };
const INSTALLED = Symbol.for("remul-bench.fastDispatch");

/**
 * Puts the shorter path in front of a tfjs-webgpu backend's `runWebGPUProgram` (idempotent per
 * backend). Off when `enabled` is false or `REMUL_WEBGPU_FAST_DISPATCH=0`.
 *
 * @returns one line for the record of the run's settings.
 * @throws Error when `REMUL_WEBGPU_FAST_DISPATCH` is neither 0 nor 1.
 */
export function installWebGpuFastDispatch(backend: WebGPUBackend, enabled?: boolean): string {
  const { on, source } = envSwitch(FAST_DISPATCH_ENV, enabled);
  if (!on) return `WebGPU dispatch: tfjs's own runWebGPUProgram (${source})`;
  const b = backend as unknown as Internals & Record<PropertyKey, unknown>;
  if (!b[INSTALLED]) {
    b[INSTALLED] = true;
    const original = b.runWebGPUProgram;
    const memo = new DispatchMemo();
    const maxPerDimension = b.device.limits.maxComputeWorkgroupsPerDimension;
    b.runWebGPUProgram = function (
      this: Internals,
      program: Program,
      inputs: Info[],
      outputDtype: string,
      programUniforms?: Uniform[],
      output?: Info,
    ): Info {
      if (
        this.activeTimers != null || program.pixelsOpType != null ||
        !program.dispatch.every((d) => d <= maxPerDimension) ||
        tf.env().getBool("WEBGPU_ENGINE_COMPILE_ONLY")
      ) {
        fastDispatchStats.tfjs++;
        return original.call(this, program, inputs, outputDtype, programUniforms, output);
      }
      const out = output ?? this.makeTensorInfo(program.outputShape, outputDtype);
      if (sizeOf(out.shape) === 0) {
        fastDispatchStats.tfjs++;
        return original.call(this, program, inputs, outputDtype, programUniforms, out);
      }
      // uploads in tfjs's order: the output, then the inputs
      const map = this.tensorMap;
      const onGpu = (dataId: object) => {
        const d = map.get(dataId);
        if (d.resource != null) return d;
        this.uploadToGPU(dataId);
        return map.get(dataId);
      };
      const outData = onGpu(out.dataId);
      let buffers = outData.resource instanceof GPUBuffer;
      const datas: TensorData[] = new Array(inputs.length);
      for (let i = 0; i < inputs.length; i++) {
        datas[i] = onGpu(inputs[i].dataId);
        buffers &&= datas[i].resource instanceof GPUBuffer;
      }
      // the buffers' dtypes, as tfjs keys them (an int32 buffer may back a bool tensor)
      const dtypes: string[] = new Array(inputs.length);
      for (let i = 0; i < inputs.length; i++) dtypes[i] = datas[i].dtype;
      const leaf = memo.leaf(program, inputs, dtypes, out, programUniforms);
      const key = leaf.key;
      const pipeline = this.pipelineCache[key];
      if (!buffers || pipeline === undefined || pipeline instanceof Promise) {
        fastDispatchStats.tfjs++;
        return original.call(this, program, inputs, outputDtype, programUniforms, out);
      }
      fastDispatchStats.fast++;
      program.shaderKey = key;
      program.pipeline = pipeline;
      let uniforms = leaf.slot;
      if (!uniforms) {
        uniforms = this.makeUniforms(uniformFields(program, inputs, out, programUniforms));
        if (stableSlots(this.makeUniforms)) leaf.slot = uniforms;
      }
      const entries: GPUBindGroupEntry[] = new Array(inputs.length + 2);
      entries[0] = { binding: 0, resource: { buffer: outData.resource as GPUBuffer } };
      for (let i = 0; i < inputs.length; i++) {
        entries[i + 1] = { binding: i + 1, resource: { buffer: datas[i].resource as GPUBuffer } };
      }
      entries[inputs.length + 1] = {
        binding: inputs.length + 1,
        resource: uniforms,
      };
      const owned = this.commandQueueOwnedIds;
      for (let i = 0; i < inputs.length; i++) owned.add(inputs[i].dataId);
      owned.add(out.dataId);
      const bindGroup = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries,
      });
      this.ensureCommandEncoderReady();
      if (!this.computePassEncoder) {
        this.computePassEncoder = this.commandEncoder!.beginComputePass({});
      }
      const pass = this.computePassEncoder;
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
      this.dispatchCountInPass++;
      if (
        (tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") as number) <= this.dispatchCountInPass
      ) {
        this.endComputePassEncoder();
        this.submitQueue();
      }
      return out;
    } as typeof b.runWebGPUProgram;
  }
  return `WebGPU dispatch: the project's shorter path for programs already compiled (${source})`;
}
