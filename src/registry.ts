/**
 * Every registration of the library in one explicit file: data sets, models, procedures and
 * metrics. Adding a model is one file plus one line here. Tests can build fresh, empty registries
 * with `new Registry(kind)`.
 *
 * @module
 */
import { Registry } from "./core/registry.ts";
import type { Dataset, DatasetDefinition } from "./data/dataset.ts";
import { resolveConfig } from "./core/config.ts";
import { nbody } from "./data/nbody.ts";
import { md17 } from "./data/md17.ts";
import { gaussian } from "./data/gaussian.ts";
import { mocap } from "./data/mocap.ts";
import type { MetricDefinition } from "./metrics/metric.ts";
import {
  equivarianceMetric,
  flopsMetric,
  inferenceTimeMetric,
  lossSurfaceMetric,
  modelStatsMetric,
  mseMetric,
  trainTimeMetric,
} from "./metrics/metric.ts";
import type { Model, ModelContext, ModelDefinition } from "./models/model.ts";
import { transformer } from "./models/transformer.ts";
import { egnn } from "./models/egnn.ts";
import { gnn } from "./models/gnn.ts";
import { se3Transformer } from "./models/se3/se3_transformer.ts";
import { gatr } from "./models/gatr/gatr.ts";
import { mlp } from "./models/mlp.ts";
import { emlp } from "./models/emlp/emlp.ts";
import { rpp } from "./models/emlp/rpp.ts";
import { per } from "./models/emlp/per.ts";
import {
  augmentation,
  plain,
  type ProcedureDefinition,
  remul,
  remulGradnorm,
} from "./training/procedure.ts";

/** The four registries the runner resolves ids against. */
export interface Registries {
  /** Data set definitions by id. */
  readonly datasets: Registry<DatasetDefinition>;
  /** Model definitions by id. */
  readonly models: Registry<ModelDefinition>;
  /** Training procedure definitions by id. */
  readonly procedures: Registry<ProcedureDefinition>;
  /** Metric definitions by id. */
  readonly metrics: Registry<MetricDefinition>;
}

/** Builds the project's registries with every built-in definition. */
export function createRegistries(): Registries {
  const datasets = new Registry<DatasetDefinition>("dataset");
  datasets.register(nbody);
  datasets.register(gaussian);
  datasets.register(md17);
  datasets.register(mocap);

  const models = new Registry<ModelDefinition>("model");
  for (const m of [transformer, gatr, se3Transformer, egnn, gnn]) {
    models.register(m);
  }
  models.register(mlp);
  models.register(emlp);
  models.register(rpp);
  models.register(per);

  const procedures = new Registry<ProcedureDefinition>("procedure");
  for (const p of [plain, augmentation, remul, remulGradnorm]) {
    procedures.register(p);
  }

  const metrics = new Registry<MetricDefinition>("metric");
  for (
    const m of [
      mseMetric,
      equivarianceMetric,
      trainTimeMetric,
      inferenceTimeMetric,
      lossSurfaceMetric,
      modelStatsMetric,
      flopsMetric,
    ]
  ) {
    metrics.register(m);
  }
  return { datasets, models, procedures, metrics };
}

/** Options of {@linkcode createModel}. */
export interface CreateModelOptions extends ModelContext {
  /** Overrides of the model's defaults (unknown keys or wrong types throw). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Registries to look the id up in (default: the built-in ones). */
  readonly registries?: Registries;
}

/**
 * Builds a registered model by id.
 *
 * @param id a model id (`transformer`, `gatr`, `se3-transformer`, `egnn`, `gnn`, ...).
 * @throws Error listing the known ids when `id` is unknown, or naming a bad config key.
 *
 * @example
 * ```ts
 * import { createModel } from "./registry.ts";
 * const model = createModel("transformer", {
 *   inputs: [{ name: "pos", kind: "position", shape: [4, 3] }],
 *   target: { name: "pos", kind: "position", shape: [4, 3] },
 *   seed: 1,
 *   config: { blocks: 1, channels: 16, heads: 2 },
 * });
 * model.dispose();
 * ```
 */
export function createModel(id: string, options: CreateModelOptions): Model {
  const def = (options.registries ?? createRegistries()).models.get(id);
  const config = resolveConfig(def.defaults, options.config, `model "${id}"`);
  return def.create(config, options);
}

/** Options of {@linkcode loadDataset}. */
export interface LoadDatasetOptions {
  /** Overrides of the data set's defaults. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Seed of generated data and splits. */
  readonly seed: number;
  /** Folder of downloaded data files (default `data`). */
  readonly dataDir?: string;
  /** Registries to look the id up in (default: the built-in ones). */
  readonly registries?: Registries;
}

/**
 * Loads (or generates) a registered data set by id.
 *
 * @throws Error listing the known ids when `id` is unknown; `DatasetUnavailableError` when its
 *   files are missing.
 *
 * @example
 * ```ts
 * import { loadDataset } from "./registry.ts";
 * const data = await loadDataset("nbody", { seed: 1, config: { val: 4, test: 4, ood: 4 } });
 * console.log(data.splits.train.size); // 100
 * ```
 */
export async function loadDataset(id: string, options: LoadDatasetOptions): Promise<Dataset> {
  const def = (options.registries ?? createRegistries()).datasets.get(id);
  const config = resolveConfig(def.defaults, options.config, `dataset "${id}"`);
  return await def.load(config, { seed: options.seed, dataDir: options.dataDir ?? "data" });
}
