/**
 * The submit batch, the queue drain and the device-call counts on the webgpu backend (llvmpipe
 * here). Runs in its own process (it switches this process to webgpu); skips with a note where
 * there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend, probeAdapter } from "./backend.ts";
import { copyElements } from "./_webgpu_program.ts";
import {
  countDeviceCalls,
  DEFAULT_SUBMIT_BATCH,
  drainQueue,
  kernelTiming,
  parseSubmitBatch,
  setWebGpuSubmitBatch,
  SUBMIT_BATCH_ENV,
  webGpuSubmitBatch,
} from "./webgpu_queue.ts";

const adapter = await probeAdapter();
let started: Promise<string[]> | undefined;

async function webgpu(): Promise<string[] | null> {
  if (!adapter) {
    console.warn("no WebGPU adapter here: the WebGPU queue tests are skipped");
    return null;
  }
  started ??= initBackend("webgpu");
  return await started;
}

Deno.test("parseSubmitBatch names the flag and what it expects", () => {
  assert.equal(parseSubmitBatch("30", "--submit-batch"), 30);
  assert.throws(
    () => parseSubmitBatch("0", "--submit-batch"),
    /--submit-batch: expected an integer ≥ 1/,
  );
  assert.throws(() => parseSubmitBatch("2.5", "X"), /X: expected an integer ≥ 1.*"2.5"/);
});

Deno.test("the submit batch is recorded and sets how often tfjs submits", async () => {
  const lines = await webgpu();
  if (!lines) return;
  assert.ok(lines.some((l) => l.includes(`submitted every`)), lines.join("\n"));
  assert.equal(webGpuSubmitBatch(), DEFAULT_SUBMIT_BATCH);
  const xs = Array.from({ length: 8 }, (_, i) => tf.fill([4096], i + 1));
  const ys = xs.map((x) => x.add(1)); // on the GPU now, so the adds below run there
  await drainQueue();
  try {
    for (const [batch, kernels, submits] of [[4, 8, 2], [3, 8, 2], [8, 8, 1], [100, 8, 0]]) {
      assert.match(setWebGpuSubmitBatch(batch), new RegExp(`every ${batch} kernels`));
      const w = countDeviceCalls();
      // a command buffer goes out each time `batch` kernels are recorded: ⌊8 / batch⌋ submits
      const out = ys.slice(0, kernels).map((y) => y.mul(2));
      w.close();
      assert.equal(w.counts.submits, submits, `batch ${batch}`);
      assert.equal(w.counts.dispatches, kernels, "one dispatch per kernel");
      // one bind group each, or fewer where the bind-group cache has the group already
      assert.ok(w.counts.bindGroups <= kernels, `${w.counts.bindGroups} bind groups`);
      const d = countDeviceCalls();
      await drainQueue();
      d.close();
      // the drain submits what is left, if anything, and reads nothing back
      assert.equal(d.counts.submits, kernels % batch === 0 ? 0 : 1, `drain at batch ${batch}`);
      assert.equal(d.counts.reads + d.counts.maps, 0);
      const r = countDeviceCalls();
      const v = await out[kernels - 1].data();
      r.close();
      assert.equal(v[0], 2 * (kernels + 1));
      assert.equal(r.counts.reads, 1);
      assert.equal(r.counts.maps, 1);
      // the read waited for the GPU; its own submits are timed as submits, not as waiting
      assert.ok(r.counts.readWaitMs > 0, `read wait ${r.counts.readWaitMs} ms`);
      assert.ok(r.counts.submits === 0 || r.counts.submitMs > 0);
      tf.dispose(out);
    }
  } finally {
    setWebGpuSubmitBatch(DEFAULT_SUBMIT_BATCH);
    tf.dispose([...xs, ...ys]);
  }
});

Deno.test("copies and the compute passes they split are counted", async () => {
  if (!(await webgpu())) return;
  const x = tf.fill([4096], 3);
  const y = x.add(1); // on the GPU
  const z = tf.zeros([4096]).add(0);
  await drainQueue();
  const w = countDeviceCalls();
  const a = y.mul(2); // begins a pass
  copyElements(tf.backend() as never, y as never, 0, z as never, 0, 4096); // ends it
  const b = z.mul(3); // begins another
  const c = b.mul(1); // in the same pass
  await drainQueue();
  w.close();
  try {
    assert.equal(w.counts.dispatches, 3);
    assert.equal(w.counts.copies, 1);
    assert.equal(w.counts.passes, 2);
    assert.equal((await c.data())[7], 12);
  } finally {
    tf.dispose([x, y, z, a, b, c]);
  }
});

Deno.test("REMUL_WEBGPU_SUBMIT_BATCH sets the default; a bad value names the variable", async () => {
  if (!(await webgpu())) return;
  try {
    Deno.env.set(SUBMIT_BATCH_ENV, "7");
    assert.match(setWebGpuSubmitBatch(), /every 7 kernels \(REMUL_WEBGPU_SUBMIT_BATCH/);
    assert.equal(webGpuSubmitBatch(), 7);
    Deno.env.set(SUBMIT_BATCH_ENV, "none");
    assert.throws(() => setWebGpuSubmitBatch(), /REMUL_WEBGPU_SUBMIT_BATCH: expected an integer/);
  } finally {
    Deno.env.delete(SUBMIT_BATCH_ENV);
    setWebGpuSubmitBatch();
  }
  assert.equal(webGpuSubmitBatch(), DEFAULT_SUBMIT_BATCH);
});

Deno.test("kernel timing follows the adapter's timestamp-query; counters restore the methods", async () => {
  if (!(await webgpu())) return;
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  assert.equal(
    kernelTiming(),
    device.features.has("timestamp-query") ? "gpu-timestamps" : "unavailable",
  );
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const read = engine.read;
  const submit = device.queue.submit;
  const w = countDeviceCalls();
  assert.notEqual(engine.read, read);
  w.close();
  assert.equal(engine.read, read);
  assert.equal(device.queue.submit, submit);
  assert.ok(!Object.hasOwn(engine, "read") && !Object.hasOwn(device.queue, "submit"));
});
