import assert from "node:assert/strict";
import { equivarianceBatch } from "./metric.ts";

const shaped = (items: number) => ({
  inputs: [{ name: "pos", kind: "position", shape: [items, 3] }] as const,
});

Deno.test("E/E' batches hold 8192 items: N-body unchanged at 2048 samples, MoCap at 264", () => {
  assert.equal(equivarianceBatch(shaped(4)), 2048);
  assert.equal(equivarianceBatch(shaped(31)), 264);
  assert.equal(equivarianceBatch(shaped(10_000)), 1);
});
