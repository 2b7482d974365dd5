/**
 * The order in which a parallel run starts its cases: costliest first (longest-processing-time
 * scheduling), so that the lanes finish together instead of one long case running alone at the
 * end. On the 13 N-body Transformer cases cut to 300 steps the SE(3)-Transformer case came last
 * in suite order and ran 38 s of an 88 s run by itself.
 *
 * A case's estimated cost is `train.steps × model stepCost × procedure stepCost` (both hints
 * declared in the registries, default 1). Only the start order changes: each case's seeds, and
 * so its numbers, are its own, and results are written in suite order.
 *
 * @module
 */
import type { Registries } from "../registry.ts";
import type { RunSpec } from "./suite.ts";

/** Estimated relative cost of running a case (steps × the model's and procedure's step costs). */
export function estimatedCost(
  spec: RunSpec,
  registries: Pick<Registries, "models" | "procedures">,
): number {
  const model = registries.models.has(spec.model.id)
    ? registries.models.get(spec.model.id).stepCost ?? 1
    : 1;
  const procedure = registries.procedures.has(spec.procedure.id)
    ? registries.procedures.get(spec.procedure.id).stepCost ?? 1
    : 1;
  return spec.train.steps * model * procedure;
}

/**
 * The specs, costliest first; ties keep suite order.
 *
 * @example
 * ```ts
 * import { createRegistries } from "../registry.ts";
 * import { costliestFirst } from "./schedule.ts";
 * const r = createRegistries();
 * const spec = (model: string, steps: number) =>
 *   ({ model: { id: model }, procedure: { id: "plain" }, train: { steps } }) as never;
 * const order = costliestFirst([spec("transformer", 10), spec("se3-transformer", 10)], r);
 * if ((order[0] as { model: { id: string } }).model.id !== "se3-transformer") throw new Error();
 * ```
 */
export function costliestFirst<S extends RunSpec>(
  specs: readonly S[],
  registries: Pick<Registries, "models" | "procedures">,
): S[] {
  return specs
    .map((spec, index) => ({ spec, index, cost: estimatedCost(spec, registries) }))
    .sort((a, b) => b.cost - a.cost || a.index - b.index)
    .map((e) => e.spec);
}
