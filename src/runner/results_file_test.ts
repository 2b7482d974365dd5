import assert from "node:assert/strict";
import { makeRecord } from "../testing/records.ts";
import {
  appendResult,
  dropPartialLastLine,
  parseResults,
  readResults,
  readResultsFile,
  writeResultsFile,
} from "./results_file.ts";
import { writeTextFileAtomic } from "./atomic_write.ts";

const line = (r: unknown) => JSON.stringify(r);
const a = makeRecord({ model: "mlp" });
const b = makeRecord({ model: "gnn" });

Deno.test("a last line cut off mid-write is skipped with a warning naming it", async () => {
  const dir = await Deno.makeTempDir();
  const cut = line(b).slice(0, 80);
  await Deno.writeTextFile(`${dir}/results.jsonl`, `${line(a)}\n${cut}`);
  const warnings: string[] = [];
  const records = await readResults(dir, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(records.map((r) => r.id), ["mlp[procedure=plain]"]);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /results\.jsonl line 2 is cut off mid-write \(80 bytes, no newline, case "gnn\[procedure=plain\]"\): skipped/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a bad line elsewhere stays an error naming file and line", () => {
  assert.throws(
    () => parseResults(`${line(a).slice(0, 50)}\n${line(b)}\n`, "x/results.jsonl"),
    /x\/results\.jsonl line 1: not valid JSON \(not the last line\)/,
  );
  // A bad last line that ends with a newline was not cut off by a crash.
  assert.throws(
    () => parseResults(`${line(a)}\n{"id":\n`, "x/results.jsonl"),
    /line 2: not valid JSON \(the last line ends with a newline/,
  );
});

Deno.test("a record that is valid JSON but lacks fields is an error naming line, case and field", () => {
  const { metrics: _m, ...noMetrics } = a as typeof a & { metrics: unknown };
  assert.throws(
    () => parseResults(`${line(b)}\n${line(noMetrics)}\n`, "x/results.jsonl"),
    /x\/results\.jsonl line 2: record "mlp\[procedure=plain\]" lacks "metrics" \(expected an object of numbers\)/,
  );
  assert.throws(
    () => parseResults(`${line({ ...b, environment: {} })}\n`, "f"),
    /f line 1: record "gnn\[procedure=plain\]" lacks "environment\.backend" \(expected an object\)/,
  );
  assert.throws(
    () => parseResults(`${line({ ...b, state: "done" })}\n`, "f"),
    /f line 1: record "gnn\[procedure=plain\]" has state "done", expected one of completed, errored, skipped, aborted/,
  );
  assert.throws(() => parseResults(`[1]\n`, "f"), /f line 1: expected a JSON object/);
  assert.throws(
    () => parseResults(`${line({ ...b, repetition: "0" })}\n`, "f"),
    /has "repetition" = "0" \(expected an integer ≥ 0\)/,
  );
});

Deno.test("metrics written as null (NaN in JSON) read back as NaN", () => {
  const r = parseResults(line({ ...a, metrics: { final_alpha: null, mse_test: 1 } }), "f");
  const m = (r.records[0] as { metrics: Record<string, number> }).metrics;
  assert.ok(Number.isNaN(m.final_alpha));
  assert.equal(m.mse_test, 1);
});

Deno.test("append then atomic rewrite; the last record of a case wins in its first place", async () => {
  const dir = await Deno.makeTempDir();
  await appendResult(dir, a);
  await appendResult(dir, b);
  await appendResult(dir, { ...a, endedAt: "2026-01-02T00:00:00.000Z" });
  const read = await readResultsFile(dir);
  assert.equal(read.lines, 3);
  assert.deepEqual(read.records.map((r) => [r.id, r.endedAt]), [
    ["mlp[procedure=plain]", "2026-01-02T00:00:00.000Z"],
    ["gnn[procedure=plain]", b.endedAt],
  ]);
  await writeResultsFile(dir, read.records);
  assert.equal((await Deno.readTextFile(`${dir}/results.jsonl`)).split("\n").length, 3);
  assert.deepEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name),
    ["results.jsonl"],
    "no temp file",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an atomic write that fails leaves the old file and no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  await writeTextFileAtomic(`${dir}/f`, "old\n");
  await Deno.mkdir(`${dir}/d`);
  await Deno.writeTextFile(`${dir}/d/x`, "");
  // renaming a file over a non-empty folder fails
  await assert.rejects(() => writeTextFileAtomic(`${dir}/d`, "new\n"));
  assert.equal(await Deno.readTextFile(`${dir}/f`), "old\n");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["d", "f"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("dropPartialLastLine cuts a line left without its newline, and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await dropPartialLastLine(dir), undefined, "no file");
  const good = `${line(a)}\n${line(b)}\n`;
  await Deno.writeTextFile(`${dir}/results.jsonl`, good + line(a).slice(0, 30));
  assert.deepEqual(await dropPartialLastLine(dir), { line: 3, text: line(a).slice(0, 30) });
  assert.equal(await Deno.readTextFile(`${dir}/results.jsonl`), good);
  assert.equal(await dropPartialLastLine(dir), undefined, "complete file: untouched");
  await appendResult(dir, a);
  assert.equal((await readResultsFile(dir)).lines, 3);
  await Deno.remove(dir, { recursive: true });
});
