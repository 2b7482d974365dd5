/** The README's table of results columns is the one derived from the metric definitions. */
import assert from "node:assert/strict";
import { columnsMarkdown, resultColumns } from "../src/runner/columns.ts";
import { README_MARKERS, withColumnsTable } from "../tasks/columns.ts";

/** A Markdown table's cells, row by row, without the padding `deno fmt` adds. */
function cells(table: string): string[][] {
  return table.trim().split("\n").map((line) =>
    line.trim().replace(/^\||\|$/g, "").split(/(?<!\\)\|/).map((c) => {
      const t = c.trim();
      return /^-+$/.test(t) ? "---" : t;
    })
  );
}

Deno.test("README's results-columns table equals the generated one (deno task columns --write)", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const [open, close] = README_MARKERS;
  const a = readme.indexOf(open);
  const b = readme.indexOf(close);
  assert.ok(a >= 0 && b > a, `README.md has the markers ${open} … ${close}`);
  assert.deepEqual(
    cells(readme.slice(a + open.length, b)),
    cells(columnsMarkdown()),
    "README.md's columns table is stale: run `deno task columns --write && deno fmt README.md`",
  );
});

Deno.test("every column is in the table once, best_step and the NaN-able ones included", () => {
  const table = columnsMarkdown();
  const names = resultColumns().map((c) => c.name);
  assert.equal(new Set(names).size, names.length, "no duplicate column");
  for (const n of names) assert.ok(table.includes(`| \`${n}\` |`), n);
  assert.ok(names.includes("best_step"));
  const nan = resultColumns().filter((c) => c.mayBeNaN).map((c) => c.name);
  assert.deepEqual(nan, ["final_alpha", "final_beta"]);
  assert.throws(() => withColumnsTable("no markers", table), new RegExp(README_MARKERS[0]));
});
