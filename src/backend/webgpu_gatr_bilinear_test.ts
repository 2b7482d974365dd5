/**
 * The WGSL bilinear kernels of GATr against the composite on the webgpu backend, values and
 * gradients. Runs in its own process (it switches this process to webgpu); skips with a note
 * where there is no WebGPU adapter.
 */
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { BILINEAR_CASES, compareGatrBilinear } from "../testing/gatr_bilinear_reference.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";

const webgpu = await webgpuOnce("the WGSL GATr bilinear kernel tests");

webgpuTest(
  webgpu,
  "webgpu: GATr's bilinear kernels equal the composite, values and gradients",
  async () => {
    for (const [i, bc] of BILINEAR_CASES.entries()) {
      await compareGatrBilinear(bc, 3 + 5 * i);
      assertNoGpuErrors(`in the GATr bilinear kernels, case ${i}`);
    }
  },
);
