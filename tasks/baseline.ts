/**
 * `deno task baseline DIR [--out FILE] [threshold flags]`: writes a baseline file for the
 * regression check from a results folder: per case its metric values, repetitions and spread,
 * plus the thresholds `deno task compare` and `deno task bench --baseline` apply.
 *
 * @module
 */
import { createBaseline, DEFAULT_THRESHOLDS } from "../src/report/baseline.ts";
import { readResults } from "../src/runner/results_file.ts";
import { writeTextFileAtomic } from "../src/runner/atomic_write.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task baseline DIR [options]

Writes a baseline for the regression check from the results in DIR (repetitions of a case are
pooled: mean, spread, count). Edit the file's "thresholds" to tune the check, including per-metric
overrides: "metrics": { "cold_start_ms": { "relative": 5 }, "mse_val": { "ignore": true } }.

Options:
  --out FILE                  where to write (default: DIR/baseline.json)
  --time-relative R           times may get worse by this fraction (default ${DEFAULT_THRESHOLDS.timeRelative} = ±${
  DEFAULT_THRESHOLDS.timeRelative * 100
}%)
  --mse-absolute A            MSE may get worse by this much (default ${DEFAULT_THRESHOLDS.mseAbsolute})
  --equivariance-absolute A   E and E' may get worse by this much (default ${DEFAULT_THRESHOLDS.equivarianceAbsolute})
  --other-relative R          any other metric, relative (default ${DEFAULT_THRESHOLDS.otherRelative})
  --noise-factor K            also require a change beyond K standard errors (default ${DEFAULT_THRESHOLDS.noiseFactor})
  -h, --help                  this text
`;

const FLAGS = {
  "time-relative": "timeRelative",
  "mse-absolute": "mseAbsolute",
  "equivariance-absolute": "equivarianceAbsolute",
  "other-relative": "otherRelative",
  "noise-factor": "noiseFactor",
} as const;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(Deno.args, {
    out: { type: "string" },
    "time-relative": { type: "string" },
    "mse-absolute": { type: "string" },
    "equivariance-absolute": { type: "string" },
    "other-relative": { type: "string" },
    "noise-factor": { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new CliError(
      `expected one results folder, got ${positionals.length}; usage: deno task baseline DIR [--out FILE]`,
    );
  }
  const thresholds: Record<string, number> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    const n = Number(v);
    if (String(v).trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new CliError(`--${flag}: expected a non-negative number, got "${v}"`);
    }
    thresholds[key] = n;
  }
  const dir = positionals[0];
  let records;
  try {
    records = await readResults(dir, {
      onWarning: (m) => console.error(`baseline: warning: ${m}`),
    });
  } catch (e) {
    throw new CliError(`cannot read ${dir}/results.jsonl: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new CliError(`"${dir}" has no results (results.jsonl)`);
  const baseline = createBaseline(records, { thresholds, source: dir });
  const out = (values.out as string | undefined) ?? `${dir}/baseline.json`;
  try {
    await writeTextFileAtomic(out, JSON.stringify(baseline, null, 2) + "\n");
  } catch (e) {
    throw new CliError(`--out: cannot write "${out}": ${(e as Error).message}`);
  }
  const n = Object.keys(baseline.cases).length;
  console.error(`baseline: ${n} cases from ${records.length} results written to ${out}`);
  console.log(out);
  return 0;
}

if (import.meta.main) await runCli("baseline", main);
