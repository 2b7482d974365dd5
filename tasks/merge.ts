/**
 * `deno task merge OUT DIR…`: joins the result folders of shards (`deno task bench --shard i/n`)
 * into one folder: `results.jsonl`, `results.csv`, `summary.md`, artifact CSVs and `report.html`,
 * with the records in the order an unsharded run lists them (the suite's expansion order).
 * Folders run with different settings (`--set`, repetitions, suite versions), and a case
 * completed in two folders with different metrics, are refused: no record can be chosen.
 *
 * @module
 */
import { createRegistries } from "../src/registry.ts";
import { writeOutputs } from "../src/runner/output.ts";
import { readResults } from "../src/runner/results_file.ts";
import { describeMixedSettings, mixedSettings } from "../src/runner/settings_diff.ts";
import type { ResultRecord } from "../src/runner/result.ts";
import { mergeShardRecords, recordKey } from "../src/runner/shard.ts";
import { expandSuite, type Scale } from "../src/runner/suite.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { metricColumns } from "../src/runner/columns.ts";
import { reportFolder } from "../src/report/report_folder.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task merge OUT DIR...

Joins the result folders of shards (deno task bench --shard i/n) of one suite at one scale into
OUT: results.jsonl, results.csv, summary.md, loss-surface CSVs and report.html, in the unsharded
order. OUT must not hold results yet. A case found in several folders keeps its completed (then
latest) record; a case completed in two folders with different metrics, and folders run with
different settings (--set, repetitions), are refused (exit 2, nothing written).

Options:
  -h, --help   this text
`;

/** Record keys (`suite/id`) of the suites in `records`, in the order unsharded runs list them. */
export function unshardedOrder(records: readonly ResultRecord[]): string[] {
  const suites = createSuiteRegistry();
  const registries = createRegistries();
  const seen = new Set<string>();
  const order: string[] = [];
  for (const r of records) {
    const k = `${r.suite}\u0000${r.scale}`;
    if (seen.has(k) || !suites.has(r.suite)) continue;
    seen.add(k);
    const reps = Math.max(
      ...records
        .filter((x) => x.suite === r.suite && x.scale === r.scale)
        .map((x) => Number(x.config?.protocol?.repetitions ?? 1) || 1),
    );
    try {
      const specs = expandSuite(suites.get(r.suite), r.scale as Scale, registries, {
        repetitions: reps,
      });
      order.push(...specs.map((s) => recordKey(s)));
    } catch {
      // the suite changed since the run: fall back to sorting those ids
    }
  }
  return order;
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length < 2) {
    throw new CliError(
      "expected an output folder and at least one shard folder; usage: deno task merge OUT DIR...",
    );
  }
  const [out, ...dirs] = positionals;
  const shards: ResultRecord[][] = [];
  for (const dir of dirs) {
    const st = await Deno.stat(`${dir}/results.jsonl`).catch(() => null);
    if (!st?.isFile) {
      throw new CliError(`"${dir}" has no results.jsonl; is it a shard's results folder?`);
    }
    try {
      shards.push(
        await readResults(dir, { onWarning: (m) => console.error(`merge: warning: ${m}`) }),
      );
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  // One folder holds one suite at one scale (results.jsonl is keyed by case id).
  const kinds = [...new Set(shards.flat().map((r) => `${r.suite} (${r.scale})`))];
  if (kinds.length > 1) {
    throw new CliError(
      `the folders hold different suites or scales (${
        kinds.join(", ")
      }); merge joins shards of one suite at one scale`,
    );
  }
  const mixed = mixedSettings(dirs.map((dir, i) => ({ source: dir, records: shards[i] })));
  if (mixed.length) {
    throw new CliError(
      `the folders ran with different settings: ${describeMixedSettings(mixed)}; merge joins ` +
        `shards of one run (same suite, scale, --set values and repetitions)`,
    );
  }
  const all = shards.flat();
  const { records, duplicates, conflicts } = mergeShardRecords(shards, unshardedOrder(all));
  if (conflicts.length) {
    const c = conflicts[0];
    throw new CliError(
      `case "${c.key}" is completed in both "${dirs[c.shards[0]]}" and "${
        dirs[c.shards[1]]
      }" with different metrics (${c.metrics.slice(0, 4).join(", ")}${
        c.metrics.length > 4 ? ", …" : ""
      })${
        conflicts.length > 1 ? `, and ${conflicts.length - 1} more case(s) likewise` : ""
      }; merge joins disjoint shards: leave out one of the folders (or its record)`,
    );
  }
  if (await Deno.stat(`${out}/results.jsonl`).catch(() => null)) {
    throw new CliError(`"${out}" already holds results.jsonl; merge into a new folder`);
  }
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    throw new CliError(`cannot create "${out}": ${(e as Error).message}`);
  }
  const suiteIds = [...new Set(records.map((r) => r.suite))];
  const suites = createSuiteRegistry();
  const suite = suiteIds.length === 1 && suites.has(suiteIds[0])
    ? suites.get(suiteIds[0])
    : undefined;
  const title = [...new Set(records.map((r) => `${r.suite} (${r.scale})`))].join(", ");
  await writeOutputs(out, records, title, suite?.ratios);
  const report = await reportFolder(out, {
    columns: metricColumns(),
    reference: suite?.reference,
  });
  if (duplicates.length) {
    console.error(
      `merge: ${duplicates.length} cases were in more than one folder: ${duplicates.join(", ")}`,
    );
  }
  const states = new Map<string, number>();
  for (const r of records) states.set(r.state, (states.get(r.state) ?? 0) + 1);
  console.error(
    `merge: ${records.length} results (${
      [...states].map(([s, n]) => `${n} ${s}`).join(", ")
    }) from ${dirs.length} folders written to ${out}/ (results.jsonl, results.csv, summary.md, ${
      report.split("/").pop()
    })`,
  );
  return 0;
}

if (import.meta.main) await runCli("merge", main);
