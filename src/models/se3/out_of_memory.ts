/**
 * Turns the many shapes of a tfjs out-of-memory failure (wasm heap growth, WebGPU buffer
 * allocation, V8 array buffers, a lost device) into one clear `Error`; the texts are recognised by
 * {@link ../../backend/runtime_failure.ts}.
 *
 * @module
 */
import { errorText, isDeviceLostText, isOutOfMemoryText } from "../../backend/runtime_failure.ts";

/**
 * Whether an error thrown by tfjs looks like a memory exhaustion.
 *
 * @example
 * ```ts
 * import { isOutOfMemoryError } from "./out_of_memory.ts";
 * if (!isOutOfMemoryError(new RangeError("Array buffer allocation failed"))) throw new Error();
 * ```
 */
export function isOutOfMemoryError(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  const text = errorText(error);
  return isOutOfMemoryText(text) || isDeviceLostText(text);
}

/**
 * Rethrows `error`, replacing an out-of-memory failure by an `Error` that says what ran out and
 * why, with the original as `cause`.
 *
 * @param error what was caught.
 * @param context what was running, e.g. `se3-transformer forward (batch 64, 31 nodes)`.
 * @param estimateBytes optional memory estimate to quote.
 * @throws always.
 */
export function rethrowWithOutOfMemoryContext(
  error: unknown,
  context: string,
  estimateBytes?: number,
): never {
  if (!isOutOfMemoryError(error)) throw error;
  const original = error instanceof Error ? error.message : String(error);
  const estimate = estimateBytes === undefined
    ? ""
    : ` (estimated need ${(estimateBytes / 2 ** 20).toFixed(0)} MiB)`;
  throw new Error(
    `Out of memory in ${context}${estimate}: reduce the batch size, the number of channels or ` +
      `the maximum degree. Backend error: ${original}`,
    { cause: error },
  );
}
