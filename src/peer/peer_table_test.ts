import assert from "node:assert/strict";
import { peerRoundsSummary, peerRoundsTable } from "./peer_table.ts";
import type { PeerRecord } from "./run_peer.ts";

const side = (ms: number) => ({ median: ms }) as PeerRecord["ours"]["infer"];
const record = (model: string, ours: number, torch: number): PeerRecord =>
  ({
    model,
    config: "small",
    ours: { plainStep: side(ours), remulStep: side(ours), infer: side(ours) },
    torch: { plainStep: side(torch), remulStep: side(torch), infer: side(torch) },
    ratio: { plainStep: ours / torch, remulStep: ours / torch, infer: ours / torch },
  }) as PeerRecord;

Deno.test("rounds: the median round's ratio and times, with the range of the rounds", () => {
  const rounds = [
    [record("gnn", 12, 10), record("mlp", 1, 2)],
    [record("gnn", 9, 10), record("mlp", 3, 2)],
    [record("gnn", 15, 10), record("mlp", 2, 2)],
  ];
  const [gnn, mlp] = peerRoundsSummary(rounds);
  assert.deepEqual(gnn.cells.infer, { ratio: 1.2, min: 0.9, max: 1.5, ours: 12, torch: 10 });
  assert.deepEqual(mlp.cells.plainStep, { ratio: 1, min: 0.5, max: 1.5, ours: 2, torch: 2 });
  // two rounds: the lower of the two, a round that ran
  assert.equal(peerRoundsSummary(rounds.slice(0, 2))[0].cells.infer.ratio, 0.9);
  assert.match(
    peerRoundsTable(rounds),
    /\| gnn \| small \| 12\.0 \/ 10\.0 \| \*\*1\.20\*\* \(0\.90–1\.50\)/,
  );
});

Deno.test("rounds: a workload missing from a round is an error", () => {
  assert.throws(
    () => peerRoundsSummary([[record("gnn", 1, 1)], [record("mlp", 1, 1)]]),
    /gnn\/small is missing from a round/,
  );
});
