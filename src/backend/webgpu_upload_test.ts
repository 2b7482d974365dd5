/**
 * Uploads by `queue.writeBuffer` against tfjs-webgpu's staging copies: the same values for every
 * dtype, the order kept when a freed buffer is reused while commands are still being recorded,
 * and a training run with the same bits and fewer buffers created. Runs on webgpu (llvmpipe
 * here); skips with a note where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { installWebGpuWriteUploads, uploadStats } from "./webgpu_upload.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { sameTrainingBits, webgpuChildTest } from "../testing/webgpu_training_run.ts";

const webgpu = await webgpuOnce("the WebGPU upload tests");

/** float32 bit patterns, so that -0 and NaN count. */
const bits = (v: ArrayLike<number>) => [...new Uint32Array(Float32Array.from(v).buffer)];

// sizes above tfjs-webgpu's CPU hand-off threshold (1,000 elements), so that the ops run on the GPU
const N = 1200;
const floats = Array.from({ length: N }, (_, i) => [1.5, -0, NaN, 3e38, -2.25e-30, i][i % 6]);
const ints = Array.from({ length: N }, (_, i) => (i % 7 === 0 ? -(2 ** 31) : i * 7919 - 1e6));
const bools = Array.from({ length: N }, (_, i) => i % 3 === 0);

webgpuTest(
  webgpu,
  "webgpu: uploads into pooled buffers are written, with the same values for every dtype",
  async () => {
    const backend = tf.backend() as never;
    assert.match(installWebGpuWriteUploads(backend), /writeBuffer/); // installed already
    const before = { ...uploadStats };
    for (let round = 0; round < 3; round++) {
      // each round's tensors reuse the buffers the round before freed
      const f = tf.tensor1d(floats);
      const i = tf.tensor1d(ints, "int32");
      const b = tf.tensor1d(bools, "bool");
      const outs = [tf.mul(f, 1), tf.add(i, 0), tf.cast(b, "int32")];
      const [fv, iv, bv] = await Promise.all(outs.map((t) => t.data()));
      assert.deepEqual(bits(fv), bits(floats), `float32, round ${round}`);
      assert.deepEqual([...iv], ints, `int32, round ${round}`);
      assert.deepEqual([...bv], bools.map(Number), `bool, round ${round}`);
      tf.dispose([f, i, b, ...outs]);
    }
    assert.ok(uploadStats.written - before.written >= 6, JSON.stringify(uploadStats));
  },
);

webgpuTest(
  webgpu,
  "webgpu: a freed buffer that recorded commands still read is not written before they run",
  async () => {
    // a size of its own, so that the only free buffer of that size would be a's. With tfjs's hold
    // on a's buffer broken (commandQueueOwnedIds.add a no-op), c's upload took it and was written
    // before the product that reads a ran: the doubled values came out wrong (checked by hand)
    const n = 1301;
    const xs = Array.from({ length: n }, (_, i) => i * 0.5);
    const a = tf.tensor1d(xs.map((x, i) => x + i));
    const doubled = tf.mul(a, 2); // recorded, not submitted
    a.dispose();
    const c = tf.tensor1d(xs.map((x) => -x));
    const tripled = tf.mul(c, 3);
    const [d, t] = await Promise.all([doubled.data(), tripled.data()]);
    assert.deepEqual(bits(d), bits(xs.map((x, i) => (x + i) * 2)));
    assert.deepEqual(bits(t), bits(xs.map((x) => -x * 3)));
    tf.dispose([c, doubled, tripled]);
  },
);

await webgpuChildTest(
  "webgpu: training gives the same bits with writeBuffer uploads as with tfjs's, creating fewer buffers",
  async () => {
    const { on, off } = await sameTrainingBits(
      { REMUL_WEBGPU_WRITE_UPLOADS: "1" },
      { REMUL_WEBGPU_WRITE_UPLOADS: "0" },
    );
    assert.ok(
      on.lastStep.buffers < off.lastStep.buffers && on.lastStep.writes > off.lastStep.writes,
      `buffers created ${on.lastStep.buffers} and ${off.lastStep.buffers}, ` +
        `writes ${on.lastStep.writes} and ${off.lastStep.writes} (on and off)`,
    );
  },
);

Deno.test("REMUL_WEBGPU_WRITE_UPLOADS: a bad value names the variable", () => {
  Deno.env.set("REMUL_WEBGPU_WRITE_UPLOADS", "yes");
  try {
    assert.throws(() => installWebGpuWriteUploads({} as never), /REMUL_WEBGPU_WRITE_UPLOADS/);
  } finally {
    Deno.env.delete("REMUL_WEBGPU_WRITE_UPLOADS");
  }
});
