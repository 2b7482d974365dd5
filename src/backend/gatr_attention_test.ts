/**
 * GATr's attention kernels on wasm (JavaScript loops) against the composite, values and
 * gradients; on cpu they are not registered and GATr composes.
 */
import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { initBackend } from "./backend.ts";
import { ATTENTION_CASES, compareGatrAttention } from "../testing/gatr_attention_reference.ts";
import {
  GATR_ATTN_CORE,
  gatrAttention,
  gatrAttentionAvailable,
  gatrAttentionDims,
  MAX_ITEMS,
  setGatrAttention,
} from "./gatr_attention.ts";

Deno.test("wasm: GATr's attention kernels equal the composite, values and gradients", async () => {
  await initBackend("wasm");
  for (const [i, ac] of ATTENTION_CASES.entries()) await compareGatrAttention(ac, 5 + 9 * i);
});

Deno.test("cpu: the attention kernels are not registered, GATr composes", async () => {
  await initBackend("cpu");
  try {
    assert.ok(!gatrAttentionAvailable());
    assert.equal(tf.getKernel(GATR_ATTN_CORE, "cpu"), undefined);
    const attrs = { heads: 1, mv: 1, s: 1, items: 1 };
    assert.throws(() => gatrAttention(tf.zeros([1, 51]), tf.zeros([1, 1]), attrs));
  } finally {
    await initBackend("wasm");
  }
});

Deno.test("the attention kernels: wasm composes by default, switch, item limit, shapes that do not fit", async () => {
  await initBackend("wasm");
  assert.ok(!gatrAttentionAvailable(), "auto: webgpu only");
  setGatrAttention(true);
  assert.ok(gatrAttentionAvailable(MAX_ITEMS));
  assert.ok(!gatrAttentionAvailable(MAX_ITEMS + 1));
  setGatrAttention(false);
  assert.ok(!gatrAttentionAvailable());
  setGatrAttention("auto");
  const attrs = { heads: 2, mv: 1, s: 4, items: 5 };
  assert.equal(gatrAttentionDims({ shape: [10, 80] }, attrs).d, 16);
  assert.throws(() => gatrAttentionDims({ shape: [10, 81] }, attrs), /does not fit/);
  assert.throws(() => gatrAttentionDims({ shape: [9, 80] }, attrs), /does not fit/);
  assert.throws(
    () => gatrAttentionDims({ shape: [65, 80] }, { ...attrs, items: 65 }),
    /65 items/,
  );
});
