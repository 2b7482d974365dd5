import assert from "node:assert/strict";
import { checkRanges, describeRange, inRange } from "./config_range.ts";

const RANGES = {
  steps: { integer: true, min: 1, what: "optimiser steps" },
  lr: { above: 0 },
  angles: { min: 0, max: 180 },
};

Deno.test("checkRanges rejects values out of range, naming key, range and value", () => {
  checkRanges({ steps: 1, lr: 1e-9, angles: [0, 180], other: -1 }, RANGES, "cfg");
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ steps: -3 }, /Key "steps" \(optimiser steps\) for cfg must be an integer ≥ 1, got -3$/],
    [{ steps: 2.5 }, /must be an integer ≥ 1, got 2\.5/],
    [{ steps: 0 }, /must be an integer ≥ 1, got 0/],
    [{ lr: -5 }, /Key "lr" for cfg must be a number > 0, got -5$/],
    [{ lr: 0 }, /must be a number > 0, got 0/],
    [
      { angles: [10, 200] },
      /must hold only values that are a number ≥ 0 and ≤ 180, got \[10,200\]/,
    ],
    [{ steps: "3" }, /must be an integer ≥ 1, got "3"/],
  ];
  for (const [config, re] of cases) assert.throws(() => checkRanges(config, RANGES, "cfg"), re);
});

Deno.test("describeRange and inRange", () => {
  assert.equal(describeRange({ integer: true, min: 0 }), "an integer ≥ 0");
  assert.equal(describeRange({}), "a number");
  assert.ok(!inRange(NaN, {}));
  assert.ok(!inRange(Infinity, { min: 0 }));
  assert.ok(inRange(3, { integer: true, min: 1, max: 3 }));
});
