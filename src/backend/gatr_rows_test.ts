/**
 * GATr's row kernels on wasm (JavaScript loops) against the composite, values and gradients; on
 * cpu they are not registered and GATr composes.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend } from "./backend.ts";
import { compareGatrRows, ROW_CASES } from "../testing/gatr_rows_reference.ts";
import { GATR_NORM, gatrNorm, gatrRowDims, gatrRowsAvailable, setGatrRows } from "./gatr_rows.ts";

Deno.test("wasm: RemulGatrNorm and RemulGatrGate equal GATr's composite, values and gradients", async () => {
  await initBackend("wasm");
  for (const [i, rc] of ROW_CASES.entries()) await compareGatrRows(rc, 11 + 7 * i);
});

Deno.test("cpu: the row kernels are not registered, GATr composes", async () => {
  await initBackend("cpu");
  try {
    assert.ok(!gatrRowsAvailable());
    assert.equal(tf.getKernel(GATR_NORM, "cpu"), undefined);
    assert.throws(() => gatrNorm(tf.zeros([1, 16]), { sChannels: 0, eps: 0.01, bladeMask: 1 }));
  } finally {
    await initBackend("wasm");
  }
});

Deno.test("the row kernels: switch off, and rows that are not S + 16·C wide", async () => {
  await initBackend("wasm");
  setGatrRows(false);
  assert.ok(!gatrRowsAvailable());
  setGatrRows(true);
  assert.ok(gatrRowsAvailable());
  assert.throws(() => gatrRowDims({ shape: [2, 20] }, 3), /not \[T, 3 \+ 16·C\]/);
  assert.throws(() => gatrRowDims({ shape: [2, 2, 16] }, 0));
});
