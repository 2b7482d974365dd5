import assert from "node:assert/strict";
import {
  type BufferPool,
  bufferReleases,
  bufferState,
  reuseOldestFirst,
  takeFreeBuffer,
} from "./webgpu_buffer_pool.ts";
import { Rng } from "../core/rng.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { tf } from "../tf.ts";

/** A buffer of the fake device: its size, usage, creation number, whether destroyed. */
interface FakeBuffer {
  readonly size: number;
  readonly usage: number;
  readonly n: number;
  destroyed: boolean;
  destroy(): void;
}

function fakeDevice() {
  let made = 0;
  return {
    createBuffer: (d: GPUBufferDescriptor) => {
      const b: FakeBuffer = {
        size: d.size,
        usage: d.usage,
        n: made++,
        destroyed: false,
        destroy() {
          this.destroyed = true;
        },
      };
      return b as unknown as GPUBuffer;
    },
  };
}

/** A pool with tfjs's fields, its own methods never called once replaced. */
function fakePool(): BufferPool {
  return {
    device: fakeDevice(),
    freeBuffers: new Map(),
    usedBuffers: new Map(),
    numUsedBuffers: 0,
    numFreeBuffers: 0,
    numBytesUsed: 0,
    numBytesAllocated: 0,
    acquireBuffer: () => assert.fail("tfjs's acquire called"),
    releaseBuffer: () => assert.fail("tfjs's release called"),
  };
}

const n = (b: GPUBuffer) => (b as unknown as FakeBuffer).n;

Deno.test("reuseOldestFirst hands out the oldest free buffer of a size and usage, as a scan would", () => {
  const pool = fakePool();
  reuseOldestFirst(pool);
  reuseOldestFirst(pool); // idempotent
  const rng = new Rng(11);
  const sizes = [4, 16, 64];
  const usages = [128 | 8 | 4, 1 | 8];
  const used: GPUBuffer[] = [];
  const free = new Map<string, GPUBuffer[]>(); // the reference: every free buffer, by key
  let bytesUsed = 0;
  let bytesAllocated = 0;
  for (let step = 0; step < 3000; step++) {
    if (used.length > 0 && rng.uniform() < 0.5) {
      const [b] = used.splice(Math.floor(rng.uniform() * used.length), 1);
      const reuse = rng.uniform() < 0.9;
      pool.releaseBuffer(b, reuse);
      bytesUsed -= b.size;
      if (reuse) {
        const key = `${b.size}_${b.usage}`;
        free.set(key, [...(free.get(key) ?? []), b]);
      } else {
        assert.ok((b as unknown as FakeBuffer).destroyed, "a buffer not reused is destroyed");
        bytesAllocated -= b.size;
      }
    } else {
      const size = sizes[Math.floor(rng.uniform() * sizes.length)];
      const usage = usages[Math.floor(rng.uniform() * usages.length)];
      const key = `${size}_${usage}`;
      const candidates = free.get(key) ?? [];
      const b = pool.acquireBuffer(size, usage);
      if (candidates.length > 0) {
        const oldest = candidates.reduce((a, c) => (n(c) < n(a) ? c : a));
        assert.equal(b, oldest, `step ${step}: the oldest free buffer of ${key}`);
        free.set(key, candidates.filter((c) => c !== b));
      } else {
        assert.ok(n(b) >= 0 && b.size === size && b.usage === usage, "a new buffer");
        bytesAllocated += size;
      }
      used.push(b);
      bytesUsed += size;
    }
    const freeCount = [...free.values()].reduce((a, l) => a + l.length, 0);
    assert.equal(pool.numUsedBuffers, used.length);
    assert.equal(pool.numFreeBuffers, freeCount);
    assert.equal(pool.numBytesUsed, bytesUsed);
    assert.equal(pool.numBytesAllocated, bytesAllocated);
  }
  // tfjs's maps hold the same buffers under its keys (its dispose destroys what they hold)
  for (const [key, list] of free) {
    assert.deepEqual(new Set(pool.freeBuffers.get(key)), new Set(list), key);
  }
  const inUsed = new Set<GPUBuffer>();
  for (const set of pool.usedBuffers.values()) set.forEach((b) => inUsed.add(b));
  assert.deepEqual(inUsed, new Set(used));
  // a buffer released twice is an error, as in tfjs
  const b = pool.acquireBuffer(4, 1);
  pool.releaseBuffer(b);
  assert.throws(() => pool.releaseBuffer(b), /Cannot find the buffer/);
  // without reuse, a new buffer even when one is free
  const fresh = pool.acquireBuffer(4, 1, false, false);
  assert.notEqual(fresh, b);
});

Deno.test("a free buffer taken out of the pool is never handed out until given back", () => {
  const pool = fakePool();
  reuseOldestFirst(pool);
  const rng = new Rng(13);
  const used: GPUBuffer[] = [];
  const taken: GPUBuffer[] = [];
  const free: GPUBuffer[] = []; // the reference (one size and usage)
  const releases = new Map<GPUBuffer, number>();
  for (let step = 0; step < 3000; step++) {
    const r = rng.uniform();
    if (r < 0.3 && used.length > 0) {
      const [b] = used.splice(Math.floor(rng.uniform() * used.length), 1);
      pool.releaseBuffer(b);
      free.push(b);
      releases.set(b, (releases.get(b) ?? 0) + 1);
    } else if (r < 0.45 && free.length > 0) {
      const [b] = free.splice(Math.floor(rng.uniform() * free.length), 1);
      assert.equal(bufferState(b), "free");
      assert.ok(takeFreeBuffer(pool, b), `step ${step}: take`);
      assert.equal(bufferState(b), "used");
      assert.ok(!takeFreeBuffer(pool, b), "a buffer in use cannot be taken");
      taken.push(b);
    } else if (r < 0.55 && taken.length > 0) {
      const [b] = taken.splice(Math.floor(rng.uniform() * taken.length), 1);
      pool.releaseBuffer(b); // given back
      free.push(b);
      releases.set(b, (releases.get(b) ?? 0) + 1);
    } else {
      const b = pool.acquireBuffer(16, 9);
      if (free.length > 0) {
        const oldest = free.reduce((a, c) => (n(c) < n(a) ? c : a));
        assert.equal(b, oldest, `step ${step}: the oldest free buffer`);
        free.splice(free.indexOf(b), 1);
      }
      assert.ok(!taken.includes(b), `step ${step}: a taken buffer was handed out`);
      used.push(b);
    }
    assert.equal(pool.numFreeBuffers, free.length);
    assert.equal(pool.numUsedBuffers, used.length + taken.length);
  }
  for (const [b, count] of releases) assert.equal(bufferReleases(b), count);
  assert.equal(bufferReleases({} as GPUBuffer), -1);
  assert.equal(bufferState({} as GPUBuffer), "foreign");
  assert.deepEqual(new Set(pool.freeBuffers.get("16_9")), new Set(free));
});

const webgpu = await webgpuOnce("the buffer pool tests against tfjs's own pool");

webgpuTest(
  webgpu,
  "webgpu: the pool keeps tfjs's counts and maps, and its dispose still destroys everything",
  () => {
    // tfjs's own BufferManager class, from the live backend's pool, on fake devices
    const live = (tf.backend() as unknown as { bufferManager: object }).bufferManager;
    const BufferManager = Object.getPrototypeOf(live).constructor as new (
      device: unknown,
    ) => BufferPool & { dispose(): void };
    const theirs = new BufferManager(fakeDevice());
    const ours = new BufferManager(fakeDevice());
    reuseOldestFirst(ours);
    const rng = new Rng(12);
    const held: [GPUBuffer, GPUBuffer][] = [];
    for (let step = 0; step < 2000; step++) {
      if (held.length > 0 && rng.uniform() < 0.5) {
        const [[t, o]] = held.splice(Math.floor(rng.uniform() * held.length), 1);
        const reuse = rng.uniform() < 0.9;
        theirs.releaseBuffer(t, reuse);
        ours.releaseBuffer(o, reuse);
      } else {
        const size = [4, 16, 64][Math.floor(rng.uniform() * 3)];
        const usage = [140, 9][Math.floor(rng.uniform() * 2)];
        held.push([theirs.acquireBuffer(size, usage), ours.acquireBuffer(size, usage)]);
      }
      for (const k of ["numUsedBuffers", "numFreeBuffers", "numBytesUsed", "numBytesAllocated"]) {
        const key = k as "numUsedBuffers";
        assert.equal(ours[key], theirs[key], `step ${step}: ${k}`);
      }
    }
    assert.deepEqual([...ours.freeBuffers.keys()].sort(), [...theirs.freeBuffers.keys()].sort());
    for (const [key, list] of theirs.freeBuffers) {
      assert.equal(ours.freeBuffers.get(key)!.length, list.length, key);
    }
    const all = [...ours.freeBuffers.values()].flat() as unknown as FakeBuffer[];
    ours.usedBuffers.forEach((s) => s.forEach((b) => all.push(b as unknown as FakeBuffer)));
    ours.dispose();
    assert.ok(all.length > 0 && all.every((b) => b.destroyed), "dispose destroys every buffer");
    assert.equal(ours.numUsedBuffers, 0);
    // a release after dispose is ignored, as tfjs ignores it; the pool then starts again
    if (held.length > 0) ours.releaseBuffer(held[0][1]);
    const again = ours.acquireBuffer(16, 140);
    assert.equal(ours.numUsedBuffers, 1);
    ours.releaseBuffer(again);
    assert.equal(ours.acquireBuffer(16, 140), again);
  },
);
