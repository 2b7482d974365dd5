/**
 * Tasks are thin command lines over the library: a task file imports library code and the shared
 * CLI helpers (`tasks/_cli.ts`), never another task, so what a task does is decided in `src/`.
 */
import assert from "node:assert/strict";

Deno.test("no task file imports another task file (only tasks/_cli.ts)", async () => {
  const dir = new URL("../tasks/", import.meta.url);
  const offending: string[] = [];
  let tasks = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith(".ts") || e.name.endsWith("_test.ts")) continue;
    tasks++;
    const text = await Deno.readTextFile(new URL(e.name, dir));
    for (const m of text.matchAll(/(?:from|import\()\s*["']\.\/([^"']+)["']/g)) {
      if (m[1] !== "_cli.ts") offending.push(`tasks/${e.name} imports ./${m[1]}`);
    }
  }
  assert.ok(tasks >= 10, `found the task files (${tasks})`);
  assert.deepEqual(offending, []);
});
