/**
 * The allowed values of every training setting ({@linkcode TrainConfig}), checked where suites
 * are expanded and `--set train.KEY=VALUE` overrides land, before anything trains.
 *
 * @module
 */
import type { ConfigRanges } from "../core/config_range.ts";
import type { TrainConfig } from "./train.ts";

/** Ranges of the training config's keys. */
export const TRAIN_RANGES: ConfigRanges<keyof TrainConfig & string> = {
  steps: { integer: true, min: 1, what: "optimiser steps" },
  batchSize: { integer: true, min: 1, what: "training batch size" },
  lr: { above: 0, what: "the Adam learning rate" },
  gradClip: { min: 0, what: "global gradient norm to clip to; 0 = no clipping" },
  groupSamples: { integer: true, min: 1, what: "group elements per training input" },
  timingWarmup: { integer: true, min: 0, what: "steps left out of the step-time summary" },
  validateEvery: { integer: true, min: 0, what: "steps between validations; 0 = none" },
  syncEvery: { integer: true, min: 1, what: "steps between loss readbacks" },
};
