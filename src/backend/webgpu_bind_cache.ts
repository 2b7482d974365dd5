/**
 * Host cost per WebGPU dispatch, cut by two caches in front of tfjs-backend-webgpu 4.22.
 *
 * Per kernel, tfjs-webgpu packs a small uniform block (shapes, strides, sizes), takes a buffer for
 * it from its pool and writes it with `queue.writeBuffer`, asks the pipeline for its bind-group
 * layout, and creates a bind group naming the output, the inputs and the uniform buffer. Under
 * Deno these calls are where the host time of a dispatch goes: measured on this project's
 * development machine (Deno 2.9.6, llvmpipe), per dispatch, `writeBuffer` 31–35 µs,
 * `createBindGroup` 43–46 µs and `getBindGroupLayout` 4 µs of 148–158 µs outside `queue.submit`;
 * with the caches, 60–64 µs (`docs/measurements/2026-11-29-webgpu-host/host-cost.ts`), and 39–42
 * µs once command buffers took 200 kernels (`../2026-11-29-webgpu-dispatch/host-cost.txt`).
 * On a real GPU, where the kernels themselves take microseconds, that host time is the step.
 *
 * In a training loop the same kernels run with the same shapes every step, so both are
 * cacheable:
 *
 * - **Uniform blocks by content** ({@linkcode UniformArena}). A block's bytes are written once
 *   into a slot of a larger uniform buffer, and every later kernel whose block has the same bytes
 *   binds that slot. A slot is never rewritten, so no submitted command buffer can see a change;
 *   a block written for a kernel that is recorded but not yet submitted is on the queue before
 *   that kernel's command buffer (as tfjs's own `writeBuffer` is).
 * - **Bind groups by what they bind** ({@linkcode BindGroupCache}): the layout (memoised per
 *   pipeline, so that it has an identity) and, per entry, the buffer, offset and size. A cached
 *   bind group binds exactly the resources a new one would. The buffer pool, made to hand out
 *   its oldest free buffer (`webgpu_buffer_pool.ts`), gives the same buffers to the same kernels
 *   from step to step, which is what makes the hits. A buffer that is destroyed takes its bind
 *   groups out of the cache first.
 *
 * Both look their keys up in one hashed table (`_key_table.ts`, as the dispatch path's memo does),
 * are bounded (a full cache starts again empty), count their hits and misses
 * ({@linkcode bindCacheStats}), and can be switched off (`REMUL_WEBGPU_BIND_CACHE=0`) to compare.
 * The kernels, their inputs and outputs are untouched: results are bit-identical with the caches
 * on and off (tested).
 *
 * @module
 */
import { envSwitch } from "./_env_switch.ts";
import { type KeyEntry, KeyTable } from "./_key_table.ts";
import { type BufferPool, reuseOldestFirst } from "./webgpu_buffer_pool.ts";
import type { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";

/** One field of a tfjs-webgpu uniform block: a scalar or a vector of up to 6 components. */
export interface UniformField {
  readonly type: string;
  readonly data: ArrayLike<number>;
}

/**
 * Packs uniform fields into the byte layout of the WGSL struct tfjs-webgpu declares for them:
 * a field of 1 component aligned to 4 bytes, 2 to 8, 3–6 to 16 (tfjs declares 5- and 6-D shapes
 * as such vectors), the field after a 5- or 6-component one to 16, and the whole block padded to
 * its largest alignment. An empty field is one component holding 1, as tfjs does. `int32`,
 * `uint32` and `float32` values are written as such.
 *
 * @throws Error for a field of more than 6 components.
 *
 * @example
 * ```ts
 * import { packUniformBlock } from "./webgpu_bind_cache.ts";
 * const bytes = packUniformBlock([{ type: "float32", data: [NaN] }, { type: "int32", data: [2, 3, 4] }]);
 * if (bytes.byteLength !== 32 || new Int32Array(bytes)[4] !== 2) throw new Error(); // the vector aligned to 16 bytes
 * ```
 */
export function packUniformBlock(fields: readonly UniformField[]): ArrayBuffer {
  const offsets: number[] = [];
  let end = 0;
  let maxAlign = 1;
  let previous = 0;
  for (const f of fields) {
    const n = Math.max(f.data.length, 1);
    if (n > 6) throw new Error(`uniform field of ${n} components: at most 6 are supported`);
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (previous === 5 || previous === 6) align = 16;
    maxAlign = Math.max(maxAlign, align);
    end = Math.ceil(end / align) * align;
    offsets.push(end);
    end += 4 * n;
    previous = n;
  }
  const bytes = new ArrayBuffer(Math.ceil(end / maxAlign) * maxAlign);
  fields.forEach((f, i) => {
    const n = Math.max(f.data.length, 1);
    const values = f.data.length === 0 ? [1] : f.data;
    const Typed = f.type === "int32"
      ? Int32Array
      : f.type === "uint32"
      ? Uint32Array
      : Float32Array;
    new Typed(bytes, offsets[i], n).set(values);
  });
  return bytes;
}

/** The GPU calls the caches make; a `GPUDevice` has them (tests pass fakes). */
export interface CacheDevice {
  readonly limits: { readonly minUniformBufferOffsetAlignment: number };
  readonly queue: Pick<GPUQueue, "writeBuffer">;
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer;
  createBindGroup(descriptor: GPUBindGroupDescriptor): GPUBindGroup;
}

/** Hits and misses of the caches in this thread since they were installed (or last reset). */
export interface BindCacheStats {
  /** Uniform blocks found in the arena. */
  uniformHits: number;
  /** Uniform blocks written (one `writeBuffer` each). */
  uniformMisses: number;
  /** Bind groups found in the cache. */
  bindGroupHits: number;
  /** Bind groups created and cached. */
  bindGroupMisses: number;
  /** Bind groups created without the cache (a layout or resource it cannot key). */
  bindGroupsUncached: number;
  /** Times a full cache started again empty. */
  resets: number;
}

const stats: BindCacheStats = {
  uniformHits: 0,
  uniformMisses: 0,
  bindGroupHits: 0,
  bindGroupMisses: 0,
  bindGroupsUncached: 0,
  resets: 0,
};

/** The counters of this thread's caches (a live object; copy it to keep a reading). */
export function bindCacheStats(): Readonly<BindCacheStats> {
  return stats;
}

/** Sets every counter of {@linkcode bindCacheStats} to 0. */
export function resetBindCacheStats(): void {
  for (const k of Object.keys(stats) as (keyof BindCacheStats)[]) stats[k] = 0;
}

/** A binding of a uniform block: what `createBindGroup` takes as a resource. */
export interface UniformSlot {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/** The number of a field's type in {@linkcode UniformArena}'s keys (as `packUniformBlock` reads it). */
function typeCode(type: string): number {
  return type === "int32" ? 0 : type === "uint32" ? 1 : 2;
}

/**
 * Uniform blocks by value: each distinct block written once into a slot of a pooled uniform
 * buffer (`chunkBytes` each), aligned to the device's `minUniformBufferOffsetAlignment`.
 *
 * @example
 * ```ts
 * import { UniformArena } from "./webgpu_bind_cache.ts";
 * const writes: number[] = [];
 * const device = {
 *   limits: { minUniformBufferOffsetAlignment: 256 },
 *   queue: { writeBuffer: (_b: unknown, offset: number) => void writes.push(offset) },
 *   createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size }) as unknown as GPUBuffer,
 *   createBindGroup: () => ({}) as GPUBindGroup,
 * };
 * const arena = new UniformArena(device);
 * const block = (...v: number[]) => [{ type: "int32", data: v }];
 * const a = arena.slotOf(block(1, 2));
 * const b = arena.slotOf(block(1, 3));
 * const c = arena.slotOf(block(1, 2));
 * if (a !== c || b.offset !== 256 || writes.length !== 2) throw new Error();
 * ```
 */
export class UniformArena {
  readonly #device: CacheDevice;
  readonly #chunkBytes: number;
  readonly #align: number;
  /** The slots by the fields' types and values (each field: its type, its length, its values). */
  readonly #slots: KeyTable<UniformSlot>;
  #chunks: GPUBuffer[] = [];
  #chunk: GPUBuffer | null = null;
  #used = 0;

  constructor(device: CacheDevice, options: { chunkBytes?: number; maxSlots?: number } = {}) {
    this.#device = device;
    this.#align = Math.max(4, device.limits.minUniformBufferOffsetAlignment || 256);
    this.#chunkBytes = Math.max(options.chunkBytes ?? 1 << 16, this.#align);
    this.#slots = new KeyTable({ maxEntries: options.maxSlots ?? 1 << 15 });
  }

  /** Distinct blocks held. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * The slot holding the block of `fields` ({@linkcode packUniformBlock}). Looks the fields up by
   * their values, so that a block already held is neither packed nor written again.
   */
  slotOf(fields: readonly UniformField[]): UniformSlot {
    const slots = this.#slots;
    slots.begin();
    for (let f = 0; f < fields.length; f++) {
      slots.push(typeCode(fields[f].type));
      slots.pushAll(fields[f].data);
    }
    const found = slots.find();
    if (found) {
      stats.uniformHits++;
      return found;
    }
    stats.uniformMisses++;
    if (slots.full) this.clear();
    const slot = this.#write(packUniformBlock(fields));
    slots.add(slot);
    return slot;
  }

  /** Writes a block into the next free slot. */
  #write(bytes: ArrayBuffer): UniformSlot {
    const size = bytes.byteLength;
    const span = Math.ceil(size / this.#align) * this.#align;
    if (!this.#chunk || this.#used + span > this.#chunk.size) {
      this.#chunk = this.#device.createBuffer({
        size: Math.max(this.#chunkBytes, span),
        usage: GPU_UNIFORM | GPU_COPY_DST,
      });
      this.#chunks.push(this.#chunk);
      this.#used = 0;
    }
    const slot = { buffer: this.#chunk, offset: this.#used, size };
    this.#device.queue.writeBuffer(slot.buffer, slot.offset, bytes, 0, size);
    this.#used += span;
    return slot;
  }

  /**
   * Forgets every slot and starts new chunks. The old chunks are not destroyed: command buffers
   * already recorded may still bind them, and WebGPU keeps them alive for those.
   */
  clear(): void {
    if (this.#slots.size > 0) stats.resets++;
    this.#slots.clear();
    this.#chunks = [];
    this.#chunk = null;
    this.#used = 0;
  }

  /** Destroys the chunks (when the device goes). */
  destroy(): void {
    for (const c of this.#chunks) c.destroy();
    this.clear();
  }
}

// GPUBufferUsage.UNIFORM and COPY_DST (fixed by the WebGPU spec), so this module loads without
// WebGPU globals.
const GPU_UNIFORM = 0x40;
const GPU_COPY_DST = 0x8;

/** The caches to tell when a buffer is destroyed. */
const watchers = new Set<BindGroupCache>();

/**
 * Bind groups by layout and resources: a descriptor whose layout is known (registered with
 * {@linkcode BindGroupCache.knowLayout}) and whose every entry binds a buffer gets the bind
 * group made the first time; anything else is created as asked, uncached.
 *
 * @example
 * ```ts
 * import { BindGroupCache } from "./webgpu_bind_cache.ts";
 * const calls = { created: 0 };
 * const device = {
 *   limits: { minUniformBufferOffsetAlignment: 256 },
 *   queue: { writeBuffer: () => undefined },
 *   createBuffer: () => ({}) as GPUBuffer,
 *   createBindGroup: () => (calls.created++, {}) as GPUBindGroup,
 * };
 * const cache = new BindGroupCache(device);
 * const layout = {} as GPUBindGroupLayout;
 * cache.knowLayout(layout);
 * const buffer = {} as GPUBuffer;
 * const d = { layout, entries: [{ binding: 0, resource: { buffer } }] };
 * if (cache.get(d) !== cache.get(d)) throw new Error();
 * cache.forgetBuffer(buffer);
 * cache.get(d);
 * if (calls.created !== 2) throw new Error(); // one for the first get, one after forgetting
 * ```
 */
export class BindGroupCache {
  readonly #device: CacheDevice;
  readonly #layouts = new WeakSet<object>();
  /**
   * The cached groups by their key: the layout's id, then per entry its buffer's id, offset and
   * size (the entries in binding order).
   */
  readonly #groups: KeyTable<GPUBindGroup>;
  /** Per buffer, the cached groups that bind it. */
  #byBuffer = new Map<GPUBuffer, KeyEntry<GPUBindGroup>[]>();

  constructor(device: CacheDevice, options: { maxEntries?: number } = {}) {
    this.#device = device;
    this.#groups = new KeyTable({ maxEntries: options.maxEntries ?? 1 << 14 });
    watchers.add(this);
  }

  /** Cached bind groups. */
  get size(): number {
    return this.#groups.size;
  }

  /** Marks a layout as stable (one object for the pipeline's life), so it can key the cache. */
  knowLayout(layout: GPUBindGroupLayout): void {
    this.#layouts.add(layout);
  }

  /** The bind group for `descriptor`: cached if it can be keyed, created as asked otherwise. */
  get(descriptor: GPUBindGroupDescriptor): GPUBindGroup {
    if (!cacheable(descriptor, this.#layouts)) {
      stats.bindGroupsUncached++;
      return this.#device.createBindGroup(descriptor);
    }
    const groups = this.#groups;
    groups.begin();
    groups.push(idOf(descriptor.layout));
    for (const e of descriptor.entries) {
      const r = e.resource as GPUBufferBinding;
      groups.push(idOf(r.buffer));
      groups.push(r.offset ?? 0);
      groups.push(r.size ?? -1);
    }
    const found = groups.find();
    if (found) {
      stats.bindGroupHits++;
      return found;
    }
    stats.bindGroupMisses++;
    if (groups.full) this.clear();
    const group = this.#device.createBindGroup(descriptor);
    const entry = groups.add(group);
    for (const e of descriptor.entries) {
      const buffer = (e.resource as GPUBufferBinding).buffer;
      const entries = this.#byBuffer.get(buffer);
      if (entries) entries.push(entry);
      else this.#byBuffer.set(buffer, [entry]);
    }
    return group;
  }

  /** Drops every cached bind group that binds `buffer` (call before the buffer is destroyed). */
  forgetBuffer(buffer: GPUBuffer): void {
    const entries = this.#byBuffer.get(buffer);
    if (!entries) return;
    this.#byBuffer.delete(buffer);
    // an entry that binds another of the buffers may be gone already, through that buffer
    for (const entry of entries) this.#groups.delete(entry);
  }

  /** Drops every cached bind group. */
  clear(): void {
    if (this.#groups.size > 0) stats.resets++;
    this.#groups.clear();
    this.#byBuffer = new Map();
  }

  /** Stops watching buffer destruction for this cache and empties it. */
  close(): void {
    this.clear();
    watchers.delete(this);
  }
}

const ID = Symbol("bind cache id");
let nextId = 1;
/** A number of an object's own for the cache's keys, given on first sight (a property). */
function idOf(o: object): number {
  const tagged = o as { [ID]?: number };
  return tagged[ID] ??= nextId++;
}

/** A known layout and only buffer bindings, in binding order 0, 1, …: what the cache can key. */
function cacheable(d: GPUBindGroupDescriptor, layouts: WeakSet<object>): boolean {
  if (!layouts.has(d.layout)) return false;
  let i = 0;
  for (const e of d.entries) {
    const r = e.resource as Partial<GPUBufferBinding> | undefined;
    if (e.binding !== i++ || !r || typeof r !== "object" || !("buffer" in r) || !r.buffer) {
      return false;
    }
  }
  return true;
}

const DESTROY_HOOK = Symbol.for("remul-bench.bindCacheDestroyHook");

/** What each bind group the cache created binds (for `webgpu_step_replay.ts`). */
const descriptors = new WeakMap<GPUBindGroup, GPUBindGroupDescriptor>();
/** Buffers destroyed since the hook was installed. */
const destroyed = new WeakSet<GPUBuffer>();

/**
 * The descriptor a bind group was created from, when the cache created it (undefined otherwise:
 * the cache off, or a group from elsewhere).
 */
export function bindGroupDescriptor(group: GPUBindGroup): GPUBindGroupDescriptor | undefined {
  return descriptors.get(group);
}

/** Whether `buffer` has been destroyed (known once the cache is installed). */
export function bufferDestroyed(buffer: GPUBuffer): boolean {
  return destroyed.has(buffer);
}

/** Wraps `GPUBuffer.prototype.destroy` once so that caches forget a buffer before it goes. */
function hookBufferDestroy(): void {
  const proto = (globalThis as { GPUBuffer?: { prototype: Record<PropertyKey, unknown> } })
    .GPUBuffer?.prototype;
  if (!proto || proto[DESTROY_HOOK]) return;
  const destroy = proto.destroy as (this: GPUBuffer) => void;
  proto.destroy = function (this: GPUBuffer) {
    destroyed.add(this);
    for (const w of watchers) w.forgetBuffer(this);
    return destroy.call(this);
  };
  proto[DESTROY_HOOK] = true;
}

const STABLE_SLOTS = Symbol("stable uniform slots");

function markStable<F extends object>(f: F): F {
  (f as F & { [STABLE_SLOTS]?: true })[STABLE_SLOTS] = true;
  return f;
}

/**
 * Whether a backend's `makeUniforms` is the arena's: the same fields always get the same slot, and
 * a slot's bytes never change, so a caller may keep a slot for fields it will pass again
 * (`webgpu_dispatch.ts` does). tfjs's own takes a fresh buffer every call, released after submit.
 */
export function stableSlots(makeUniforms: unknown): boolean {
  return (makeUniforms as { [STABLE_SLOTS]?: true } | undefined)?.[STABLE_SLOTS] === true;
}

/** The environment variable that turns the caches off (`0`) in every thread. */
export const BIND_CACHE_ENV = "REMUL_WEBGPU_BIND_CACHE";

/** What the installer changes on tfjs-webgpu's backend object (not public API). */
interface BackendInternals {
  readonly device: GPUDevice;
  readonly bufferManager: BufferPool;
  makeUniforms(fields: UniformField[]): GPUBufferBinding;
  dispose(): void;
}

const INSTALLED = Symbol.for("remul-bench.bindCache");

/**
 * Puts both caches in front of a tfjs-webgpu backend (idempotent per backend): its
 * `makeUniforms` takes slots from a {@linkcode UniformArena}, and its device's
 * `createBindGroup` goes through a {@linkcode BindGroupCache}; pipelines created from now on
 * keep one bind-group layout each. Off when `enabled` is false or `REMUL_WEBGPU_BIND_CACHE=0`.
 *
 * @returns one line for the record of the run's settings.
 */
export function installWebGpuBindCache(backend: WebGPUBackend, enabled?: boolean): string {
  const { on, source } = envSwitch(BIND_CACHE_ENV, enabled);
  if (!on) {
    return `WebGPU uniforms and bind groups: tfjs's own (a write and a bind group per kernel; ${source})`;
  }
  const b = backend as unknown as BackendInternals & Record<PropertyKey, unknown>;
  if (!b[INSTALLED]) {
    b[INSTALLED] = true;
    hookBufferDestroy();
    const device = b.device;
    reuseOldestFirst(b.bufferManager);
    const arena = new UniformArena(device);
    b.makeUniforms = markStable((fields: UniformField[]) => arena.slotOf(fields));
    const d = device as unknown as Record<string, unknown>;
    // the prototype's method, looked up per call, so that a wrapper there (the profiler's
    // count of bind groups created) sees the cache's misses only
    const proto = Object.getPrototypeOf(device) as GPUDevice;
    const routed = new BindGroupCache({
      limits: device.limits,
      queue: device.queue,
      createBuffer: (x) => device.createBuffer(x),
      createBindGroup: (x) => {
        const group = proto.createBindGroup.call(device, x);
        descriptors.set(group, x);
        return group;
      },
    });
    d.createBindGroup = (descriptor: GPUBindGroupDescriptor) => routed.get(descriptor);
    const stable = (pipeline: GPUComputePipeline) => {
      const layouts = new Map<number, GPUBindGroupLayout>();
      const own = pipeline.getBindGroupLayout.bind(pipeline);
      (pipeline as unknown as Record<string, unknown>).getBindGroupLayout = (i: number) => {
        let layout = layouts.get(i);
        if (!layout) {
          layout = own(i);
          layouts.set(i, layout);
          routed.knowLayout(layout);
        }
        return layout;
      };
      return pipeline;
    };
    const sync = device.createComputePipeline.bind(device);
    const async = device.createComputePipelineAsync.bind(device);
    d.createComputePipeline = (x: GPUComputePipelineDescriptor) => stable(sync(x));
    d.createComputePipelineAsync = async (x: GPUComputePipelineDescriptor) =>
      stable(await async(x));
    const dispose = b.dispose.bind(b);
    b.dispose = () => {
      routed.close();
      arena.destroy();
      dispose();
    };
  }
  return "WebGPU uniforms and bind groups: cached (each distinct uniform block written once, " +
    `bind groups reused by layout and buffers; ${source})`;
}
