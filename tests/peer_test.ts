/**
 * End to end: `deno task peer` as a user runs it. Without PyTorch it must say how to install it
 * and exit 2; with PyTorch (found the way the task finds it) the smoke configurations of every
 * model must have equal parameter counts on both sides, the same forward output for the same
 * weights, and finite positive timings and ratios.
 */
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";
import { FORWARD_TOLERANCE, type PeerRecord } from "../src/peer/run_peer.ts";

const peer = (...args: string[]) => runTask("peer", ...args);

const hasTorch = (await peer("--probe")).code === 0;

Deno.test("peer without PyTorch prints how to install it and exits 2", async () => {
  const r = await peer("--python", "/nonexistent/python3", "--models", "mlp", "--configs", "smoke");
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /PyTorch is not available \(\/nonexistent\/python3: not found\)/);
  assert.match(r.stderr, /apt-get install python3-torch libopenblas0-pthread/);
  assert.equal(r.stdout, "");
});

Deno.test("peer rejects bad flags with one line naming the flag and the accepted values", async () => {
  const cases: [string[], RegExp][] = [
    [["--backend", "tpu"], /--backend: unknown backend "tpu"; accepted: auto, webgpu, wasm, cpu/],
    [["--models", "gatr"], /--models: unknown value "gatr"; accepted: transformer, gnn, egnn, mlp/],
    [["--configs", "huge"], /--configs: unknown value "huge"; accepted: smoke, small, paper/],
    [["--repeats", "0"], /--repeats: expected an integer ≥ 1, got "0"/],
    [["--threads", "two"], /--threads: expected an integer ≥ 1, got "two"/],
    [["--frobnicate"], /accepted flags: --models, --configs, --backend/],
  ];
  for (const [args, message] of cases) {
    const r = await peer(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test({
  name: "peer compares the smoke configs with PyTorch: same parameters, same forward, ratios",
  ignore: !hasTorch,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "remul-peer-" });
    const json = `${dir}/peer.json`;
    const models = ["transformer", "gnn", "egnn", "mlp"];
    const r = await peer(
      "--models",
      models.join(","),
      "--configs",
      "smoke",
      "--repeats",
      "2",
      "--warmup",
      "1",
      "--json",
      json,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| model \| config \| data \| batch \| params \| step ours \|/);
    assert.match(r.stdout, /Threads: ours 1 thread \(wasm[;)].*; PyTorch 1 intra-op thread/);
    const doc = JSON.parse(await Deno.readTextFile(json));
    assert.equal(doc.backend.name, "wasm");
    assert.equal(doc.backend.threads, 1);
    if (doc.backend.blas) assert.equal(doc.backend.blas.threads, 1, "OpenBLAS threads, ours");
    assert.equal(doc.torch.threads, 1);
    const records = doc.records as PeerRecord[];
    assert.deepEqual(records.map((x) => x.model), models);
    for (const rec of records) {
      const id = `${rec.model} ${rec.config}`;
      assert.equal(rec.params.torch, rec.params.ours, `${id}: parameter counts`);
      assert.ok(rec.params.ours > 0, id);
      assert.ok(rec.forwardRelDiff <= FORWARD_TOLERANCE, `${id}: forward Δ ${rec.forwardRelDiff}`);
      for (const k of ["plainStep", "remulStep", "infer"] as const) {
        assert.ok(Number.isFinite(rec.ratio[k]) && rec.ratio[k] > 0, `${id} ratio ${k}`);
        assert.equal(rec.ours[k].n, 2, `${id} ours ${k} samples`);
        assert.equal(rec.torch[k].n, 2, `${id} torch ${k} samples`);
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
});
