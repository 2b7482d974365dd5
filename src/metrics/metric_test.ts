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

Deno.test("items per sample: the largest leading axis of the per-item fields, whatever their order", () => {
  const fields = (...shapes: number[][]) =>
    ({
      inputs: shapes.map((shape, i) => ({ name: `f${i}`, kind: "scalar", shape })),
    }) as unknown as Parameters<typeof equivarianceBatch>[0];
  assert.equal(equivarianceBatch(fields([5], [31, 3])), 264); // a per-sample vector first
  assert.equal(equivarianceBatch(fields([4, 1], [4, 3])), 2048);
  assert.equal(equivarianceBatch(fields([7])), 8192); // no per-item field: one item a sample
});
