import assert from "node:assert/strict";
import { mergeShardRecords, parseShard, shardItems } from "./shard.ts";
import type { ResultRecord } from "./result.ts";

const ids = [
  "transformer[procedure=plain]",
  "transformer[procedure=augmentation]",
  "transformer[beta=1,procedure=remul]",
  "transformer[beta=10,procedure=remul]",
  "gatr[procedure=plain]",
  "se3-transformer[procedure=plain]",
  "egnn[procedure=plain]",
  "gnn[procedure=plain]",
  "gnn[beta=1,procedure=remul]",
  "gnn[beta=10,procedure=remul]",
];
const specs = ids.map((id) => ({ id }));

function record(
  id: string,
  state: ResultRecord["state"] = "completed",
  endedAt = "2026-01-01T00:00:01Z",
) {
  return { id, suite: "nbody", state, endedAt } as unknown as ResultRecord;
}

Deno.test("shards 1/3, 2/3, 3/3 cover every case exactly once, with sizes within one", () => {
  const shards = [1, 2, 3].map((index) => shardItems(specs, { index, count: 3 }));
  const all = shards.flat().map((s) => s.id);
  assert.equal(all.length, ids.length);
  assert.deepEqual([...all].sort(), [...ids].sort());
  const sizes = shards.map((s) => s.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, String(sizes));
  // each shard keeps the input order and does not depend on it
  for (const s of shards) {
    assert.deepEqual(
      s.map((x) => x.id),
      ids.filter((id) => s.some((x) => x.id === id)),
    );
  }
  const reversed = shardItems([...specs].reverse(), { index: 2, count: 3 }).map((s) => s.id).sort();
  assert.deepEqual(reversed, shards[1].map((s) => s.id).sort());
});

Deno.test("shards merge back into the unsharded list and order", () => {
  const shards = [1, 2, 3].map((index) =>
    shardItems(specs, { index, count: 3 }).map((s) => record(s.id))
  );
  const { records, duplicates } = mergeShardRecords(
    shards.reverse(),
    ids.map((id) => `nbody/${id}`),
  );
  assert.deepEqual(records.map((r) => r.id), ids);
  assert.deepEqual(duplicates, []);
});

Deno.test("mergeShardRecords keeps the completed record of a duplicate, and unknown ids last", () => {
  const a = [record("x", "errored", "2026-01-02T00:00:00Z"), record("z")];
  const b = [record("x", "completed", "2026-01-01T00:00:00Z"), record("y")];
  const { records, duplicates } = mergeShardRecords([a, b], ["nbody/y", "nbody/x"]);
  assert.deepEqual(records.map((r) => `${r.id}:${r.state}`), [
    "y:completed",
    "x:completed",
    "z:completed",
  ]);
  assert.deepEqual(duplicates, ["nbody/x"]);
  // the same case id in two suites is two records
  const other = { ...record("x"), suite: "loss-surface" } as ResultRecord;
  assert.equal(mergeShardRecords([a, [other]]).records.length, 3);
});

Deno.test("parseShard accepts i/n with 1 ≤ i ≤ n and nothing else", () => {
  assert.deepEqual(parseShard("3/3"), { index: 3, count: 3 });
  for (const bad of ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2"]) {
    assert.throws(() => parseShard(bad), /expected i\/n with 1 ≤ i ≤ n/, bad);
  }
});

Deno.test("mergeShardRecords reports a case completed twice with different metrics", () => {
  const x1 = { ...record("x"), metrics: { mse_test: 1, equi_e: 2 } } as ResultRecord;
  const x2 = { ...record("x"), metrics: { mse_test: 1.5, equi_e: 2 } } as ResultRecord;
  const same = { ...record("x"), metrics: { mse_test: 1, equi_e: 2 } } as ResultRecord;
  assert.deepEqual(mergeShardRecords([[x1], [x2]]).conflicts, [
    { key: "nbody/x", shards: [0, 1], metrics: ["mse_test"] },
  ]);
  assert.deepEqual(mergeShardRecords([[x1], [same]]).conflicts, [], "equal metrics: a duplicate");
});
