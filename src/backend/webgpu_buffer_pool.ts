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
 * maps keyed by the numbers themselves, and every buffer carries its order, size and lists.
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
  /** Free buffers, a binary min-heap by creation order. */
  readonly free: GPUBuffer[];
  readonly used: Set<GPUBuffer>;
}

/** What a buffer from this pool carries (a property: no map to look it up in). */
interface Tag {
  readonly order: number;
  readonly size: number;
  readonly lists: Lists;
}

const TAG = Symbol("pool tag");
type Tagged = GPUBuffer & { [TAG]?: Tag };

const orderOf = (b: GPUBuffer) => (b as Tagged)[TAG]!.order;

function heapPush(heap: GPUBuffer[], buffer: GPUBuffer): void {
  let i = heap.length;
  heap.push(buffer);
  const order = orderOf(buffer);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (orderOf(heap[parent]) <= order) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = buffer;
}

function heapPop(heap: GPUBuffer[]): GPUBuffer {
  const top = heap[0];
  const last = heap.pop()!;
  const n = heap.length;
  if (n === 0) return top;
  const order = orderOf(last);
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && orderOf(heap[child + 1]) < orderOf(heap[child])) child++;
    if (orderOf(heap[child]) >= order) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = last;
  return top;
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
      lists = { free: [], used: new Set() };
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
    if (reuse && lists.free.length > 0) {
      buffer = heapPop(lists.free);
      pool.numFreeBuffers--;
    } else {
      buffer = pool.device.createBuffer({ size, usage, mappedAtCreation });
      buffer[TAG] = { order: nextOrder++, size, lists };
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
    if (reuse) {
      heapPush(tag.lists.free, buffer);
      pool.numFreeBuffers++;
    } else {
      buffer.destroy();
      pool.numBytesAllocated -= tag.size;
    }
  };
}
