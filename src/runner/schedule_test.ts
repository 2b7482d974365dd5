import assert from "node:assert/strict";
import { createRegistries } from "../registry.ts";
import { expandSuite } from "./suite.ts";
import { createSuiteRegistry } from "../../bench/suites.ts";
import { costliestFirst, estimatedCost } from "./schedule.ts";

const registries = createRegistries();

Deno.test("parallel runs start the costliest cases first, ties in suite order", () => {
  const specs = expandSuite(createSuiteRegistry().get("nbody"), "small", registries, {
    dataDir: ".",
  });
  const order = costliestFirst(specs, registries);
  assert.equal(order.length, specs.length);
  assert.deepEqual(new Set(order.map((s) => s.id)), new Set(specs.map((s) => s.id)));
  // the SE(3)-Transformer (8× a Transformer step) and GATr (6×) lead; REMUL before plain
  assert.deepEqual(order.slice(0, 2).map((s) => s.model.id), ["se3-transformer", "gatr"]);
  const costs = order.map((s) => estimatedCost(s, registries));
  for (let i = 1; i < costs.length; i++) assert.ok(costs[i - 1] >= costs[i]);
  const plain = order.findIndex((s) => s.id === "transformer[procedure=plain]");
  const remul = order.findIndex((s) => s.id === "transformer[beta=1,procedure=remul]");
  const gradnorm = order.findIndex((s) => s.id === "transformer[beta=1,procedure=remul-gradnorm]");
  assert.ok(gradnorm < remul && remul < plain);
  // equal costs keep the suite's order
  const remuls = specs.filter((s) => s.model.id === "transformer" && s.procedure.id === "remul");
  assert.deepEqual(
    order.filter((s) => remuls.includes(s)).map((s) => s.id),
    remuls.map((s) => s.id),
  );
  // the estimate is steps × model × procedure
  const se3 = specs.find((s) => s.model.id === "se3-transformer")!;
  assert.equal(estimatedCost(se3, registries), se3.train.steps * 8);
  assert.equal(estimatedCost(remuls[0], registries), remuls[0].train.steps * 1.7);
});
