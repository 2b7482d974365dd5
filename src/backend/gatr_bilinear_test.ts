/**
 * GATr's bilinear kernels on wasm (JavaScript loops) against the composite, values and gradients;
 * on cpu they are not registered and GATr composes.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend } from "./backend.ts";
import { BILINEAR_CASES, compareGatrBilinear } from "../testing/gatr_bilinear_reference.ts";
import {
  GATR_BILINEAR,
  gatrBilinear,
  gatrBilinearAvailable,
  gatrBilinearDims,
  GP_ENTRIES,
  JOIN_ENTRIES,
  setGatrBilinear,
} from "./gatr_bilinear.ts";

Deno.test("wasm: GATr's bilinear kernels equal the composite, values and gradients", async () => {
  await initBackend("wasm");
  for (const [i, bc] of BILINEAR_CASES.entries()) await compareGatrBilinear(bc, 3 + 5 * i);
});

Deno.test("cpu: the bilinear kernels are not registered, GATr composes", async () => {
  await initBackend("cpu");
  try {
    assert.ok(!gatrBilinearAvailable());
    assert.equal(tf.getKernel(GATR_BILINEAR, "cpu"), undefined);
    const attrs = { sChannels: 0 };
    assert.throws(() => gatrBilinear(tf.zeros([1, 64]), tf.ones([1, 1]), tf.zeros([1, 1]), attrs));
  } finally {
    await initBackend("wasm");
  }
});

Deno.test("the bilinear kernels: tables, wasm composes by default, switch, shapes that do not fit", async () => {
  await initBackend("wasm");
  assert.equal(GP_ENTRIES.length, 192);
  assert.equal(JOIN_ENTRIES.length, 81);
  assert.ok(!gatrBilinearAvailable(), "auto: webgpu only");
  setGatrBilinear(true);
  assert.ok(gatrBilinearAvailable());
  setGatrBilinear(false);
  assert.ok(!gatrBilinearAvailable());
  setGatrBilinear("auto");
  assert.equal(gatrBilinearDims({ shape: [6, 192] }, { shape: [3, 1] }, 2).h, 3);
  assert.throws(() => gatrBilinearDims({ shape: [6, 100] }, { shape: [3, 1] }, 2), /do not fit/);
  assert.throws(() => gatrBilinearDims({ shape: [7, 64] }, { shape: [3, 1] }, 2), /do not fit/);
});
