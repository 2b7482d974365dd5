/**
 * The WGSL row kernels of GATr against the composite on the webgpu backend, values and
 * gradients. Runs in its own process (it switches this process to webgpu); skips with a note
 * where there is no WebGPU adapter.
 */
import { webgpuOnce } from "../testing/webgpu_once.ts";
import { compareGatrRows, ROW_CASES } from "../testing/gatr_rows_reference.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";

const webgpu = await webgpuOnce("the WGSL GATr row kernel tests");

Deno.test({
  name: "webgpu: RemulGatrNorm and RemulGatrGate equal GATr's composite, values and gradients",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    if (!(await webgpu())) return;
    for (const [i, rc] of ROW_CASES.entries()) {
      await compareGatrRows(rc, 11 + 7 * i);
      assertNoGpuErrors(`in the GATr row kernels, case ${i}`);
    }
  },
});
