/**
 * Why an experiment failed, as a value: reports and sweeps treat an out-of-memory, a lost GPU
 * device or a time limit differently from a bug. The kind is set where the failure happens: the
 * pool knows a time limit and a dead worker, the case runner throws {@linkcode CaseFailure} for
 * what it detects itself, training throws `NonFiniteLossError`. Only errors thrown by the runtime
 * and tfjs, whose throw sites are not ours, are recognised by what they say
 * ({@linkcode runtimeFailureKind}).
 *
 * @module
 */
import { NonFiniteLossError } from "../training/train.ts";
import { isDeviceLostText, isOutOfMemoryText } from "../backend/runtime_failure.ts";

/** The kinds of failure an `errored` record distinguishes. */
export type FailureKind =
  | "out-of-memory"
  | "device-lost"
  | "timeout"
  | "non-finite"
  | "worker-died"
  | "exception";

/**
 * A failure the harness detects itself, with its kind.
 *
 * @example
 * ```ts
 * import { CaseFailure, failureKindOf } from "./failure.ts";
 * console.log(failureKindOf(new CaseFailure("non-finite", "metric mse_test is NaN"))); // non-finite
 * ```
 */
export class CaseFailure extends Error {
  override name = "CaseFailure";
  /**
   * @param kind the kind of failure.
   * @param message what failed and why.
   */
  constructor(readonly kind: FailureKind, message: string) {
    super(message);
  }
}

/**
 * The kind of a failure reported by the runtime or tfjs (an error they threw, or a dead worker's
 * message), or undefined when it is neither out of memory nor a lost device.
 *
 * @example
 * ```ts
 * import { runtimeFailureKind } from "./failure.ts";
 * console.log(runtimeFailureKind("RangeError: offset is out of bounds")); // out-of-memory
 * ```
 */
export function runtimeFailureKind(text: string): FailureKind | undefined {
  if (isOutOfMemoryText(text)) return "out-of-memory";
  if (isDeviceLostText(text)) return "device-lost";
  return undefined;
}

/**
 * The kind of a caught error: a {@linkcode CaseFailure}'s own kind, `non-finite` for training's
 * `NonFiniteLossError`, else what the runtime's message says, else `exception`.
 */
export function failureKindOf(error: unknown): FailureKind {
  if (error instanceof CaseFailure) return error.kind;
  if (error instanceof NonFiniteLossError) return "non-finite";
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return runtimeFailureKind(text) ?? "exception";
}
