/**
 * The library's `runSuite` takes the same path as `deno task bench`: it selects the cases, writes
 * the results folder (records, views, report), refuses a folder that holds results unless it
 * resumes, and reports bad input as a `RunInputError` naming the option, before writing anything.
 */
import assert from "node:assert/strict";
import { nbodySuite } from "../bench/nbody.ts";
import { createRegistries } from "../src/registry.ts";
import { RunInputError } from "../src/runner/input_error.ts";
import { type RunPlan, runSuite } from "../src/runner/run_suite.ts";
import { emptySelection, selectCases } from "../src/runner/select_cases.ts";

const ONE = "/^gnn\\[procedure=plain\\]$/";

Deno.test("runSuite with out writes the folder as bench does, refuses it again, and resumes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "remul-run-suite-" });
  const out = `${dir}/run`;
  const options = { scale: "smoke", filter: ONE, backend: "wasm", jobs: 1, out } as const;
  const run = await runSuite(nbodySuite, options);
  assert.deepEqual(run.results.map((r) => r.state), ["completed"]);
  const lines = (await Deno.readTextFile(`${out}/results.jsonl`)).trim().split("\n");
  assert.equal(lines.length, 1);
  const csv = (await Deno.readTextFile(`${out}/results.csv`)).trim().split("\n");
  assert.equal(csv.length, 2);
  const header = csv[0].split(",");
  const bestStep = JSON.parse(lines[0]).metrics.best_step;
  assert.equal(csv[1].split(",")[header.indexOf("best_step")], String(bestStep), "best_step");
  assert.match(
    await Deno.readTextFile(`${out}/summary.md`),
    /`gnn\[procedure=plain\]` \| completed/,
  );
  assert.ok((await Deno.stat(`${out}/report.html`)).size > 0);

  const before = await Deno.readTextFile(`${out}/results.jsonl`);
  await assert.rejects(
    () => runSuite(nbodySuite, options),
    (e) =>
      e instanceof RunInputError && e.option === "out" &&
      /already holds 1 result\(s\) in results\.jsonl/.test(e.detail),
  );
  assert.equal(await Deno.readTextFile(`${out}/results.jsonl`), before, "nothing written");

  let plan: RunPlan | undefined;
  const resumed = await runSuite(nbodySuite, {
    ...options,
    resume: true,
    onStart: (p) => plan = p,
  });
  assert.equal(plan?.todo.length, 0);
  assert.equal(plan?.completed, 1);
  assert.equal(resumed.records.length, 0, "nothing ran");
  assert.equal(resumed.results.length, 1, "the resumed record is the selection's result");
  assert.equal(await Deno.readTextFile(`${out}/results.jsonl`), before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("case selection: bad input names the option; an empty selection names what emptied it", () => {
  const registries = createRegistries();
  assert.throws(
    () => selectCases(nbodySuite, registries, { scale: "smoke", filter: "/[/" }),
    (e) => e instanceof RunInputError && e.option === "filter" && /invalid regular/.test(e.detail),
  );
  assert.throws(
    () =>
      selectCases(nbodySuite, registries, {
        scale: "smoke",
        overrides: { train: { steps: 0 } },
      }),
    (e) => e instanceof RunInputError && e.option === undefined && /steps/.test(e.message),
  );
  const none = { scale: "smoke", filter: "no-such-case" } as const;
  const e1 = emptySelection(nbodySuite, selectCases(nbodySuite, registries, none), none);
  assert.equal(e1?.option, "filter");
  const sharded = { scale: "smoke", filter: ONE, shard: { index: 2, count: 2 } } as const;
  const e2 = emptySelection(nbodySuite, selectCases(nbodySuite, registries, sharded), sharded);
  assert.equal(e2?.option, "shard");
  assert.match(e2!.detail, /shard 2\/2 of 1 cases is empty/);
  const all = { scale: "smoke" } as const;
  const cases = selectCases(nbodySuite, registries, all);
  assert.equal(emptySelection(nbodySuite, cases, all), undefined);
  assert.equal(cases.selected.length, cases.expanded.length);
});
