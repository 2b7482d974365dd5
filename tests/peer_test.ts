/**
 * End to end: `deno task peer` as a user runs it. Without PyTorch it must say how to install it
 * and exit 2; with PyTorch (found the way the task finds it) the smoke configurations of every
 * model must have equal parameter counts on both sides, the same forward output for the same
 * weights, and finite positive timings and ratios. GATr's twin is also checked directly on tiny
 * configurations with other fields than N-body's (several position and vector fields, auxiliary
 * scalars, none), odd channel counts and units ≠ 1.
 */
import { gatr } from "../src/models/gatr/gatr.ts";
import assert from "node:assert/strict";
import { runTask } from "../src/testing/run_task.ts";
import { FORWARD_TOLERANCE, loadTwin, type PeerRecord } from "../src/peer/run_peer.ts";
import { findTorchPython, TorchPeer } from "../src/peer/torch_peer.ts";
import { gaussianDataset } from "../src/peer/workload.ts";
import { countParams } from "../src/models/model.ts";
import { createModel } from "../src/registry.ts";
import { useTestBackend } from "../src/testing/test_backend.ts";
import type { FieldSpec } from "../src/symmetry/field.ts";
import { HAAR } from "../src/symmetry/rotation.ts";

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
    [
      ["--models", "se3-transformer"],
      /--models: unknown value "se3-transformer"; accepted: transformer, gatr, gnn, egnn, mlp/,
    ],
    [["--configs", "huge"], /--configs: unknown value "huge"; accepted: smoke, small, paper/],
    [["--repeats", "0"], /--repeats: expected an integer ≥ 1, got "0"/],
    [["--rounds", "0"], /--rounds: expected an integer ≥ 1, got "0"/],
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
    const models = ["transformer", "gatr", "gnn", "egnn", "mlp"];
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

Deno.test({
  name: "peer --rounds 2 writes both rounds and the median ratio of the rounds",
  ignore: !hasTorch,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "remul-peer-" });
    const json = `${dir}/peer.json`;
    const r = await peer(
      "--models",
      "mlp,gnn",
      "--configs",
      "smoke",
      "--repeats",
      "2",
      "--warmup",
      "1",
      "--rounds",
      "2",
      "--json",
      json,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /### Round 2 of 2/);
    assert.match(r.stdout, /## Peer comparison over 2 rounds: median ratio \(range\)/);
    const doc = JSON.parse(await Deno.readTextFile(json));
    assert.equal(doc.rounds.length, 2);
    assert.deepEqual(doc.records, doc.rounds[0]);
    for (const w of doc.summary) {
      for (const k of ["plainStep", "remulStep", "infer"]) {
        const ratios = doc.rounds.map((rs: PeerRecord[]) =>
          rs.find((x) => x.model === w.model)!.ratio[k as "infer"]
        );
        assert.equal(w.cells[k].min, Math.min(...ratios), `${w.model} ${k}`);
        assert.equal(w.cells[k].max, Math.max(...ratios), `${w.model} ${k}`);
        assert.ok(ratios.includes(w.cells[k].ratio), `${w.model} ${k}: the ratio of a round`);
      }
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "GATr's PyTorch twin computes our forward pass on tiny configs and other fields",
  ignore: !hasTorch,
  fn: async () => {
    await useTestBackend();
    const found = await findTorchPython(Deno.env.get("REMUL_PYTHON") || undefined);
    assert.ok(found.found, `no Python with torch: ${JSON.stringify(found)}`);
    const torch = await TorchPeer.start(found.python.python, 1);
    const field = (name: string, kind: FieldSpec["kind"], n: number, k = 3): FieldSpec => ({
      name,
      kind,
      shape: [n, k],
    });
    const cases: { name: string; inputs: FieldSpec[]; config: Record<string, number | boolean> }[] =
      [
        {
          name: "N-body fields, 2 blocks, 3 heads, units ≠ 1",
          inputs: [
            field("mass", "scalar", 4, 1),
            field("pos", "position", 4),
            field("vel", "vector", 4),
          ],
          config: {
            blocks: 2,
            mvChannels: 3,
            sChannels: 5,
            heads: 3,
            lengthScale: 2,
            vectorScale: 0.5,
            velocityPoint: false,
            nodeIdentity: false,
          },
        },
        {
          name: "N-body fields, the extrapolated point as a second channel, node identities",
          inputs: [
            field("mass", "scalar", 4, 1),
            field("pos", "position", 4),
            field("vel", "vector", 4),
          ],
          config: {
            blocks: 1,
            mvChannels: 3,
            sChannels: 5,
            heads: 1,
            lengthScale: 2,
            vectorScale: 0.5,
            velocityPoint: true,
            nodeIdentity: true,
          },
        },
        {
          name: "two positions, one vector, auxiliary scalars, node identities",
          inputs: [
            field("pos", "position", 5),
            field("s", "scalar", 5, 3),
            field("vel", "vector", 5),
            field("pos2", "position", 5),
            field("t", "scalar", 5, 2),
          ],
          config: {
            blocks: 1,
            mvChannels: 2,
            sChannels: 1,
            heads: 1,
            lengthScale: 1,
            vectorScale: 1,
            velocityPoint: false,
            nodeIdentity: true,
          },
        },
        {
          name: "positions only",
          inputs: [field("pos", "position", 3)],
          config: { ...gatr.defaults, ...gatr.smoke }, // the registry's smoke config
        },
      ];
    try {
      for (const [i, c] of cases.entries()) {
        const seed = 100 + i;
        const n = c.inputs[0].shape[0];
        const dataset = gaussianDataset({
          inputs: c.inputs,
          target: field("pos", "position", n),
          rotations: HAAR,
          train: 8,
          test: 4,
          seed,
        });
        const model = createModel("gatr", { ...dataset, seed, config: c.config });
        try {
          const twin = await loadTwin(torch, "gatr", c.config, model, dataset, 4, seed);
          assert.equal(twin.error, undefined, `${c.name}: ${twin.error}`);
          assert.equal(twin.torchParams, countParams(model), `${c.name}: parameter counts`);
          assert.ok(twin.initial <= FORWARD_TOLERANCE, `${c.name}: initial Δ ${twin.initial}`);
          assert.ok(twin.probe <= FORWARD_TOLERANCE, `${c.name}: probe Δ ${twin.probe}`);
          assert.ok(twin.aux, `${c.name}: GATr's regulariser compared`);
          assert.ok(twin.aux.initial <= FORWARD_TOLERANCE, `${c.name}: aux Δ ${twin.aux.initial}`);
          assert.ok(
            twin.aux.probe <= FORWARD_TOLERANCE,
            `${c.name}: aux probe Δ ${twin.aux.probe}`,
          );
          // one plain and one REMUL step (rotated copies, the regulariser) run there too
          const t = await torch.time({
            batch: 4,
            warmup: 0,
            repeats: 1,
            inferenceWarmup: 0,
            inferenceRepeats: 1,
            lr: 1e-3,
            gradClip: 1,
            seed,
          });
          for (const ms of [...t.plainStepMs, ...t.remulStepMs, ...t.inferMs]) {
            assert.ok(Number.isFinite(ms) && ms > 0, `${c.name}: time ${ms}`);
          }
        } finally {
          model.dispose();
        }
      }
    } finally {
      await torch.close();
    }
  },
});
