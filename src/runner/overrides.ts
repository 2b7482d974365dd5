/**
 * Overrides of a suite's scale settings from the command line (`deno task bench --set K=V`): a
 * longer training budget, another validation interval, a wider model, without editing the suite.
 * Keys name where the value goes: `train.steps`, `eval.equiSamples`, `dataset.deltaT`,
 * `model.mlp.hidden`. Every key is checked against the config it lands in, so a typo is an error
 * that names the key and lists the known ones; the overrides are recorded with every result.
 *
 * @module
 */
import { resolveConfig } from "../core/config.ts";
import { checkRanges, rangesOf } from "../core/config_range.ts";
import { EVAL_RANGES } from "../metrics/metric.ts";
import { TRAIN_RANGES } from "../training/train_ranges.ts";
import type { Registries } from "../registry.ts";
import type { ScaleSettings, SuiteDefinition } from "./suite.ts";

/** Values that replace a scale's settings. */
export interface ScaleOverrides {
  /** Training config keys (`steps`, `lr`, `validateEvery`, …). */
  readonly train?: Readonly<Record<string, unknown>>;
  /** Evaluation config keys (`equiSamples`, `batchSize`, …). */
  readonly eval?: Readonly<Record<string, unknown>>;
  /** Data set config keys. */
  readonly dataset?: Readonly<Record<string, unknown>>;
  /** Model config keys, by model id. */
  readonly models?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a bare word is a string: `--set model.emlp.group=SO(3)`
  }
}

/**
 * Parses `KEY=VALUE` items. Values are read as JSON (numbers, booleans, arrays of numbers) and
 * otherwise taken as strings.
 *
 * @param items e.g. `["train.steps=5000", "model.mlp.hidden=256"]`.
 * @returns the overrides grouped by where they go.
 * @throws Error naming the item when it is not `KEY=VALUE` or its key has no known prefix.
 *
 * @example
 * ```ts
 * import { parseOverrides } from "./overrides.ts";
 * const o = parseOverrides(["train.steps=5000", "model.mlp.hidden=256"]);
 * if (o.train?.steps !== 5000 || o.models?.mlp.hidden !== 256) throw new Error();
 * ```
 */
export function parseOverrides(items: readonly string[]): ScaleOverrides {
  const train: Record<string, unknown> = {};
  const evalOver: Record<string, unknown> = {};
  const dataset: Record<string, unknown> = {};
  const models: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    const key = eq > 0 ? item.slice(0, eq) : "";
    const parts = key.split(".");
    const value = parseValue(item.slice(eq + 1));
    const bad = () =>
      new Error(
        `"${item}": expected train.KEY=VALUE, eval.KEY=VALUE, dataset.KEY=VALUE or ` +
          `model.MODEL.KEY=VALUE`,
      );
    if (eq <= 0 || parts.some((p) => p === "")) throw bad();
    if (parts.length === 2 && parts[0] === "train") train[parts[1]] = value;
    else if (parts.length === 2 && parts[0] === "eval") evalOver[parts[1]] = value;
    else if (parts.length === 2 && parts[0] === "dataset") dataset[parts[1]] = value;
    else if (parts.length === 3 && parts[0] === "model") {
      (models[parts[1]] ??= {})[parts[2]] = value;
    } else throw bad();
  }
  const out: Record<string, unknown> = {};
  if (Object.keys(train).length) out.train = train;
  if (Object.keys(evalOver).length) out.eval = evalOver;
  if (Object.keys(dataset).length) out.dataset = dataset;
  if (Object.keys(models).length) out.models = models;
  return out as ScaleOverrides;
}

/** Whether `o` changes anything. */
export function hasOverrides(o: ScaleOverrides | undefined): o is ScaleOverrides {
  return !!o && Object.keys(o).length > 0;
}

/**
 * A scale's settings with the overrides applied, every key checked against where it lands.
 *
 * @throws Error naming the key (and the known ones) for an unknown key, a value of the wrong
 *   type or out of its declared range, and for a model the suite does not run.
 */
export function applyOverrides(
  suite: SuiteDefinition,
  settings: ScaleSettings,
  overrides: ScaleOverrides,
  registries: Registries,
): ScaleSettings {
  const ds = registries.datasets.get(suite.dataset);
  const dataset = { ...settings.dataset, ...overrides.dataset };
  const dsWhere = `data set "${ds.id}" (--set dataset.…)`;
  checkRanges(resolveConfig(ds.defaults, dataset, dsWhere), rangesOf(ds), dsWhere);
  const models: Record<string, Readonly<Record<string, unknown>>> = { ...settings.models };
  for (const [id, over] of Object.entries(overrides.models ?? {})) {
    const def = registries.models.get(id);
    if (!suite.grid.some((g) => g.model === id)) {
      const ran = [...new Set(suite.grid.map((g) => g.model))].join(", ");
      throw new Error(
        `--set model.${id}: suite "${suite.id}" does not run "${id}" (it runs ${ran})`,
      );
    }
    models[id] = { ...models[id], ...over };
    const where = `model "${id}" (--set model.${id}.…)`;
    checkRanges(resolveConfig(def.defaults, models[id], where), rangesOf(def), where);
  }
  const trainWhere = "training config (--set train.…)";
  const evalWhere = "evaluation config (--set eval.…)";
  // `syncEvery` is optional in a scale (its default depends on the backend) but may be set
  const trainKeys = { syncEvery: 1, ...settings.train };
  const resolvedTrain = resolveConfig(trainKeys, overrides.train, trainWhere);
  const train = overrides.train?.syncEvery === undefined && settings.train.syncEvery === undefined
    ? (({ syncEvery: _, ...rest }) => rest)(resolvedTrain)
    : resolvedTrain;
  const evalConfig = resolveConfig(settings.eval, overrides.eval, evalWhere);
  checkRanges(train, TRAIN_RANGES, trainWhere);
  checkRanges(evalConfig, EVAL_RANGES, evalWhere);
  return { ...settings, dataset, models, train, eval: evalConfig };
}
