/**
 * `deno task profile`: the kernel profile of one training step and one inference of a registered
 * model, as a suite builds it (data set, model config and training settings of a suite at a
 * scale), on the chosen backend. Prints the kernel count, wall, host and GPU time, readbacks and
 * submits per step and a table of time by kernel name; with `--batches` the same case at several
 * batch sizes with the kernel counts side by side. Can write it all as JSON. Run with `--help`.
 *
 * @module
 */
import {
  BACKEND_REQUESTS,
  type BackendRequest,
  chooseBackend,
  initBackend,
} from "../src/backend/backend.ts";
import { resolveConfig } from "../src/core/config.ts";
import { parseSubmitBatch } from "../src/backend/webgpu_queue.ts";
import {
  compareBatches,
  formatBatchComparison,
  formatProfile,
  type ModelProfile,
  profileModel,
} from "../src/metrics/kernel_profile.ts";
import { countParams } from "../src/models/model.ts";
import { createRegistries } from "../src/registry.ts";
import { caseFilter, expandSuite, type Scale, SCALES } from "../src/runner/suite.ts";
import { DatasetUnavailableError } from "../src/data/dataset.ts";
import { createSuiteRegistry } from "../bench/suites.ts";
import { tf } from "../src/tf.ts";
import { CliError, parseCli, runCli } from "./_cli.ts";

const HELP = `Usage: deno task profile --model ID [options]

Profiles one training step and one inference of a model: kernel count, wall time per pass
(passes back to back, the device drained at the end), host time (median), GPU time (WebGPU with
timestamp-query), readbacks, submits, buffer maps and bind groups per pass, and time by kernel name.

Options:
  --model ID          model id (required); see deno task bench --list for the suites' models
  --suite ID          suite whose data set and settings to use (default: nbody)
  --filter F          which of the model's cases in the suite: its first whose id matches
                      (/regex/ or comma-separated substrings, as bench), e.g. motion=run
  --scale S           smoke | small | paper (default: small): model config and training settings
  --config JSON       model config overrides, e.g. '{"blocks":10,"channels":384}'
  --procedure P       plain | augmentation | remul | remul-gradnorm (default: remul)
  --beta X            β of remul / β₀ of remul-gradnorm (default: 1)
  --batch N           batch size of the step and of the inference (default: the scale's)
  --batches N,M,...   profile at each batch size and put the kernel counts side by side,
                      flagging kernels whose count changes with the batch (instead of --batch)
  --sync-every K      read the loss back every K steps (default: 10 on webgpu, 1 elsewhere)
  --submit-batch N    webgpu: kernels per command buffer (default: REMUL_WEBGPU_SUBMIT_BATCH or 200)
  --backend B         auto | webgpu | wasm | cpu (default: wasm)
  --warmup N          unprofiled steps first (default: 3; 8 on webgpu, where training steps
                      are replayed as recorded commands from about the fifth on)
  --repeats N         timed steps; the median is reported (default: 10)
  --top N             kernel rows per pass (default: 12)
  --data-dir DIR      where downloaded data sets live (default: data)
  --json FILE         also write the profile as JSON
  -h, --help          this text
`;

function positiveInt(flag: string, value: string | boolean | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError(`--${flag}: expected a positive integer, got "${value}"`);
  }
  return n;
}

async function main(): Promise<number> {
  const { values: args } = parseCli(Deno.args, {
    model: { type: "string" },
    suite: { type: "string", default: "nbody" },
    filter: { type: "string" },
    scale: { type: "string", default: "small" },
    config: { type: "string" },
    procedure: { type: "string", default: "remul" },
    beta: { type: "string" },
    batch: { type: "string" },
    batches: { type: "string" },
    "sync-every": { type: "string" },
    "submit-batch": { type: "string" },
    backend: { type: "string", default: "wasm" },
    warmup: { type: "string" },
    repeats: { type: "string" },
    top: { type: "string" },
    "data-dir": { type: "string", default: "data" },
    json: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const registries = createRegistries();
  const suites = createSuiteRegistry();
  if (!args.model) {
    throw new CliError(`--model is required; known models: ${registries.models.ids().join(", ")}`);
  }
  const modelId = args.model as string;
  if (!registries.models.has(modelId)) {
    throw new CliError(
      `--model: unknown model "${modelId}"; known models: ${registries.models.ids().join(", ")}`,
    );
  }
  if (!suites.has(args.suite as string)) {
    throw new CliError(
      `--suite: unknown suite "${args.suite}"; known suites: ${suites.ids().join(", ")}`,
    );
  }
  const scale = args.scale as Scale;
  if (!SCALES.includes(scale)) {
    throw new CliError(`--scale: unknown scale "${scale}"; accepted: ${SCALES.join(", ")}`);
  }
  const procedureId = args.procedure as string;
  if (!registries.procedures.has(procedureId)) {
    throw new CliError(
      `--procedure: unknown procedure "${procedureId}"; known: ${
        registries.procedures.ids().join(", ")
      }`,
    );
  }
  const backendReq = args.backend as BackendRequest;
  if (!BACKEND_REQUESTS.includes(backendReq)) {
    throw new CliError(
      `--backend: unknown backend "${backendReq}"; accepted: ${BACKEND_REQUESTS.join(", ")}`,
    );
  }
  let beta = 1;
  if (args.beta !== undefined) {
    beta = Number(args.beta);
    if (!Number.isFinite(beta) || beta < 0) {
      throw new CliError(`--beta: expected a number ≥ 0, got "${args.beta}"`);
    }
  }
  let configOverrides: Record<string, unknown> = {};
  if (args.config !== undefined) {
    try {
      configOverrides = JSON.parse(args.config as string);
    } catch (e) {
      throw new CliError(`--config: not valid JSON (${(e as Error).message})`);
    }
    if (typeof configOverrides !== "object" || configOverrides === null) {
      throw new CliError(`--config: expected a JSON object of model settings`);
    }
  }
  const suite = suites.get(args.suite as string);
  const specs = expandSuite(suite, scale, registries, { dataDir: args["data-dir"] as string });
  const ofModel = specs.filter((s) => s.model.id === modelId);
  if (ofModel.length === 0) {
    const models = [...new Set(specs.map((s) => s.model.id))].join(", ");
    throw new CliError(
      `--model: suite "${suite.id}" has no case of model "${modelId}"; its models: ${models}`,
    );
  }
  let keep: (id: string) => boolean;
  try {
    keep = caseFilter(args.filter as string | undefined);
  } catch (e) {
    throw new CliError(`--filter: ${(e as Error).message}`);
  }
  const spec = ofModel.find((s) => keep(s.id));
  if (!spec) {
    throw new CliError(
      `--filter: no case of model "${modelId}" in suite "${suite.id}" matches "${args.filter}"; ` +
        `its cases: ${ofModel.map((s) => s.id).join(", ")}`,
    );
  }
  const modelDef = registries.models.get(modelId);
  let modelConfig;
  try {
    modelConfig = resolveConfig(spec.model.config, configOverrides, `--config (model ${modelId})`);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (args.batch !== undefined && args.batches !== undefined) {
    throw new CliError(`--batch and --batches: give one of them`);
  }
  let batchSizes = [positiveInt("batch", args.batch, spec.train.batchSize)];
  if (args.batches !== undefined) {
    batchSizes = String(args.batches).split(",").map((b) => Number(b.trim()));
    if (batchSizes.length < 2 || batchSizes.some((b) => !Number.isInteger(b) || b < 1)) {
      throw new CliError(
        `--batches: expected two or more comma-separated positive integers, got "${args.batches}"`,
      );
    }
  }
  const syncEvery = args["sync-every"] === undefined
    ? undefined
    : positiveInt("sync-every", args["sync-every"], 1);
  let submitBatch: number | undefined;
  if (args["submit-batch"] !== undefined) {
    if (backendReq !== "webgpu") {
      throw new CliError(
        `--submit-batch: only with --backend webgpu (got --backend ${backendReq})`,
      );
    }
    try {
      submitBatch = parseSubmitBatch(args["submit-batch"] as string, "--submit-batch");
    } catch (e) {
      throw new CliError((e as Error).message);
    }
  }
  let warmup = positiveInt("warmup", args.warmup, 3);
  const repeats = positiveInt("repeats", args.repeats, 10);
  const top = positiveInt("top", args.top, 12);
  const procDef = registries.procedures.get(procedureId);
  const procConfig = "beta" in procDef.defaults ? { ...procDef.defaults, beta } : procDef.defaults;
  const weighting = procDef.create(procConfig);

  const backend = await chooseBackend(backendReq);
  const kernels = await initBackend(backend.name, { webgpuSubmitBatch: submitBatch });
  // on webgpu the timed steps should be replayed ones, as in training (webgpu_step_replay.ts)
  if (args.warmup === undefined && backend.name === "webgpu") warmup = 8;
  const maxBatch = Math.max(...batchSizes);
  const datasetConfig = {
    ...spec.dataset.config,
    // enough training samples for one batch without repeats
    ...("train" in spec.dataset.config
      ? { train: Math.max(Number(spec.dataset.config.train), maxBatch) }
      : {}),
  };
  let dataset;
  try {
    dataset = await registries.datasets.get(spec.dataset.id).load(datasetConfig, {
      seed: spec.seeds.data,
      dataDir: spec.dataDir,
    });
  } catch (e) {
    if (!(e instanceof DatasetUnavailableError)) throw e;
    throw new CliError(
      `--data-dir: ${e.message} (case ${spec.id}; --filter picks another of the suite's cases)`,
    );
  }
  const profiles: { batchSize: number; profile: ModelProfile }[] = [];
  let params = 0;
  for (const batchSize of batchSizes) {
    // a fresh model per batch size: every profile starts from the same weights
    const model = modelDef.create(modelConfig, {
      inputs: dataset.inputs,
      target: dataset.target,
      seed: spec.seeds.init,
      edges: dataset.edges,
    });
    try {
      params = countParams(model);
      const train = { ...spec.train, batchSize, ...(syncEvery ? { syncEvery } : {}) };
      let profile: ModelProfile;
      try {
        profile = await profileModel(model, dataset, {
          weighting,
          train,
          seed: spec.seeds.case,
          warmup,
          repeats,
        });
      } catch (e) {
        // a run that fails (a GPU limit, a non-finite loss) is reported in one line, exit code 1
        console.error(`profile: ${modelId} at batch ${batchSize} failed: ${(e as Error).message}`);
        return 1;
      }
      profiles.push({ batchSize, profile });
    } finally {
      model.dispose();
    }
  }
  const header = {
    model: modelId,
    config: modelConfig,
    params,
    suite: suite.id,
    scale,
    dataset: spec.dataset.id,
    procedure: procedureId,
    weighting,
    backend: backend.name,
    backendReason: backend.reason,
    adapter: backend.adapter,
    kernels,
    tfjs: tf.version.tfjs,
    warmup,
    repeats,
    date: new Date().toISOString(),
  };
  const title = `## ${modelId} ${JSON.stringify(modelConfig)}: ${params.toLocaleString("en-US")} ` +
    `params, ${procedureId}${"beta" in procConfig ? ` β=${beta}` : ""}`;
  const setup = `${backend.name} (${backend.reason})${kernels.map((k) => `\n- ${k}`).join("")}\n`;
  let json: unknown;
  if (profiles.length === 1) {
    const { batchSize, profile } = profiles[0];
    console.log(`${title}, batch ${batchSize}, ${setup}`);
    console.log(formatProfile(profile, top));
    json = { ...header, batchSize, ...profile };
  } else {
    console.log(`${title}, ${setup}`);
    for (const { batchSize, profile } of profiles) {
      console.log(`## batch ${batchSize}\n`);
      console.log(formatProfile(profile, top));
    }
    const comparison = compareBatches(profiles);
    console.log(`## kernel counts by batch size\n`);
    console.log(formatBatchComparison(comparison));
    json = { ...header, batchSizes, profiles, comparison };
  }
  if (args.json) {
    await Deno.writeTextFile(args.json as string, JSON.stringify(json, null, 2) + "\n");
    console.log(`profile written to ${args.json}`);
  }
  return 0;
}

if (import.meta.main) await runCli("profile", main);
