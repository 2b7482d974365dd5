/**
 * End to end for MD17: the `md17` suite at smoke scale on the bundled fixture through
 * `runSuite`, skipped cases when the real files are missing, the suite's settings and Table 2,
 * and `deno task data md17` (bad input; a download from a server on 127.0.0.1 via `--mirror`).
 * Nothing here contacts any host but 127.0.0.1.
 */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";
import { md17Suite } from "../bench/md17.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { MD17_DEFAULTS } from "../src/data/md17.ts";
import { MD17_MOLECULE_NAMES } from "../src/data/md17_molecules.ts";
import { createRegistries } from "../src/registry.ts";
import { runSuite } from "../src/runner/run_suite.ts";
import { expandSuite } from "../src/runner/suite.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const FIXTURE = `${root}fixtures/md17/md17_tiny.npz`;

Deno.test("md17 suite: registered, 56 smoke cases, every one on the bundled fixture", () => {
  assert.equal(createSuiteRegistry().get("md17"), md17Suite);
  assert.ok(createRegistries().datasets.has("md17"));
  const specs = expandSuite(md17Suite, "smoke", createRegistries());
  // per molecule: GNN plain, augmentation, REMUL ×2 β, GradNorm ×2 β, EGNN plain
  assert.equal(specs.length, 8 * 7);
  assert.deepEqual(
    [...new Set(specs.map((s) => s.dataset.config.molecule))].sort(),
    [...MD17_MOLECULE_NAMES].sort(),
  );
  for (const s of specs) {
    assert.equal(s.dataset.config.file, "fixtures/md17/md17_tiny.npz", s.id);
  }
  assert.ok(specs.some((s) => s.id === "gnn[beta=10,molecule=aspirin,procedure=remul-gradnorm]"));
  assert.ok(specs.some((s) => s.id === "egnn[molecule=uracil,procedure=plain]"));
});

Deno.test("md17 suite: paper scale follows Table 5 and the paper's protocol", () => {
  const specs = expandSuite(md17Suite, "paper", createRegistries());
  const gnn = specs.find((s) => s.id === "gnn[molecule=benzene,procedure=plain,rep=0]")!;
  assert.deepEqual(gnn.train, {
    steps: 1250,
    batchSize: 200,
    lr: 5e-4,
    gradClip: 0,
    groupSamples: 1,
    timingWarmup: 50,
    validateEvery: 0,
  });
  assert.equal(gnn.model.config.layers, 4);
  assert.equal(gnn.model.config.hidden, 64);
  assert.deepEqual(gnn.dataset.config, { ...MD17_DEFAULTS, molecule: "benzene" });
  assert.equal(gnn.dataset.config.deltaT, 5000);
  assert.equal(gnn.dataset.config.file, "", "paper scale reads the real files");
  const egnn = specs.find((s) => s.id.startsWith("egnn[molecule=benzene"))!;
  assert.deepEqual(egnn.model.config.hidden, 64);
  assert.equal(specs.length / 3, 8 * (2 + 2 * 6 + 1), "3 repetitions, 6 β values");
});

Deno.test("md17 suite: Table 2 reference values, MSE ×10⁻²", () => {
  const ref = md17Suite.reference!;
  assert.equal(ref.metric, "mse_test");
  assert.equal(ref.factor, 100);
  assert.equal(ref.rows.length, 4 * 8);
  const value = (model: string, procedure: string, molecule: string) =>
    ref.rows.find((r) =>
      r.match.model === model && r.match.procedure === procedure && r.match.molecule === molecule
    );
  assert.deepEqual(
    [value("egnn", "plain", "benzene")?.value, value("egnn", "plain", "benzene")?.spread],
    [62.40, 0.53],
  );
  assert.equal(value("gnn", "plain", "malonaldehyde")?.value, 18.45);
  assert.equal(value("gnn", "augmentation", "benzene")?.value, 110.93);
  assert.equal(value("gnn", "remul", "toluene")?.value, 9.38);
  assert.equal(value("gnn", "remul", "uracil")?.value, 0.67);
  for (const r of ref.rows) {
    assert.ok(MD17_MOLECULE_NAMES.includes(String(r.match.molecule)));
    assert.ok(
      md17Suite.grid.some((g) => g.model === r.match.model && g.procedure === r.match.procedure),
    );
  }
});

Deno.test("md17 suite: smoke scale runs end to end on the fixture; EGNN's E' is ~0", async () => {
  const run = await runSuite(md17Suite, {
    scale: "smoke",
    filter: "molecule=uracil",
    jobs: 2,
    backend: "wasm",
  });
  assert.equal(run.records.length, 7);
  for (const r of run.records) {
    assert.equal(r.state, "completed", r.state === "errored" ? r.error : r.state);
    if (r.state !== "completed") continue;
    for (
      const k of ["mse_val", "mse_test", "equi_e", "equi_e_prime", "train_step_ms", "infer_ms"]
    ) {
      assert.ok(Number.isFinite(r.metrics[k]), `${r.id} ${k} = ${r.metrics[k]}`);
    }
    assert.ok(r.metrics.n_params > 0);
    const p = r.dataProtocol as Record<string, unknown>;
    assert.equal(p.fileOverride, true);
    assert.equal(p.file, "md17_tiny.npz");
    assert.equal(p.heavyAtoms, 5);
    assert.equal(p.deltaT, 20);
  }
  const byId = new Map(run.records.map((r) => [r.id, r]));
  const egnn = byId.get("egnn[molecule=uracil,procedure=plain]");
  const gnn = byId.get("gnn[molecule=uracil,procedure=plain]");
  assert.ok(egnn?.state === "completed" && gnn?.state === "completed");
  assert.ok(egnn.metrics.equi_e_prime < 1e-4, `EGNN E' = ${egnn.metrics.equi_e_prime}`);
  assert.ok(gnn.metrics.equi_e_prime > 1e-2, `GNN E' = ${gnn.metrics.equi_e_prime}`);
});

Deno.test("md17 suite: missing data files make cases skipped, with the download command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "md17-nodata-" });
  try {
    const run = await runSuite(md17Suite, {
      scale: "small",
      filter: "procedure=plain,molecule=ethanol",
      jobs: 2,
      backend: "wasm",
      dataDir: dir,
    });
    assert.deepEqual(run.records.map((r) => r.id).sort(), [
      "egnn[molecule=ethanol,procedure=plain]",
      "gnn[molecule=ethanol,procedure=plain]",
    ]);
    for (const r of run.records) {
      assert.equal(r.state, "skipped", JSON.stringify(r));
      if (r.state !== "skipped") continue;
      assert.match(r.reason, /missing data file md17_ethanol\.npz/);
      assert.ok(r.reason.includes(dir), r.reason);
      assert.ok(r.reason.includes(`deno task data md17 ethanol --data-dir ${dir}`), r.reason);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const canRunDeno = (await Deno.permissions.query({ name: "run", command: "deno" })).state ===
  "granted";
const canServe = (await Deno.permissions.query({ name: "net", host: "127.0.0.1" })).state ===
  "granted";

const dataTask = (...args: string[]) => runTask("data", ...args);

Deno.test({
  name: "deno task data: bad input is one line naming it and the accepted values, exit 2",
  ignore: !canRunDeno,
  fn: async () => {
    const cases: [string[], RegExp][] = [
      [[], /^data: name a data source; accepted: md17/],
      [["nosuch"], /^data: unknown data source "nosuch"; accepted: .*md17/],
      [
        ["md17", "caffeine"],
        /^data: unknown molecule "caffeine" for md17; accepted: aspirin, benzene/,
      ],
      [["md17", "--nope"], /^data: .*'--nope'.*; accepted flags: --data-dir/],
      [["md17", "--mirror", "ftp://x"], /^data: --mirror: expected an http\(s\) URL/],
    ];
    for (const [args, re] of cases) {
      const r = await dataTask(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.match(r.stderr.trim(), re);
    }
  },
});

Deno.test({
  name: "deno task data md17: downloads from a local mirror, verifies, and the suite can read it",
  ignore: !canRunDeno || !canServe,
  fn: async () => {
    const bytes = await Deno.readFile(FIXTURE);
    const requests: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const path = new URL(req.url).pathname;
      requests.push(path);
      if (path !== "/md17/md17_malonaldehyde.npz") return new Response("no", { status: 404 });
      return new Response(bytes, { headers: { "content-length": String(bytes.length) } });
    });
    const dir = await Deno.makeTempDir({ prefix: "md17-download-" });
    try {
      const mirror = `http://127.0.0.1:${server.addr.port}/md17`;
      const r = await dataTask("md17", "malonaldehyde", "--data-dir", dir, "--mirror", mirror);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(requests, ["/md17/md17_malonaldehyde.npz"]);
      assert.deepEqual(await Deno.readFile(`${dir}/md17_malonaldehyde.npz`), bytes);
      assert.match(r.stderr, /saved .*md17_malonaldehyde\.npz .*sha256 [0-9a-f]{64}.*zip CRC-32/);
      // the toy file's md5 key is not sGDML's fingerprint: reported, not fatal
      assert.match(r.stderr, /warning: the file's md5 key/);
      const again = await dataTask("md17", "malonaldehyde", "--data-dir", dir, "--mirror", mirror);
      assert.equal(again.code, 0);
      assert.match(again.stderr, /is present \(--force downloads it again\)/);
      assert.equal(requests.length, 1);
      const missing = await dataTask("md17", "aspirin", "--data-dir", dir, "--mirror", mirror);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Cannot download "md17_aspirin\.npz" from .*: HTTP 404/);
      // the downloaded file is what the data set reads (toy malonaldehyde: 5 heavy atoms)
      const { md17 } = await import("../src/data/md17.ts");
      const d = await md17.load(
        {
          ...MD17_DEFAULTS,
          molecule: "malonaldehyde",
          deltaT: 20,
          margin: 10,
          train: 8,
          val: 4,
          test: 4,
        },
        { seed: 1, dataDir: dir },
      );
      assert.equal(d.splits.train.size, 8);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
