import assert from "node:assert/strict";
import type { MetricColumn } from "../metrics/metric.ts";
import type { ResultRecord } from "../runner/result.ts";
import { createBaseline } from "./baseline.ts";
import { compareToBaseline, comparisonMarkdown, noiseBound, thresholdFor } from "./compare.ts";
import { makeRecord, nbodyMetrics } from "../testing/records.ts";

const COLUMNS: MetricColumn[] = [
  { name: "mse_test", better: "smaller", unit: "", description: "" },
  { name: "mse_ood", better: "smaller", unit: "", description: "" },
  { name: "equi_e", better: "smaller", unit: "", description: "" },
  { name: "equi_e_prime", better: "smaller", unit: "", description: "" },
  { name: "train_step_ms", better: "smaller", unit: "ms", description: "" },
  { name: "train_step_iqr_ms", better: "neither", unit: "ms", description: "" },
  { name: "infer_ms", better: "smaller", unit: "ms", description: "" },
  { name: "accuracy", better: "larger", unit: "", description: "" },
];

/** A small suite run: three cases, `reps` repetitions each, `tweak` applied per record. */
function run(reps: number, tweak: (id: string, m: Record<string, number>, rep: number) => void) {
  const out: ResultRecord[] = [];
  for (const [procedure, k] of [["plain", 0], ["augmentation", 1], ["remul", 2]] as const) {
    for (let rep = 0; rep < reps; rep++) {
      const m = nbodyMetrics(k, 10 + k);
      const params: Record<string, number> = procedure === "remul" ? { beta: 10 } : {};
      const id = `transformer[${procedure === "remul" ? "beta=10," : ""}procedure=${procedure}]`;
      tweak(id, m, rep);
      out.push(makeRecord({ procedure, params, rep, reps, metrics: m }));
    }
  }
  return out;
}
const same = () => {};
const compare = (base: ResultRecord[], now: ResultRecord[]) =>
  compareToBaseline(createBaseline(base), now, { columns: COLUMNS });

Deno.test("compare: identical runs pass with every metric unchanged", () => {
  const c = compare(run(1, same), run(1, same));
  assert.equal(c.regressions, 0);
  assert.equal(c.casesCompared, 3);
  assert.ok(c.rows.length > 0 && c.rows.every((r) => r.verdict === "unchanged"));
  assert.ok(!c.rows.some((r) => r.metric === "train_step_iqr_ms"), "'neither' is not compared");
  assert.match(comparisonMarkdown(c), /\*\*Result: no regression\*\* in 3 cases/);
});

Deno.test("compare: a planted 3× slowdown fails on exactly that case's time rows", () => {
  const slow = run(1, (id, m) => {
    if (id === "transformer[procedure=augmentation]") {
      m.train_step_ms *= 3;
      m.infer_ms *= 3;
    }
  });
  const c = compare(run(1, same), slow);
  const failing = c.rows.filter((r) => r.regression);
  assert.deepEqual(
    failing.map((r) => [r.key, r.metric]),
    [["transformer[procedure=augmentation]", "train_step_ms"], [
      "transformer[procedure=augmentation]",
      "infer_ms",
    ]],
  );
  assert.equal(failing[0].verdict, "worse");
  assert.equal(failing[0].noise, null, "one repetition: noise not judged");
  const md = comparisonMarkdown(c, { changesOnly: true });
  assert.match(
    md,
    /\| `transformer\[procedure=augmentation\]` \| train_step_ms \| 11 \(n=1\) \| 33 \(n=1\) \| \+200% \| ±50% \| n<2: not judged \| ❌ worse \|/,
  );
  assert.match(md, /\*\*Result: 2 regressions \(❌\) in 1 of 3 cases\*\*/);
  assert.match(md, /too few repetitions/);
});

Deno.test("compare: a planted error jump fails; an errored case that completed before fails", () => {
  const now = run(1, (id, m) => {
    if (id === "transformer[beta=10,procedure=remul]") m.mse_test += 0.05;
  }).map((r) =>
    r.id === "transformer[procedure=plain]"
      ? makeRecord({ state: "errored", message: "NonFiniteLossError: loss became NaN" })
      : r
  );
  const c = compare(run(1, same), now);
  const failing = c.rows.filter((r) => r.regression).map((r) => [r.key, r.metric, r.verdict]);
  assert.deepEqual(failing, [
    ["transformer[procedure=plain]", null, "errored"],
    ["transformer[beta=10,procedure=remul]", "mse_test", "worse"],
  ]);
  const md = comparisonMarkdown(c);
  assert.match(md, /❌ errored: 1 of 1 repetitions errored: NonFiniteLossError/);
  assert.match(
    md,
    /\| mse_test \| 0\.012 \(n=1\) \| 0\.062 \(n=1\) \| \+0\.05 \(\+417%\) \| ±0\.001 \|/,
  );
});

Deno.test("compare: noise within the measured spread passes; beyond it fails", () => {
  // baseline step times 10, 14, 18 ms (sd 4); now 16, 20, 24 (+6 ms = +43%, over a 30% threshold)
  const times = [10, 14, 18];
  const base = run(3, (_, m, rep) => (m.train_step_ms = times[rep]));
  const noisy = run(3, (_, m, rep) => (m.train_step_ms = times[rep] + 6));
  const b = createBaseline(base, { thresholds: { timeRelative: 0.3 } });
  const c = compareToBaseline(b, noisy, { columns: COLUMNS });
  const row = c.rows.find((r) => r.metric === "train_step_ms")!;
  assert.equal(row.verdict, "worse-within-noise");
  assert.ok(row.noise! > 6, `noise bound ${row.noise}`);
  assert.equal(c.regressions, 0);
  assert.match(comparisonMarkdown(c, { changesOnly: true }), /⚠️ worse, within noise/);
  // the same shift with a tight spread is beyond the noise
  const tight = run(3, (_, m, rep) => (m.train_step_ms = 14 + rep * 0.1));
  const shifted = run(3, (_, m, rep) => (m.train_step_ms = 20 + rep * 0.1));
  const c2 = compareToBaseline(
    createBaseline(tight, { thresholds: { timeRelative: 0.3 } }),
    shifted,
    {
      columns: COLUMNS,
    },
  );
  assert.equal(c2.rows.find((r) => r.metric === "train_step_ms")!.verdict, "worse");
  assert.equal(c2.regressions, 3);
});

Deno.test("compare: improvements and new cases do not fail, a missing case does; larger-is-better flips", () => {
  const base = run(1, (_, m) => (m.accuracy = 0.9)).slice(0, 2);
  const now = run(1, (_, m) => {
    m.accuracy = 0.2;
    m.train_step_ms /= 3;
  }).slice(1);
  const c = compare(base, now);
  const verdict = (key: string, metric: string | null) =>
    c.rows.find((r) => r.key === key && r.metric === metric)?.verdict;
  assert.equal(verdict("transformer[procedure=plain]", null), "missing");
  assert.equal(verdict("transformer[beta=10,procedure=remul]", null), "new");
  assert.equal(verdict("transformer[procedure=augmentation]", "train_step_ms"), "better");
  assert.equal(verdict("transformer[procedure=augmentation]", "accuracy"), "worse");
  assert.equal(c.regressions, 2, "the worse accuracy and the missing case");
  assert.equal(c.casesMissing, 1);
  // narrowing the baseline explicitly leaves the missing case out
  const narrowed = compareToBaseline(createBaseline(base), now, {
    columns: COLUMNS,
    select: (key) => key.includes("augmentation"),
    selectedBy: "--filter augmentation",
  });
  assert.equal(narrowed.regressions, 1);
  assert.equal(narrowed.casesNotSelected, 1);
  assert.ok(!narrowed.rows.some((r) => r.key === "transformer[procedure=plain]"));
  assert.match(
    narrowed.notes.join(" "),
    /Checked 1 of the baseline's 2 cases \(--filter augmentation\)/,
  );
});

Deno.test("compare: no (or only some) baseline cases in the results fails; skipped cases fail", () => {
  const base = run(1, same);
  const none = compare(base, [makeRecord({ model: "gnn", metrics: nbodyMetrics(0) })]);
  assert.equal(none.casesCompared, 0);
  assert.equal(none.casesMissing, 3);
  assert.equal(none.regressions, 3);
  assert.match(comparisonMarkdown(none), /❌ missing: not in the results/);
  assert.match(
    comparisonMarkdown(none),
    /\*\*Result: 3 regressions \(❌\) in 3 of 3 cases\*\*.* 3 missing/,
  );
  const skipped = run(1, same).map((r) =>
    r.id === "transformer[procedure=plain]"
      ? { ...r, state: "skipped", reason: "data not here" } as unknown as ResultRecord
      : r
  );
  const c = compare(base, skipped);
  assert.deepEqual(c.rows.filter((r) => r.regression).map((r) => [r.key, r.verdict, r.note]), [
    ["transformer[procedure=plain]", "not-run", "skipped in this run: data not here"],
  ]);
});

Deno.test("thresholds: relative for times, absolute for MSE and E, overrides and ignore", () => {
  const th = createBaseline([], {
    thresholds: { metrics: { infer_ms: { absolute: 2 }, mse_ood: { ignore: true } } },
  }).thresholds;
  assert.deepEqual(thresholdFor("train_step_ms", COLUMNS[4], th, 10), {
    kind: "relative",
    value: 0.5,
    limit: 5,
  });
  assert.equal(thresholdFor("mse_test", COLUMNS[0], th, 10)?.limit, 1e-3);
  assert.equal(thresholdFor("equi_e", COLUMNS[2], th, 10)?.limit, 0.01);
  assert.equal(thresholdFor("infer_ms", COLUMNS[6], th, 10)?.kind, "absolute");
  assert.equal(thresholdFor("mse_ood", COLUMNS[1], th, 10), null);
  assert.equal(noiseBound({ spread: null, n: 1 }, { spread: null, n: 1 }, 3), null);
  assert.ok(
    Math.abs(
      noiseBound({ spread: 2, n: 3 }, { spread: null, n: 1 }, 3)! - 3 * 2 * Math.sqrt(4 / 3),
    ) < 1e-12,
  );
});

Deno.test("compare: a metric that became NaN is worse; a differing backend is noted", () => {
  const now = run(1, (id, m) => {
    if (id === "transformer[procedure=plain]") m.mse_test = NaN;
  }).map((r) => ({
    ...r,
    environment: {
      ...r.environment,
      backend: { ...r.environment.backend, name: "webgpu" as const },
    },
  }));
  const c = compare(run(1, same), now);
  assert.equal(c.regressions, 1);
  assert.match(c.notes.join("\n"), /baseline ran on wasm, this run on webgpu/);
});

Deno.test("compare: suites sharing a case id stay apart", () => {
  const nbody = makeRecord({ metrics: { train_step_ms: 10 } });
  const surface = makeRecord({ suite: "loss-surface", metrics: { train_step_ms: 100 } });
  const single = createBaseline([nbody]);
  const c = compareToBaseline(single, [nbody, surface], { columns: COLUMNS });
  assert.equal(c.regressions, 0);
  assert.ok(
    c.rows.some((r) =>
      r.key === "loss-surface/transformer[procedure=plain]" && r.verdict === "new"
    ),
  );
  const multi = createBaseline([nbody, surface]);
  assert.deepEqual(Object.keys(multi.cases), [
    "nbody/transformer[procedure=plain]",
    "loss-surface/transformer[procedure=plain]",
  ]);
  const slower = makeRecord({ suite: "loss-surface", metrics: { train_step_ms: 400 } });
  const c2 = compareToBaseline(multi, [nbody, slower], { columns: COLUMNS });
  assert.deepEqual(c2.rows.filter((r) => r.regression).map((r) => r.key), [
    "loss-surface/transformer[procedure=plain]",
  ]);
});
