/**
 * End to end for MoCap: the `mocap` suite at smoke scale on the bundled ASF/AMC fixture through
 * `runSuite` (every case completed), skipped cases when the real data is missing, the paper
 * scale's settings (Table 4) and the Table 1 reference values.
 */
import assert from "node:assert/strict";
import { mocapSuite } from "../bench/mocap.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { MOCAP_DEFAULTS } from "../src/data/mocap.ts";
import { createRegistries } from "../src/registry.ts";
import { runSuite } from "../src/runner/run_suite.ts";
import { expandSuite } from "../src/runner/suite.ts";

Deno.test("mocap suite: registered, 24 smoke cases on the bundled fixture", () => {
  assert.equal(createSuiteRegistry().get("mocap"), mocapSuite);
  const registries = createRegistries();
  assert.ok(registries.datasets.has("mocap"));
  for (const m of ["mlp", "emlp", "rpp", "per"]) assert.ok(registries.models.has(m), m);
  const specs = expandSuite(mocapSuite, "smoke", registries);
  // per motion: Transformer plain, aug, REMUL, GradNorm (one β at smoke), GATr, SE(3)-Transformer,
  // MLP plain, aug, REMUL, EMLP, RPP, PER
  assert.equal(specs.length, 2 * 12);
  for (const s of specs) {
    assert.equal(s.dataset.config.file, "fixtures/mocap/tiny.asf", s.id);
    assert.ok(s.dataset.config.motion === "walk" || s.dataset.config.motion === "run");
  }
  const ids = new Set(specs.map((s) => s.id));
  for (
    const id of [
      "transformer[beta=1,motion=walk,procedure=remul-gradnorm]",
      "gatr[motion=run,procedure=plain]",
      "se3-transformer[motion=walk,procedure=plain]",
      "mlp[beta=1,motion=run,procedure=remul]",
      "per[motion=walk,procedure=plain]",
    ]
  ) assert.ok(ids.has(id), id);
});

Deno.test("mocap suite: paper scale follows Table 4 and the protocol", () => {
  const specs = expandSuite(mocapSuite, "paper", createRegistries());
  const get = (id: string) => specs.find((s) => s.id === id)!;
  const tr = get("transformer[motion=run,procedure=plain,rep=0]");
  assert.deepEqual(tr.dataset.config, { ...MOCAP_DEFAULTS, motion: "run" });
  assert.equal(tr.dataset.config.deltaT, 30);
  assert.deepEqual(
    [tr.train.batchSize, tr.train.lr, tr.train.steps],
    [12, 3e-4, 34000], // 2000 epochs × ⌈200 / 12⌉ steps
  );
  // the literature's model selection: validated every epoch, the best validation kept
  assert.equal(tr.train.validateEvery, 17);
  assert.deepEqual([tr.model.config.blocks, tr.model.config.channels, tr.model.config.heads], [
    10,
    384,
    8,
  ]);
  const gatr = get("gatr[motion=walk,procedure=plain,rep=0]").model.config;
  assert.equal(gatr.blocks, 12);
  // units of 10 ASF lengths (velocities per ΔT), joint identities, the extrapolated point
  assert.deepEqual(
    [gatr.lengthScale, gatr.vectorScale, gatr.nodeIdentity, gatr.velocityPoint],
    [10, 10 / 30, true, true],
  );
  assert.equal(
    get("se3-transformer[motion=run,procedure=plain,rep=0]").model.config.nodeIdentity,
    true,
  );
  assert.equal(get("mlp[motion=walk,procedure=plain,rep=0]").model.config.hidden, 680);
  assert.equal(get("emlp[motion=walk,procedure=plain,rep=0]").model.config.hidden, 532);
  assert.equal(get("rpp[motion=walk,procedure=plain,rep=0]").model.config.hidden, 348);
  assert.equal(get("per[motion=walk,procedure=plain,rep=0]").model.config.hidden, 532);
  // 3 repetitions; per motion 4 + 6 + 6 Transformer, GATr, SE3, 2 + 6 MLP, EMLP, RPP, PER
  assert.equal(specs.length, 3 * 2 * (2 + 6 + 6 + 2 + 2 + 6 + 3));
});

Deno.test("mocap suite: Table 1 reference values, MSE ×10⁻²", () => {
  const ref = mocapSuite.reference!;
  assert.equal(ref.metric, "mse_test");
  assert.equal(ref.factor, 100);
  assert.equal(ref.rows.length, 2 * 11);
  const value = (model: string, procedure: string, motion: string) =>
    ref.rows.find((r) =>
      r.match.model === model && r.match.procedure === procedure && r.match.motion === motion
    );
  assert.deepEqual([
    value("transformer", "remul", "run")?.value,
    value("transformer", "remul", "run")?.spread,
  ], [18.5, 0.7]);
  assert.equal(value("se3-transformer", "plain", "walk")?.value, 10.85);
  assert.equal(value("gatr", "plain", "run")?.value, 32.38);
  assert.equal(value("transformer", "augmentation", "walk")?.value, 5.3);
  assert.equal(value("emlp", "plain", "run")?.value, 57.38);
  assert.equal(value("per", "plain", "walk")?.value, 7.48);
  assert.deepEqual([value("mlp", "remul", "walk")?.value, value("mlp", "remul", "walk")?.spread], [
    6.04,
    0.09,
  ]);
  for (const r of ref.rows) {
    assert.ok(
      mocapSuite.grid.some((g) => g.model === r.match.model && g.procedure === r.match.procedure),
    );
  }
});

Deno.test("mocap suite: smoke scale runs every case to completion on the fixture", async () => {
  const t0 = performance.now();
  const run = await runSuite(mocapSuite, { scale: "smoke", jobs: 2, backend: "wasm" });
  assert.equal(run.records.length, 24);
  for (const r of run.records) {
    assert.equal(r.state, "completed", r.state === "errored" ? `${r.id}: ${r.error}` : r.id);
    if (r.state !== "completed") continue;
    for (
      const k of ["mse_val", "mse_test", "equi_e", "equi_e_prime", "train_step_ms", "infer_ms"]
    ) {
      assert.ok(Number.isFinite(r.metrics[k]), `${r.id} ${k} = ${r.metrics[k]}`);
    }
    // model selection on the validation split: validated at steps 10 and 20, one of them kept
    assert.ok([10, 20].includes(r.metrics.best_step), `${r.id} best_step ${r.metrics.best_step}`);
    const p = r.dataProtocol as Record<string, unknown>;
    assert.equal(p.deltaT, 4);
    assert.equal(p.joints, 9);
  }
  const byId = new Map(run.records.map((r) => [r.id, r]));
  const metric = (id: string, k: string) => {
    const r = byId.get(id);
    assert.ok(r?.state === "completed", id);
    return r.metrics[k];
  };
  for (const m of ["emlp", "gatr"]) {
    const e = metric(`${m}[motion=run,procedure=plain]`, "equi_e_prime_rel");
    assert.ok(e < 1e-4, `${m} E'_rel = ${e}`);
  }
  assert.ok(metric("mlp[motion=run,procedure=plain]", "equi_e_prime_rel") > 1e-2);
  console.log(`mocap smoke: 24 cases in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

Deno.test("mocap suite: missing data makes cases skipped, with the download command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mocap-nodata-" });
  try {
    const run = await runSuite(mocapSuite, {
      scale: "small",
      filter: "procedure=plain",
      jobs: 1,
      backend: "wasm",
      dataDir: dir,
    });
    assert.equal(run.records.length, 2 * 7); // 7 models trained plainly, 2 motions
    for (const r of run.records) {
      assert.equal(r.state, "skipped", JSON.stringify(r));
      if (r.state !== "skipped") continue;
      const m = /motion=(walk|run)/.exec(r.id)![1];
      assert.ok(r.reason.includes(`deno task data mocap ${m} --data-dir ${dir}`), r.reason);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
const canRunDeno = (await Deno.permissions.query({ name: "run", command: "deno" })).state ===
  "granted";
const canServe = (await Deno.permissions.query({ name: "net", host: "127.0.0.1" })).state ===
  "granted";

Deno.test({
  name: "deno task data mocap run: downloads from a local mirror, parses, the data set reads it",
  ignore: !canRunDeno || !canServe,
  fn: async () => {
    // the fixture plays subject 9: tiny.asf as 09.asf, tiny_01 … tiny_11 as 09_01 … 09_11
    const files = new Map<string, Uint8Array<ArrayBuffer>>();
    files.set("/cmu/09.asf", await Deno.readFile(`${root}fixtures/mocap/tiny.asf`));
    for (let t = 1; t <= 11; t++) {
      const n = String(t).padStart(2, "0");
      files.set(`/cmu/09_${n}.amc`, await Deno.readFile(`${root}fixtures/mocap/tiny_${n}.amc`));
    }
    files.set("/cmu/09_05.amc", new TextEncoder().encode(":DEGREES\n1\nroot 1 2 3\n")); // broken
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
      const body = files.get(new URL(req.url).pathname);
      return body ? new Response(body) : new Response("no", { status: 404 });
    });
    const dir = await Deno.makeTempDir({ prefix: "mocap-download-" });
    try {
      const mirror = `http://127.0.0.1:${server.addr.port}/cmu`;
      const out = await new Deno.Command("deno", {
        args: ["task", "-q", "data", "mocap", "run", "--data-dir", dir, "--mirror", mirror],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, stderr); // the broken trial is rejected
      assert.match(stderr, /09_05\.amc.*root.*needs 6 values, got 3/s);
      assert.match(stderr, /ASF skeleton with 9 joints/);
      files.set("/cmu/09_05.amc", await Deno.readFile(`${root}fixtures/mocap/tiny_05.amc`));
      const again = await new Deno.Command("deno", {
        args: ["task", "-q", "data", "mocap", "run", "--data-dir", dir, "--mirror", mirror],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const againErr = new TextDecoder().decode(again.stderr);
      assert.equal(again.code, 0, againErr);
      // each trial is compared with EGHN's positions of the real 09_NN: the fixture differs
      assert.match(
        againErr,
        /09_05\.amc: forward kinematics differs from EGHN's .*24 frames, expected 137/,
      );
      const { loadMocap } = await import("../src/data/mocap.ts");
      const d = await loadMocap(
        { ...MOCAP_DEFAULTS, deltaT: 4, train: 20, val: 12, test: 12 },
        dir,
      );
      assert.equal(d.splits.train.size, 20);
      assert.deepEqual((d.protocol.trialLengths as number[])[9], 18, "09_10 drops 6 frames");
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
