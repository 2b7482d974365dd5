/**
 * Suites as data: a data set × models × procedures × parameter grid × repetitions, with settings
 * per scale. `expandSuite` turns a suite into run specs with deterministic ids and derived seeds;
 * every config is resolved (and checked) here, before anything runs.
 *
 * @module
 */
import { caseId, type ParamValue } from "../core/case_id.ts";
import { type Config, resolveConfig } from "../core/config.ts";
import { checkRanges, type ConfigRanges, rangesOf } from "../core/config_range.ts";
import { deriveSeed } from "../core/hash.ts";
import type { Definition } from "../core/registry.ts";
import { EVAL_RANGES, type EvalConfig } from "../metrics/metric.ts";
import type { Registries } from "../registry.ts";
import type { TrainConfig } from "../training/train.ts";
import { TRAIN_RANGES } from "../training/train_ranges.ts";
import { applyOverrides, hasOverrides, type ScaleOverrides } from "./overrides.ts";

/** The three scales of docs/protocols.md. */
export type Scale = "smoke" | "small" | "paper";
/** All scales, smallest first. */
export const SCALES: readonly Scale[] = ["smoke", "small", "paper"];

/** Settings of one scale of a suite. */
export interface ScaleSettings {
  /** Overrides of the data set's defaults. */
  readonly dataset: Readonly<Record<string, unknown>>;
  /** Overrides of each model's defaults, by model id. */
  readonly models: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Training hyperparameters. */
  readonly train: TrainConfig;
  /** Evaluation settings. */
  readonly eval: EvalConfig;
  /** β values swept by grid entries with `sweepBeta`. */
  readonly betas: readonly number[];
  /** Named value lists that grid entries sweep with `sweep: [name]` (e.g. `batchSize`). */
  readonly sweeps?: Readonly<Record<string, readonly ParamValue[]>>;
  /** Repetitions of every grid point. */
  readonly repetitions: number;
}

/**
 * One line of a suite's grid. Parameters are routed by name to the procedure's config, then the
 * data set's (e.g. `molecule`), then the model's, then the training config.
 */
export interface GridEntry {
  /** Model id (its config comes from the scale's `models`). */
  readonly model: string;
  /** Procedure id. */
  readonly procedure: string;
  /** Sweep β over the scale's `betas`. */
  readonly sweepBeta?: boolean;
  /** Sweep these parameters over the scale's `sweeps` of the same names. */
  readonly sweep?: readonly string[];
  /** Further parameters, each swept over its values (routed to procedure, model or train config). */
  readonly params?: Readonly<Record<string, readonly ParamValue[]>>;
}

/**
 * Published numbers a suite reproduces, shown beside ours in summaries and reports. A row matches
 * a result when every key of `match` equals the result's model, procedure, data set or parameter
 * of that name (compared as strings).
 */
export interface PaperReference {
  /** Metric compared, e.g. `mse_test`. */
  readonly metric: string;
  /** Ours is multiplied by this before printing (e.g. 100 for "MSE ×10⁻²"). */
  readonly factor: number;
  /** Column label, e.g. `MSE ×10⁻²`. */
  readonly label: string;
  /** Where the numbers come from, e.g. `REMUL paper, Table 2`. */
  readonly source: string;
  /** Published values and what they match. */
  readonly rows: readonly {
    readonly match: Readonly<Record<string, string | number>>;
    readonly value: number;
    /** Optional ± spread as published. */
    readonly spread?: number;
  }[];
}

/** Which ratios a suite reports, e.g. GATr / Transformer step time per batch size. */
export interface RatioSpec {
  /** Model id in the numerator. */
  readonly numerator: string;
  /** Model id in the denominator. */
  readonly denominator: string;
  /** Grid parameter the rows are keyed by (e.g. `batchSize`). */
  readonly by: string;
  /** Metric columns to divide. */
  readonly metrics: readonly string[];
}

/** A suite: what to run, as data. */
export interface SuiteDefinition extends Definition {
  /** Data set id (from the registry). */
  readonly dataset: string;
  /** Metric ids computed for every case. */
  readonly metrics: readonly string[];
  /** What to run: model × procedure × parameters. */
  readonly grid: readonly GridEntry[];
  /** Settings for each scale. */
  readonly scales: Readonly<Record<Scale, ScaleSettings>>;
  /** Published numbers to show beside ours. */
  readonly reference?: PaperReference;
  /** Timing suites: run one case at a time, whatever `--jobs` says. */
  readonly exclusive?: boolean;
  /** Ratios of one model's metrics to another's, per value of a grid parameter. */
  readonly ratios?: RatioSpec;
}

/** A fully resolved experiment: plain JSON, runnable alone on any worker. */
export interface RunSpec {
  /** Deterministic case id, `model[k=v,...]` with sorted keys. */
  readonly id: string;
  /** Suite id. */
  readonly suite: string;
  /** Scale the case belongs to. */
  readonly scale: Scale;
  /** Repetition index, from 0. */
  readonly repetition: number;
  /** The grid parameters of this case (procedure included). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Data set id and resolved config. */
  readonly dataset: { readonly id: string; readonly config: Config };
  /** Model id and resolved config. */
  readonly model: { readonly id: string; readonly config: Config };
  /** Procedure id and resolved config. */
  readonly procedure: { readonly id: string; readonly config: Config };
  /** Training hyperparameters. */
  readonly train: TrainConfig;
  /** Evaluation settings. */
  readonly eval: EvalConfig;
  /** Metric ids computed for every case. */
  readonly metrics: readonly string[];
  /** Directory of downloaded data files. */
  readonly dataDir: string;
  /** `case`: the whole id; `data`: data set + config + repetition (shared across models and
   * procedures); `init`: model + config + repetition (shared across procedures), so comparisons
   * between procedures are paired. */
  readonly seeds: { readonly case: number; readonly data: number; readonly init: number };
  /** Protocol choices of the suite at this scale, recorded with the result. */
  readonly protocol: Readonly<Record<string, unknown>>;
}

function cartesian(params: Record<string, readonly ParamValue[]>): Record<string, ParamValue>[] {
  let out: Record<string, ParamValue>[] = [{}];
  for (const [k, values] of Object.entries(params)) {
    if (values.length === 0) throw new Error(`Grid parameter "${k}" has no values`);
    out = out.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  }
  return out;
}

/** `resolveConfig`, then the definition's ranges. */
function resolveChecked<C extends Config>(
  defaults: C,
  overrides: Readonly<Record<string, unknown>>,
  options: { where: string; ranges?: ConfigRanges },
): C {
  const c = resolveConfig(defaults, overrides, options.where);
  checkRanges(c, options.ranges, options.where);
  return c;
}

/**
 * Expands a suite at a scale into run specs, in grid order.
 *
 * @param options `repetitions` instead of the scale's; `dataDir` for data files; `overrides` of the
 *   scale's settings (`--set`), recorded in each spec's `protocol`.
 * @throws Error naming the suite, entry and key for unknown ids, unknown keys, values of the
 *   wrong type or out of their declared range, and for duplicate case ids.
 */
export function expandSuite(
  suite: SuiteDefinition,
  scale: Scale,
  registries: Registries,
  options: { repetitions?: number; dataDir?: string; overrides?: ScaleOverrides } = {},
): RunSpec[] {
  const base = suite.scales[scale];
  if (!base) throw new Error(`Suite "${suite.id}" has no scale "${scale}"`);
  const overrides = hasOverrides(options.overrides) ? options.overrides : undefined;
  const settings = overrides ? applyOverrides(suite, base, overrides, registries) : base;
  const ds = registries.datasets.get(suite.dataset);
  const baseDataset = { ...settings.dataset };
  // validate the scale's own overrides up front
  resolveChecked(ds.defaults, baseDataset, {
    where: `dataset "${ds.id}" in suite "${suite.id}"`,
    ranges: rangesOf(ds),
  });
  for (const m of suite.metrics) registries.metrics.get(m);
  const reps = options.repetitions ?? settings.repetitions;
  const specs: RunSpec[] = [];
  const seen = new Set<string>();
  for (const entry of suite.grid) {
    const model = registries.models.get(entry.model);
    const proc = registries.procedures.get(entry.procedure);
    const grid: Record<string, readonly ParamValue[]> = { ...(entry.params ?? {}) };
    if (entry.sweepBeta) grid.beta = settings.betas;
    for (const name of entry.sweep ?? []) {
      const values = settings.sweeps?.[name];
      if (!values) throw new Error(`Suite "${suite.id}" scale "${scale}" has no sweep "${name}"`);
      grid[name] = values;
    }
    for (const params of cartesian(grid)) {
      const procOver: Record<string, unknown> = {};
      const dataOver: Record<string, unknown> = { ...baseDataset };
      const modelOver: Record<string, unknown> = { ...(settings.models[model.id] ?? {}) };
      const trainOver: Record<string, unknown> = {};
      const evalOver: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(params)) {
        if (k in proc.defaults) procOver[k] = v;
        else if (k in ds.defaults) dataOver[k] = v;
        else if (k in model.defaults) modelOver[k] = v;
        else if (k in settings.train) {
          // the scale's training config is the defaults its cases resolve against
          trainOver[k] = v;
          if (k in settings.eval) evalOver[k] = v; // a batch size sets both
        } else {
          throw new Error(
            `Suite "${suite.id}": parameter "${k}" is not a key of procedure "${proc.id}", data set "${ds.id}", model "${model.id}" or the training config`,
          );
        }
      }
      const where = `suite "${suite.id}"`;
      const datasetConfig = resolveChecked(ds.defaults, dataOver, {
        where: `dataset "${ds.id}" in ${where}`,
        ranges: rangesOf(ds),
      });
      const procConfig = resolveChecked(proc.defaults, procOver, {
        where: `procedure "${proc.id}" in ${where}`,
        ranges: rangesOf(proc),
      });
      proc.create(procConfig); // validates values
      const modelConfig = resolveChecked(model.defaults, modelOver, {
        where: `model "${model.id}" in ${where}`,
        ranges: rangesOf(model),
      });
      const train = resolveChecked(settings.train, trainOver, {
        where: `training config in ${where}`,
        ranges: TRAIN_RANGES,
      });
      const evalConfig = resolveChecked(settings.eval, evalOver, {
        where: `evaluation config in ${where}`,
        ranges: EVAL_RANGES,
      });
      for (let rep = 0; rep < reps; rep++) {
        const idParams: Record<string, ParamValue> = { procedure: proc.id, ...params };
        if (reps > 1) idParams.rep = rep;
        const id = caseId(model.id, idParams);
        if (seen.has(id)) throw new Error(`Suite "${suite.id}" produces case "${id}" twice`);
        seen.add(id);
        specs.push({
          id,
          suite: suite.id,
          scale,
          repetition: rep,
          params: { procedure: proc.id, ...params },
          dataset: { id: ds.id, config: datasetConfig },
          model: { id: model.id, config: modelConfig },
          procedure: { id: proc.id, config: procConfig },
          train,
          eval: evalConfig,
          metrics: suite.metrics,
          dataDir: options.dataDir ?? "data",
          seeds: {
            case: deriveSeed(suite.id, ds.id, id, rep),
            data: deriveSeed(ds.id, JSON.stringify(datasetConfig), rep),
            init: deriveSeed(model.id, JSON.stringify(modelConfig), rep),
          },
          protocol: {
            betaGrid: settings.betas,
            repetitions: reps,
            scale,
            ...(overrides ? { overrides } : {}),
          },
        });
      }
    }
  }
  return specs;
}

/**
 * The test of a case filter: a `/regex/`, or else every comma-separated part must occur as a
 * substring (`transformer,procedure=remul`); no filter accepts everything.
 *
 * @throws SyntaxError for an invalid regular expression.
 *
 * @example
 * ```ts
 * import { caseFilter } from "./suite.ts";
 * const keep = caseFilter("gnn,remul");
 * console.log(keep("gnn[beta=1,procedure=remul]"), keep("gnn[procedure=plain]")); // true false
 * ```
 */
export function caseFilter(filter: string | undefined): (id: string) => boolean {
  if (!filter) return () => true;
  if (filter.length > 2 && filter.startsWith("/") && filter.endsWith("/")) {
    const re = new RegExp(filter.slice(1, -1));
    return (id) => re.test(id);
  }
  const parts = filter.split(",").map((p) => p.trim()).filter(Boolean);
  return (id) => parts.every((p) => id.includes(p));
}
