/**
 * tfjs-webgpu's buffer pool, made to hand out the oldest free buffer that fits, in O(log n).
 *
 * tfjs 4.22's `BufferManager` keeps its free and used buffers in arrays under a string key
 * `${size}_${usage}`: it takes the free buffer released last, finds a released buffer among the
 * used ones with `indexOf`, and builds the key on every call. For the bind groups of a training
 * step to repeat (`webgpu_bind_cache.ts`), every step must get the same buffers for the same
 * kernels, so the pool must take the buffer it created first: a step then starts from the same
 * free buffers and frees and takes them in the same order. A linear scan for the oldest cost
 * GATr's step ~9% of its host time (its small buffers have long free lists); here each size and
 * usage has a min-heap of free buffers by creation order and a set of used ones, found through
 * maps keyed by the numbers themselves, and every buffer carries a tag with its order, size and
 * lists (the heap holds the tags, so that ordering it reads no property of a GPU object).
 *
 * The pool's own fields stay as tfjs reads them: `freeBuffers` and `usedBuffers` hold the same
 * heaps and sets under tfjs's keys (its `dispose` destroys what they hold), and the counters move
 * as tfjs moves them.
 *
 * @module
 */

/** tfjs-webgpu 4.22's `BufferManager` fields and methods (not public API). */
export interface BufferPool {
  readonly device: { createBuffer(d: GPUBufferDescriptor): GPUBuffer };
  freeBuffers: Map<string, GPUBuffer[]>;
  usedBuffers: Map<string, { forEach(f: (b: GPUBuffer) => void): void }>;
  numUsedBuffers: number;
  numFreeBuffers: number;
  numBytesUsed: number;
  numBytesAllocated: number;
  acquireBuffer(
    size: number,
    usage: number,
    mappedAtCreation?: boolean,
    reuse?: boolean,
  ): GPUBuffer;
  releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void;
}

/** The free and used buffers of one size and usage. */
interface Lists {
  /**
   * The free buffers' tags, a binary min-heap by creation order (tfjs's `freeBuffers` holds the
   * buffers themselves, in any order, for its `dispose`).
   */
  readonly heap: Tag[];
  readonly free: GPUBuffer[];
  readonly used: Set<GPUBuffer>;
}

/** What a buffer from this pool carries (a property: no map to look it up in). */
interface Tag {
  readonly buffer: GPUBuffer;
  readonly order: number;
  readonly size: number;
  readonly lists: Lists;
  /** Where the buffer is in `lists.free` while free; -1 while in use. */
  at: number;
  /** Times the buffer went back to the pool. */
  releases: number;
}

const TAG = Symbol("pool tag");
type Tagged = GPUBuffer & { [TAG]?: Tag };

function heapPush(heap: Tag[], tag: Tag): void {
  let i = heap.length;
  heap.push(tag);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent].order <= tag.order) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = tag;
}

function heapPop(heap: Tag[]): Tag {
  const top = heap[0];
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return top;
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && heap[child + 1].order < heap[child].order) child++;
    if (heap[child].order >= last.order) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
  return top;
}

/** Adds a free buffer to tfjs's list (order kept by the heap, not here). */
function addFree(lists: Lists, tag: Tag): void {
  tag.at = lists.free.length;
  lists.free.push(tag.buffer);
}

/** Takes a free buffer out of tfjs's list: the last one moves into its place. */
function removeFree(lists: Lists, tag: Tag): void {
  const last = lists.free.pop()!;
  if (last !== tag.buffer) {
    lists.free[tag.at] = last;
    (last as Tagged)[TAG]!.at = tag.at;
  }
  tag.at = -1;
}

/**
 * What {@linkcode takeFreeBuffer} and {@linkcode bufferReleases} know of a buffer: whether the
 * pool made it, and whether it is free now.
 */
export function bufferState(buffer: GPUBuffer): "free" | "used" | "foreign" {
  const tag = (buffer as Tagged)[TAG];
  if (!tag) return "foreign";
  return tag.at >= 0 ? "free" : "used";
}

/**
 * How many times `buffer` has gone back to its pool (-1 for a buffer the pool did not make): a
 * holder that saw the same count earlier knows that nobody else can have had it since.
 */
export function bufferReleases(buffer: GPUBuffer): number {
  return (buffer as Tagged)[TAG]?.releases ?? -1;
}

/**
 * Takes a free buffer out of its pool for a holder of its own (`webgpu_step_replay.ts`): the pool
 * counts it as used and never hands it out, until the holder gives it back with the pool's
 * `releaseBuffer`. False, and nothing done, when the buffer is not free in a pool of this
 * module's.
 */
export function takeFreeBuffer(pool: BufferPool, buffer: GPUBuffer): boolean {
  const tag = (buffer as Tagged)[TAG];
  if (!tag || tag.at < 0) return false;
  // its entry stays in the heap, to be skipped when popped (acquireBuffer checks `at`)
  removeFree(tag.lists, tag);
  tag.lists.used.add(buffer);
  pool.numFreeBuffers--;
  pool.numUsedBuffers++;
  pool.numBytesUsed += tag.size;
  return true;
}

const INSTALLED = Symbol.for("remul-bench.oldestFirstPool");

/**
 * Replaces `pool`'s `acquireBuffer` and `releaseBuffer` (idempotent): of the free buffers of a
 * size and usage, the one created first is handed out. A buffer the pool did not create through
 * these (none, when installed before the first kernel) goes back through tfjs's own release.
 *
 * @example
 * ```ts
 * import { type BufferPool, reuseOldestFirst } from "./webgpu_buffer_pool.ts";
 * let made = 0;
 * const pool = {
 *   device: { createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size, n: made++ }) as unknown as GPUBuffer },
 *   freeBuffers: new Map(), usedBuffers: new Map(),
 *   numUsedBuffers: 0, numFreeBuffers: 0, numBytesUsed: 0, numBytesAllocated: 0,
 *   acquireBuffer: () => { throw new Error("replaced"); },
 *   releaseBuffer: () => { throw new Error("replaced"); },
 * } as BufferPool;
 * reuseOldestFirst(pool);
 * const [a, b] = [pool.acquireBuffer(16, 128), pool.acquireBuffer(16, 128)];
 * pool.releaseBuffer(b);
 * pool.releaseBuffer(a);
 * if (pool.acquireBuffer(16, 128) !== a) throw new Error("the oldest first");
 * ```
 */
export function reuseOldestFirst(pool: BufferPool): void {
  const p = pool as BufferPool & { [INSTALLED]?: true };
  if (p[INSTALLED]) return;
  p[INSTALLED] = true;
  const tfjsRelease = pool.releaseBuffer.bind(pool);
  let nextOrder = 1;
  /** Lists by usage, then size; rebuilt when tfjs's `dispose` replaces its maps. */
  let byUsage = new Map<number, Map<number, Lists>>();
  let registeredIn = pool.freeBuffers;
  const listsOf = (size: number, usage: number): Lists => {
    if (pool.freeBuffers !== registeredIn) {
      byUsage = new Map();
      registeredIn = pool.freeBuffers;
    }
    let bySize = byUsage.get(usage);
    if (!bySize) byUsage.set(usage, bySize = new Map());
    let lists = bySize.get(size);
    if (!lists) {
      lists = { heap: [], free: [], used: new Set() };
      bySize.set(size, lists);
      const key = `${size}_${usage}`; // tfjs's getBufferKey
      pool.freeBuffers.set(key, lists.free);
      pool.usedBuffers.set(key, lists.used);
    }
    return lists;
  };
  pool.acquireBuffer = (size, usage, mappedAtCreation = false, reuse = true) => {
    const lists = listsOf(size, usage);
    let buffer: Tagged;
    // entries of buffers taken out while free (takeFreeBuffer) are skipped
    while (lists.heap.length > 0 && lists.heap[0].at < 0) heapPop(lists.heap);
    if (reuse && lists.heap.length > 0) {
      const tag = heapPop(lists.heap);
      removeFree(lists, tag);
      buffer = tag.buffer;
      pool.numFreeBuffers--;
    } else {
      buffer = pool.device.createBuffer({ size, usage, mappedAtCreation });
      buffer[TAG] = { buffer, order: nextOrder++, size, lists, at: -1, releases: 0 };
      pool.numBytesAllocated += size;
    }
    lists.used.add(buffer);
    pool.numUsedBuffers++;
    pool.numBytesUsed += size;
    return buffer;
  };
  pool.releaseBuffer = (buffer, reuse = true) => {
    const tag = (buffer as Tagged)[TAG];
    if (!tag) return tfjsRelease(buffer, reuse);
    // tfjs ignores a release after `dispose` (its maps are empty then)
    if (pool.freeBuffers !== registeredIn || pool.freeBuffers.size === 0) return;
    if (!tag.lists.used.delete(buffer)) {
      throw new Error("Cannot find the buffer in buffer manager");
    }
    pool.numUsedBuffers--;
    pool.numBytesUsed -= tag.size;
    tag.releases++;
    if (reuse) {
      heapPush(tag.lists.heap, tag);
      addFree(tag.lists, tag);
      pool.numFreeBuffers++;
    } else {
      buffer.destroy();
      pool.numBytesAllocated -= tag.size;
    }
  };
}
