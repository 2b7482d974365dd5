/**
 * remul-bench: REMUL (Relaxed Equivariance via Multitask Learning) for TensorFlow.js — the
 * multitask loss, GradNorm weighting, the equivariance errors E and E', rotation samplers, the
 * group actions, data sets and models by id, and a programmatic suite runner.
 *
 * Everything reachable from here imports only relative `.ts` files, `node:` built-ins and pinned
 * `npm:` specifiers, so the module can be imported straight from a URL. Import TensorFlow.js in
 * your own code with the same pinned specifier, `npm:@tensorflow/tfjs@4.22.0`, so both share
 * one tfjs engine. Nothing here reads `Deno.args`, prints, or writes files unless asked.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import { equivarianceErrors } from "./mod.ts";
 * const fields = { pos: tf.randomNormal([2, 4, 3]) };
 * const inputs = [{ name: "pos", kind: "position", shape: [4, 3] }] as const;
 * const r = await equivarianceErrors((f) => f.pos.mul(2), fields, {
 *   inputs: [...inputs],
 *   output: "position",
 * });
 * console.log(r.ePrime < 1e-5); // scaling is rotation-equivariant
 * ```
 *
 * @module
 */
export { type Tensor, TFJS_VERSION, type Variable } from "./src/tf.ts";
export {
  type ForwardFn,
  mse,
  remulLoss,
  type RemulLossOptions,
  type RemulLossParts,
} from "./src/training/remul_loss.ts";
export {
  type GradNormConfig,
  type GradNormObservation,
  type GradNormState,
  gradNormStep,
  type GradNormUpdate,
} from "./src/training/gradnorm.ts";
export {
  type GradNormObservationTensors,
  gradNormStepTensors,
  type GradNormTensors,
} from "./src/training/gradnorm_device.ts";
export {
  type QueuedTaskGradientOptions,
  type QueuedTaskGradients,
  remulTaskGradients,
  remulTaskGradientsQueued,
  type TaskGradientOptions,
  type TaskGradients,
} from "./src/training/task_gradients.ts";
export {
  NonFiniteLossError,
  train,
  type TrainConfig,
  type TrainHistory,
  type TrainOptions,
  type TrainProgress,
} from "./src/training/train.ts";
export {
  augmentation,
  plain,
  type ProcedureDefinition,
  remul,
  remulGradnorm,
  type Weighting,
} from "./src/training/procedure.ts";
export {
  type EquivarianceErrors,
  equivarianceErrors,
  type EquivarianceOptions,
} from "./src/metrics/equivariance_error.ts";
export {
  HAAR,
  LARGE_ANGLE,
  type RotationSpec,
  sampleRotation,
  sampleRotations,
  SMALL_ANGLE,
} from "./src/symmetry/rotation.ts";
export { type FieldKind, type FieldSpec } from "./src/symmetry/field.ts";
export { type Fields, rotate, rotateFields, translateFields } from "./src/symmetry/group_action.ts";
export {
  type Batch,
  type Dataset,
  type DatasetContext,
  type DatasetDefinition,
  DatasetUnavailableError,
  makeBatch,
  type Split,
  type SplitName,
} from "./src/data/dataset.ts";
export { loadNBody, type NBodyConfig } from "./src/data/nbody.ts";
export {
  type Equivariance,
  type Model,
  type ModelContext,
  type ModelDefinition,
  type ModelOutput,
} from "./src/models/model.ts";
export {
  createModel,
  type CreateModelOptions,
  createRegistries,
  loadDataset,
  type LoadDatasetOptions,
  type Registries,
} from "./src/registry.ts";
export { type Definition, Registry } from "./src/core/registry.ts";
export { type Config, type ConfigValue } from "./src/core/config.ts";
export { type ParamValue } from "./src/core/case_id.ts";
export { Rng } from "./src/core/rng.ts";
export {
  type AdapterDescription,
  type BackendChoice,
  type BackendName,
  type BackendRequest,
  chooseBackend,
  initBackend,
} from "./src/backend/backend.ts";
export {
  type EvalConfig,
  type MetricColumn,
  type MetricContext,
  type MetricDefinition,
} from "./src/metrics/metric.ts";
export {
  type RunPlan,
  runSuite,
  type RunSuiteOptions,
  type SuiteRun,
} from "./src/runner/run_suite.ts";
export { type CaseSelection, selectCases } from "./src/runner/select_cases.ts";
export { RunInputError, type RunOption } from "./src/runner/input_error.ts";
export { parseShard, type Shard } from "./src/runner/shard.ts";
export { type PoolEvent } from "./src/runner/pool.ts";
export { type CaseProgress } from "./src/runner/run_case.ts";
export {
  expandSuite,
  type GridEntry,
  type PaperReference,
  type RatioSpec,
  type RunSpec,
  type Scale,
  type ScaleSettings,
  type SuiteDefinition,
} from "./src/runner/suite.ts";
export { parseOverrides, type ScaleOverrides } from "./src/runner/overrides.ts";
export type {
  AbortedResult,
  CompletedResult,
  Environment,
  ErroredResult,
  ResultBase,
  ResultRecord,
  SkippedResult,
  Table,
} from "./src/runner/result.ts";
export type { FailureKind } from "./src/runner/failure.ts";
