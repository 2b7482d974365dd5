/**
 * The WGSL row kernels of GATr against the composite on the webgpu backend, values and
 * gradients. Runs in its own process (it switches this process to webgpu); skips with a note
 * where there is no WebGPU adapter.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { webgpuOnce, webgpuTest } from "../testing/webgpu_once.ts";
import { assertCloseToRms } from "../testing/assert_close.ts";
import { GATR_RESIDUAL_NORM, GATR_RESIDUAL_NORM_GRAD } from "./gatr_rows.ts";
import { normalizeInternal, residualNormalizeInternal } from "../models/gatr/normalization.ts";
import { compareGatrRows, ROW_CASES } from "../testing/gatr_rows_reference.ts";
import { assertNoGpuErrors } from "./gpu_errors.ts";

const webgpu = await webgpuOnce("the WGSL GATr row kernel tests");

webgpuTest(
  webgpu,
  "webgpu: RemulGatrNorm and RemulGatrGate equal GATr's composite, values and gradients",
  async () => {
    for (const [i, rc] of ROW_CASES.entries()) {
      await compareGatrRows(rc, 11 + 7 * i);
      assertNoGpuErrors(`in the GATr row kernels, case ${i}`);
    }
  },
);

webgpuTest(
  webgpu,
  "webgpu: RemulGatrResidualNorm equals x + y and GATr's pre-norm, values and both gradients, one kernel each way",
  async () => {
    for (const [i, { t, s, c }] of ROW_CASES.entries()) {
      tf.engine().startScope();
      const label = `T=${t} S=${s} C=${c}`;
      const w = s + 16 * c;
      const scale = t > 1 ? tf.linspace(0.002, 3, t).reshape([t, 1]) : tf.ones([t, 1]);
      const x = tf.randomNormal([t, w], 0, 1, "float32", 5 + i).mul(scale);
      const y = tf.randomNormal([t, w], 0, 0.5, "float32", 6 + i);
      const [a, b] = [tf.randomNormal([t, w], 0, 1, "float32", 7 + i), tf.randomNormal([t, w])];
      const composite = (x: tf.Tensor, y: tf.Tensor) => {
        const sum = x.add(y);
        return { sum, normed: normalizeInternal(sum, s) };
      };
      const fused = (x: tf.Tensor, y: tf.Tensor) => residualNormalizeInternal(x, y, s);
      const run = async (f: typeof fused) => {
        let outs: tf.Tensor[] = [];
        const info = await tf.profile(() => {
          const { sum, normed } = f(x, y);
          const loss = (x: tf.Tensor, y: tf.Tensor) => {
            const o = f(x, y);
            return o.sum.mul(a).add(o.normed.mul(b)); // no Sum: tfjs-webgpu's fails when empty
          };
          outs = [sum, normed, ...tf.grads(loss)([x, y])];
        });
        const values = await Promise.all(outs.map((o) => o.data() as Promise<Float32Array>));
        return { values, kernels: info.kernels.map((k) => k.name) };
      };
      const [got, want] = [await run(fused), await run(composite)];
      if (t > 0) {
        assert.deepEqual(
          got.kernels.filter((k) => k.startsWith("RemulGatr")),
          [GATR_RESIDUAL_NORM, GATR_RESIDUAL_NORM, GATR_RESIDUAL_NORM_GRAD],
          `${label}: one kernel each way`,
        );
        // the composite adds the sum and, backward, the sum's two gradients: both gone
        assert.equal(
          got.kernels.filter((k) => k === "Add").length,
          want.kernels.filter((k) => k === "Add").length - 3,
          `${label}: ${got.kernels} against ${want.kernels}`,
        );
      }
      assert.deepEqual(got.values[0], want.values[0], `${label}: the sum, bit for bit`);
      const names = ["norm", "gradient of x", "gradient of y"];
      for (const k of [1, 2, 3]) {
        assertCloseToRms(got.values[k], want.values[k], `${label}: ${names[k - 1]}`, 2e-5);
      }
      tf.engine().endScope();
      assertNoGpuErrors(`in RemulGatrResidualNorm, ${label}`);
    }
  },
);
