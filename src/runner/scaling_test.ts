import assert from "node:assert/strict";
import {
  caseSeconds,
  roundOrder,
  scalingMarkdown,
  scalingRows,
  type ScalingRun,
  scalingSummary,
} from "./scaling.ts";
import type { ResultRecord } from "./result.ts";

const run = (round: number, jobs: number, wallS: number, caseS: number): ScalingRun => ({
  round,
  jobs,
  cases: 12,
  completed: 12,
  wallS,
  caseS,
});

Deno.test("rounds alternate the order of the jobs values", () => {
  assert.deepEqual(roundOrder([1, 2, 4], 0), [1, 2, 4]);
  assert.deepEqual(roundOrder([1, 2, 4], 1), [4, 2, 1]);
  assert.deepEqual(roundOrder([1, 2, 4], 2), [1, 2, 4]);
});

Deno.test("case seconds sum each record's start-to-end time", () => {
  const rec = (a: string, b: string) => ({ startedAt: a, endedAt: b }) as ResultRecord;
  const s = caseSeconds([
    rec("2026-11-29T10:00:00.000Z", "2026-11-29T10:00:04.500Z"),
    rec("2026-11-29T10:00:01.000Z", "2026-11-29T10:00:03.250Z"),
  ]);
  assert.equal(s, 6.75);
});

Deno.test("each run is measured against its own round's base run, then medians over rounds", () => {
  // round 0: the machine is fast; round 1: it is 20% slower for both jobs values
  const rows = scalingRows(
    [run(0, 1, 100, 96), run(0, 2, 55, 104), run(1, 2, 66, 125), run(1, 1, 120, 115.2)],
    1,
  );
  const two = rows.filter((r) => r.jobs === 2);
  assert.deepEqual(two.map((r) => +r.speedup.toFixed(4)), [1.8182, 1.8182]);
  assert.equal(two[0].caseInflation, 104 / 96);
  assert.equal(two[0].busy, 104 / (2 * 55));
  assert.equal(rows[0].casesPerMinute, 7.2);
  const [one, s2] = scalingSummary(rows, [1, 2]);
  assert.equal(one.medianSpeedup, 1);
  assert.equal(one.medianWallS, 110);
  assert.equal(s2.rounds, 2);
  assert.ok(Math.abs(s2.medianSpeedup - 100 / 55) < 1e-12);
  assert.equal(s2.minSpeedup, s2.maxSpeedup);
  // a lone slow pair would be off by 20% without the per-round base
  assert.ok(Math.abs(s2.medianCaseInflation - (104 / 96 + 125 / 115.2) / 2) < 1e-12);
  const md = scalingMarkdown("t", rows, [one, s2]);
  assert.match(md, /\| 2 \| 2 \| 60\.5 \| 1\.82 \(1\.82–1\.82\) \| 1\.08 \| 0\.95 \|/);
});

Deno.test("a round without the base jobs value is refused", () => {
  assert.throws(() => scalingRows([run(0, 2, 50, 90)], 1), /round 0 has no run at --jobs 1/);
});
