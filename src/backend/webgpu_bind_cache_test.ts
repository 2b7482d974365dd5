import assert from "node:assert/strict";
import { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
import {
  bindCacheStats,
  BindGroupCache,
  type CacheDevice,
  packUniformBlock,
  resetBindCacheStats,
  UniformArena,
  type UniformField,
} from "./webgpu_bind_cache.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { tf } from "../tf.ts";
import { sameTrainingBits, webgpuChildTest } from "../testing/webgpu_training_run.ts";

/** The bytes tfjs-webgpu's own `makeUniforms` writes for `fields` (its queue and pool stubbed). */
function tfjsUniformBytes(fields: UniformField[]): Uint8Array {
  let written: Uint8Array | undefined;
  const self = {
    bufferManager: { acquireBuffer: () => ({}) },
    queue: {
      writeBuffer: (_b: unknown, offset: number, data: ArrayBuffer, from: number, size: number) => {
        assert.equal(offset, 0);
        written = new Uint8Array(data.slice(from, from + size));
      },
    },
    uniformPendingDisposal: [] as unknown[],
  };
  // tfjs replaces an empty field's data in place; give it a copy
  const copy = fields.map((f) => ({ type: f.type, data: Array.from(f.data) }));
  (WebGPUBackend.prototype as unknown as { makeUniforms(f: unknown): unknown }).makeUniforms
    .call(self, copy);
  assert.ok(written);
  return written;
}

Deno.test("packUniformBlock lays out uniform blocks byte for byte as tfjs-webgpu does", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const types = ["int32", "float32", "uint32"];
  // every length after every length, then random blocks
  const cases: UniformField[][] = [];
  for (let a = 0; a <= 6; a++) {
    for (let b = 0; b <= 6; b++) {
      cases.push([
        { type: "float32", data: [NaN] },
        { type: "float32", data: [Infinity] },
        { type: "int32", data: Array.from({ length: a }, (_, i) => i + 1) },
        { type: "int32", data: Array.from({ length: b }, (_, i) => -i - 2) },
        { type: "float32", data: [0.5] },
      ]);
    }
  }
  for (let c = 0; c < 300; c++) {
    cases.push(Array.from({ length: 1 + Math.floor(rand() * 9) }, () => {
      const type = types[Math.floor(rand() * 3)];
      const n = Math.floor(rand() * 7);
      return {
        type,
        data: Array.from(
          { length: n },
          () => type === "float32" ? rand() * 10 - 5 : Math.floor(rand() * 1000),
        ),
      };
    }));
  }
  for (const fields of cases) {
    const ours = new Uint8Array(packUniformBlock(fields));
    assert.deepEqual(ours, tfjsUniformBytes(fields), JSON.stringify(fields));
  }
  assert.throws(
    () => packUniformBlock([{ type: "int32", data: [1, 2, 3, 4, 5, 6, 7] }]),
    /at most 6/,
  );
});

/** A device that records what the caches ask of it. */
function fakeDevice(align = 256) {
  const log = {
    writes: [] as { buffer: GPUBuffer; offset: number; bytes: number[] }[],
    buffers: 0,
    groups: 0,
  };
  const device: CacheDevice = {
    limits: { minUniformBufferOffsetAlignment: align },
    queue: {
      writeBuffer:
        ((buffer: GPUBuffer, offset: number, data: ArrayBuffer) =>
          void log.writes.push({ buffer, offset, bytes: [...new Int32Array(data)] })) as GPUQueue[
            "writeBuffer"
          ],
    },
    createBuffer: (d) =>
      (log.buffers++, { size: d.size, usage: d.usage, destroy() {} }) as unknown as GPUBuffer,
    createBindGroup: (d) => (log.groups++, { d }) as unknown as GPUBindGroup,
  };
  return { device, log };
}

Deno.test("UniformArena writes each distinct block once, aligned, and starts again when full", () => {
  const { device, log } = fakeDevice(256);
  const arena = new UniformArena(device, { chunkBytes: 1024, maxSlots: 6 });
  // one int32 field of up to 6 values: packed as those values, padded to a multiple of 4 bytes
  const block = (...v: number[]): UniformField[] => [{ type: "int32", data: v }];
  resetBindCacheStats();
  const a = arena.slotOf(block(1, 2, 3, 4));
  const b = arena.slotOf(block(1, 2, 3, 5));
  assert.equal(arena.slotOf(block(1, 2, 3, 4)), a, "same values, same slot");
  assert.deepEqual([a.offset, b.offset, a.size], [0, 256, 16]);
  assert.equal(a.buffer, b.buffer);
  assert.equal(log.writes.length, 2);
  assert.deepEqual(log.writes[1], { buffer: b.buffer, offset: 256, bytes: [1, 2, 3, 5] });
  // a block of 8 bytes with the same first values is another block
  assert.notEqual(arena.slotOf(block(1, 2)), a);
  // the fourth slot fills the 1 KiB chunk; the fifth needs a new one
  arena.slotOf(block(9));
  const e = arena.slotOf(block(10));
  assert.notEqual(e.buffer, a.buffer);
  assert.equal(e.offset, 0);
  assert.equal(log.buffers, 2);
  // a block larger than a chunk gets a chunk of its own size
  const big = arena.slotOf(
    Array.from({ length: 67 }, () => ({ type: "int32", data: [1, 2, 3, 4, 5, 6] })),
  );
  assert.ok((big.buffer as unknown as { size: number }).size >= 1600);
  // the seventh distinct block finds the arena full: it starts again, and old blocks are written anew
  assert.equal(arena.size, 6);
  arena.slotOf(block(11));
  assert.equal(arena.size, 1);
  const again = arena.slotOf(block(1, 2, 3, 4));
  assert.notEqual(again, a);
  const s = bindCacheStats();
  assert.deepEqual([s.uniformHits, s.uniformMisses, s.resets], [1, 8, 1]);
});

Deno.test("UniformArena.slotOf finds a block by its fields' values and writes it packed", () => {
  const { device, log } = fakeDevice(256);
  const arena = new UniformArena(device);
  const fields = (v: number, t = "float32"): UniformField[] => [
    { type: "int32", data: [3, 4] },
    { type: t, data: [v] },
  ];
  const a = arena.slotOf(fields(0.5));
  assert.equal(arena.slotOf(fields(0.5)), a);
  assert.deepEqual(log.writes[0].bytes, [...new Int32Array(packUniformBlock(fields(0.5)))]);
  // -0 and 0 differ in their bits as float32; an int32 field with the same number is another block
  const z = arena.slotOf(fields(0));
  assert.notEqual(arena.slotOf(fields(-0)), z);
  assert.notEqual(arena.slotOf(fields(1, "int32")), arena.slotOf(fields(1)));
  assert.equal(arena.slotOf(fields(NaN)), arena.slotOf(fields(NaN)));
  assert.equal(log.writes.length, 6);
});

Deno.test("BindGroupCache reuses a group only for the same layout and the same buffers", () => {
  const { device, log } = fakeDevice();
  const cache = new BindGroupCache(device, { maxEntries: 3 });
  try {
    resetBindCacheStats();
    const layout = {} as GPUBindGroupLayout;
    const other = {} as GPUBindGroupLayout;
    cache.knowLayout(layout);
    cache.knowLayout(other);
    const [x, y, u] = [{}, {}, {}] as GPUBuffer[];
    const d = (l: GPUBindGroupLayout, a: GPUBuffer, offset = 0) => ({
      layout: l,
      entries: [
        { binding: 0, resource: { buffer: a } },
        { binding: 1, resource: { buffer: u, offset, size: 16 } },
      ],
    });
    const g = cache.get(d(layout, x));
    assert.equal(cache.get(d(layout, x)), g);
    assert.notEqual(cache.get(d(layout, y)), g, "another buffer");
    assert.notEqual(cache.get(d(layout, x, 256)), g, "another uniform slot");
    assert.equal(log.groups, 3);
    // a full cache starts again
    cache.get(d(other, x));
    assert.equal(cache.size, 1);
    assert.equal(log.groups, 4);
    // forgetting a buffer drops the groups that bind it, only those
    cache.get(d(layout, y));
    cache.forgetBuffer(x);
    assert.equal(cache.size, 1);
    cache.get(d(layout, y));
    assert.equal(log.groups, 5);
    // an unknown layout, or an entry that binds no buffer, is created as asked, uncached
    cache.get(d({} as GPUBindGroupLayout, y));
    cache.get(d({} as GPUBindGroupLayout, y));
    cache.get({ layout, entries: [{ binding: 0, resource: {} as GPUSampler }] });
    assert.equal(log.groups, 8);
    const s = bindCacheStats();
    assert.deepEqual(
      [s.bindGroupHits, s.bindGroupMisses, s.bindGroupsUncached, s.resets],
      [2, 5, 3, 1],
    );
  } finally {
    cache.close();
  }
});

const webgpu = await webgpuOnce("the bind-group cache tests on a GPU");

webgpuTest(webgpu, "webgpu: a destroyed buffer leaves the bind-group cache first", () => {
  const gpu = (tf.backend() as unknown as { device: GPUDevice }).device;
  const { device, log } = fakeDevice();
  const cache = new BindGroupCache(device);
  try {
    const layout = {} as GPUBindGroupLayout;
    cache.knowLayout(layout);
    const buffer = gpu.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    const d = { layout, entries: [{ binding: 0, resource: { buffer } }] };
    cache.get(d);
    cache.get(d);
    assert.equal(log.groups, 1);
    buffer.destroy(); // initBackend("webgpu") hooked GPUBuffer.prototype.destroy
    assert.equal(cache.size, 0);
  } finally {
    cache.close();
  }
});

await webgpuChildTest(
  "webgpu: training with the caches gives the same bits as without, with far fewer bind groups and writes",
  async () => {
    // uploads through tfjs's staging buffers, so that every queue write is a uniform block
    const { on, off } = await sameTrainingBits(
      { REMUL_WEBGPU_BIND_CACHE: "1", REMUL_WEBGPU_WRITE_UPLOADS: "0" },
      { REMUL_WEBGPU_BIND_CACHE: "0", REMUL_WEBGPU_WRITE_UPLOADS: "0" },
    );
    // without the caches: one uniform write and one bind group per dispatch
    assert.equal(off.lastStep.bindGroups, off.lastStep.dispatches);
    assert.equal(off.lastStep.writes, off.lastStep.dispatches);
    // with them, in a step like the ones before, almost every bind group and block is reused
    assert.ok(
      on.lastStep.bindGroups <= 0.2 * on.lastStep.dispatches,
      `${on.lastStep.bindGroups} bind groups for ${on.lastStep.dispatches} dispatches`,
    );
    assert.ok(on.lastStep.writes <= 0.2 * on.lastStep.dispatches, `${on.lastStep.writes} writes`);
    assert.ok(on.cache.bindGroupHits > 0 && on.cache.uniformHits > 0, JSON.stringify(on.cache));
    assert.equal(off.cache.bindGroupHits + off.cache.uniformHits, 0, "off means off");
  },
);
