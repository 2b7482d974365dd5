/**
 * The binding-size check: the sentence it builds, and on webgpu (llvmpipe here) an error at the
 * dispatch, naming the program, for an output larger than the device binds.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { oversizedBinding } from "./webgpu_binding_limit.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";

const webgpu = await webgpuOnce("the WebGPU binding-limit tests");

Deno.test("oversizedBinding names the first tensor over the limit, counting 4 bytes an element (8 for complex64)", () => {
  const t = (shape: number[], dtype = "float32") => ({ shape, dtype });
  assert.equal(oversizedBinding("p", t([256]), [t([256]), t([256], "int32")], 1024), undefined);
  assert.match(
    oversizedBinding("p", t([256]), [t([4]), t([257])], 1024)!,
    /"p": its input 1 \[257\] \(float32\) takes 1028 bytes/,
  );
  assert.match(oversizedBinding("p", t([2, 129]), [], 1024)!, /its output \[2, 129\]/);
  assert.match(oversizedBinding("p", t([4]), [t([129], "complex64")], 1024)!, /takes 1032 bytes/);
  assert.match(oversizedBinding("p", t([257]), [], 1024)!, /maxStorageBufferBindingSize 1024/);
});

webgpuTest(
  webgpu,
  "webgpu: a program whose output is larger than the device binds fails at its dispatch, by name",
  async () => {
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits
      .maxStorageBufferBindingSize;
    const before = tf.memory().numTensors;
    // one element more than the limit allows; the check throws before the output is allocated
    assert.throws(() => tf.fill([limit / 4 + 1], 1.5), /WebGPU program "fill": its output/);
    assert.equal(tf.memory().numTensors, before);
    // the device took no invalid command: a small program still computes
    const ok = tf.fill([2000], 2.5);
    assert.deepEqual([...(await ok.data()).slice(0, 2)], [2.5, 2.5]);
    ok.dispose();
  },
);
