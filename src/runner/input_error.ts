/**
 * Bad input to a run, found before anything runs: an unknown id, a setting out of range, a filter
 * that selects nothing, an output folder that cannot be used. Nothing has been written when it is
 * thrown. The command line prints it as one line and exits 2.
 *
 * @module
 */

/** The option of `RunSuiteOptions` (named as the `bench` flag) that the input came by. */
export type RunOption = "filter" | "shard" | "out" | "resume" | "backend";

/**
 * Bad input to a run; `option` names the option it came by, when one did.
 *
 * @example
 * ```ts
 * import { RunInputError } from "./input_error.ts";
 * const e = new RunInputError('"x" matches no case', "filter");
 * console.log(e.message); // filter: "x" matches no case
 * ```
 */
export class RunInputError extends Error {
  override name = "RunInputError";
  /**
   * @param detail what is wrong and what was expected.
   * @param option the option it came by, if any (the message starts with it).
   */
  constructor(readonly detail: string, readonly option?: RunOption) {
    super(option ? `${option}: ${detail}` : detail);
  }
}
