import assert from "node:assert/strict";
import { makeRecord, nbodyMetrics } from "../testing/records.ts";
import { writeOutputs } from "./output.ts";

Deno.test("writeOutputs replaces every file by rename (never truncates in place) and leaves no temporary files", async () => {
  const dir = await Deno.makeTempDir();
  const records = [
    makeRecord({ metrics: nbodyMetrics(0) }),
    makeRecord({ model: "gnn", metrics: nbodyMetrics(1) }),
  ];
  await writeOutputs(dir, records, "t");
  const files = ["results.jsonl", "results.csv", "summary.md"];
  const inode = async (f: string) => (await Deno.stat(`${dir}/${f}`)).ino;
  const before = await Promise.all(files.map(inode));
  // A reader holding the old file still reads it whole while the new one is written: the old
  // file is never truncated, so a kill at any moment leaves a complete file.
  const old = await Deno.open(`${dir}/results.jsonl`);
  await writeOutputs(dir, records.slice(0, 1), "t");
  const after = await Promise.all(files.map(inode));
  files.forEach((f, i) => assert.notEqual(after[i], before[i], `${f} was rewritten in place`));
  const oldText = new TextDecoder().decode(await new Response(old.readable).arrayBuffer());
  assert.equal(oldText.trim().split("\n").length, 2, "the old file stays complete");
  assert.equal((await Deno.readTextFile(`${dir}/results.jsonl`)).trim().split("\n").length, 1);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [...files].sort());
  await Deno.remove(dir, { recursive: true });
});
