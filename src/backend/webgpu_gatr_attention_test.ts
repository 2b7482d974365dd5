/**
 * The WGSL attention kernels of GATr against the composite on the webgpu backend, values and
 * gradients. Runs in its own process (it switches this process to webgpu); skips with a note
 * where there is no WebGPU adapter.
 */
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { ATTENTION_CASES, compareGatrAttention } from "../testing/gatr_attention_reference.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";

const webgpu = await webgpuOnce("the WGSL GATr attention kernel tests");

webgpuTest(
  webgpu,
  "webgpu: GATr's attention kernels equal the composite, values and gradients",
  async () => {
    for (const [i, ac] of ATTENTION_CASES.entries()) {
      await compareGatrAttention(ac, 5 + 9 * i);
      assertNoGpuErrors(`in the GATr attention kernels, case ${i}`);
    }
  },
);
