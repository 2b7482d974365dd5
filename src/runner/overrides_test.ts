import assert from "node:assert/strict";
import { parseOverrides } from "./overrides.ts";
import { expandSuite } from "./suite.ts";
import { createRegistries } from "../registry.ts";
import { mocapSuite } from "../../bench/mocap.ts";

Deno.test("parseOverrides: JSON values, bare strings, grouped by where they go", () => {
  assert.deepEqual(
    parseOverrides([
      "train.steps=5000",
      "train.lr=3e-4",
      "eval.equiSamples=20",
      "dataset.deltaT=20",
      "model.emlp.group=SO(3)",
      "model.emlp.hidden=64",
      "model.mlp.layers=2",
    ]),
    {
      train: { steps: 5000, lr: 3e-4 },
      eval: { equiSamples: 20 },
      dataset: { deltaT: 20 },
      models: { emlp: { group: "SO(3)", hidden: 64 }, mlp: { layers: 2 } },
    },
  );
  assert.deepEqual(parseOverrides([]), {});
  for (const bad of ["steps=5", "train.steps", "=5", "model.mlp=3", "optim.lr=1", "train..x=1"]) {
    assert.throws(
      () => parseOverrides([bad]),
      new RegExp(`"${bad.replace(".", "\\.")}": expected`),
    );
  }
});

Deno.test("expandSuite with overrides: applied to every case and recorded in its protocol", () => {
  const reg = createRegistries();
  const overrides = parseOverrides([
    "train.steps=50",
    "train.validateEvery=5",
    "model.mlp.hidden=16",
    "dataset.deltaT=3",
  ]);
  const specs = expandSuite(mocapSuite, "smoke", reg, { overrides });
  const plain = expandSuite(mocapSuite, "smoke", reg);
  assert.equal(specs.length, plain.length);
  for (const [i, s] of specs.entries()) {
    assert.equal(s.id, plain[i].id, "ids and so case seeds do not change");
    assert.equal(s.seeds.case, plain[i].seeds.case);
    // data and init seeds follow their configs: a new ΔT is new data; an unchanged model keeps
    // its initial weights
    assert.notEqual(s.seeds.data, plain[i].seeds.data);
    if (s.model.id !== "mlp") assert.equal(s.seeds.init, plain[i].seeds.init);
    assert.equal(s.train.steps, 50);
    assert.equal(s.train.validateEvery, 5);
    assert.equal(s.train.lr, plain[i].train.lr, "other keys keep the scale's values");
    assert.equal(s.dataset.config.deltaT, 3);
    assert.deepEqual(s.protocol.overrides, overrides);
    if (s.model.id === "mlp") assert.equal(s.model.config.hidden, 16);
    if (s.model.id === "emlp") assert.deepEqual(s.model.config, plain[i].model.config);
  }
  assert.equal(plain[0].protocol.overrides, undefined);
});

Deno.test("expandSuite with overrides: unknown keys, wrong types and foreign models name the key", () => {
  const reg = createRegistries();
  const expand = (items: string[]) =>
    expandSuite(mocapSuite, "smoke", reg, { overrides: parseOverrides(items) });
  assert.throws(() => expand(["train.stepz=5"]), /Unknown key "stepz" for training config \(--set/);
  assert.throws(() => expand(["train.steps=many"]), /Key "steps" .* must be a number, got "many"/);
  assert.throws(() => expand(["eval.nope=1"]), /Unknown key "nope" for evaluation config/);
  assert.throws(
    () => expand(["dataset.motionz=run"]),
    /Unknown key "motionz" for data set "mocap"/,
  );
  assert.throws(() => expand(["model.mlp.width=3"]), /Unknown key "width" for model "mlp"/);
  assert.throws(() => expand(["model.egnn.hidden=3"]), /suite "mocap" does not run "egnn"/);
  assert.throws(() => expand(["model.nosuch.hidden=3"]), /nosuch/);
});

Deno.test("overrides out of a setting's declared range are rejected before anything runs, naming the key", () => {
  const reg = createRegistries();
  const cases: [string, RegExp][] = [
    [
      "train.lr=-5",
      /Key "lr" \(the Adam learning rate\) for training config \(--set train\.…\) must be a number > 0, got -5/,
    ],
    [
      "train.steps=-3",
      /Key "steps" \(optimiser steps\) for training config .* must be an integer ≥ 1, got -3/,
    ],
    ["train.steps=2.5", /Key "steps" .* must be an integer ≥ 1, got 2\.5/],
    ["train.batchSize=0", /Key "batchSize" .* must be an integer ≥ 1, got 0/],
    ["train.gradClip=-1", /Key "gradClip" .* must be a number ≥ 0, got -1/],
    ["train.validateEvery=-1", /Key "validateEvery" .* must be an integer ≥ 0, got -1/],
    [
      "eval.equiSamples=0",
      /Key "equiSamples" .* for evaluation config \(--set eval\.…\) must be an integer ≥ 1/,
    ],
    [
      "eval.batchSize=1.5",
      /Key "batchSize" .* for evaluation config .* must be an integer ≥ 1, got 1\.5/,
    ],
    [
      "dataset.deltaT=0",
      /Key "deltaT" .* for data set "mocap" \(--set dataset\.…\) must be an integer ≥ 1, got 0/,
    ],
    ["dataset.train=-1", /Key "train" .* for data set "mocap" .* must be an integer ≥ 0, got -1/],
  ];
  for (const [item, re] of cases) {
    assert.throws(
      () => expandSuite(mocapSuite, "smoke", reg, { overrides: parseOverrides([item]) }),
      re,
      item,
    );
  }
});

Deno.test("model settings out of their declared range are rejected, naming model and key", () => {
  const registries = createRegistries();
  const bad: [string, RegExp][] = [
    [
      "model.mlp.hidden=0",
      /Key "hidden" \(hidden width\) for model "mlp" .* an integer ≥ 1, got 0/,
    ],
    ["model.emlp.maxRank=3", /Key "maxRank" .* for model "emlp" .* ≤ 2, got 3/],
    ["model.transformer.heads=1.5", /Key "heads" .* for model "transformer" .* an integer ≥ 1/],
    ["model.per.l2Weight=-1", /Key "l2Weight" .* for model "per" .* ≥ 0, got -1/],
  ];
  for (const [set, message] of bad) {
    assert.throws(
      () =>
        expandSuite(mocapSuite, "smoke", registries, {
          overrides: parseOverrides([set]),
        }),
      message,
      set,
    );
  }
  // every registered model declares ranges for its numeric settings
  for (const def of registries.models.list()) {
    const numeric = Object.entries(def.defaults).filter(([, v]) => typeof v === "number");
    for (const [key] of numeric) {
      assert.ok(def.ranges?.[key], `model ${def.id}: no range for "${key}"`);
    }
  }
});
