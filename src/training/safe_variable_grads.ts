/**
 * `tf.variableGrads` that frees what it recorded when the loss function throws. While it runs
 * the loss, tfjs records every kernel on a tape and keeps copies of the tensors each kernel needs
 * for its gradient (`saved`); those copies are only freed by the backward pass. When the loss
 * throws (a model error, a bad weight, an abort) there is no backward pass and the copies leak:
 * one per saved input of every kernel that ran before the throw, so a training step that throws
 * leaks tensors however carefully its own tensors are disposed. This wrapper frees them and
 * clears the abandoned tape, then rethrows.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../tf.ts";

/**
 * Frees the tensors an abandoned gradient tape kept, and drops the tape. Does nothing inside a
 * higher-order gradient (the outer tape is still in use) or when no tape is left over.
 *
 * @returns the number of tensors freed.
 */
export function freeAbandonedTape(): number {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || !state.activeTape) return 0;
  let freed = 0;
  for (const node of state.activeTape) {
    for (const t of node.saved ?? []) {
      if (!t.isDisposed) {
        t.dispose();
        freed++;
      }
    }
  }
  (state as { activeTape: unknown }).activeTape = null;
  return freed;
}

/**
 * Same as `tf.variableGrads(f, varList)`, but when `f` throws, the tensors the tape saved for
 * the backward pass are freed before the error is rethrown.
 *
 * @param f the loss, a scalar.
 * @param varList the variables to differentiate (default: every trainable variable).
 * @returns the loss and the gradients by variable name, as `tf.variableGrads`.
 * @throws whatever `f` throws, with nothing leaked.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { safeVariableGrads } from "./safe_variable_grads.ts";
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const before = tf.memory().numTensors;
 * const failing = () => {
 *   w.square().sum(); // kernels whose inputs the tape keeps
 *   throw new Error("model failed");
 * };
 * const error = (() => {
 *   try {
 *     safeVariableGrads(failing, [w]);
 *   } catch (e) {
 *     return e;
 *   }
 * })();
 * console.log(String(error), tf.memory().numTensors - before); // Error: model failed 0
 * w.dispose();
 * ```
 */
export function safeVariableGrads(
  f: () => tf.Scalar,
  varList?: Variable[],
): { value: tf.Scalar; grads: Record<string, Tensor> } {
  try {
    return tf.variableGrads(f, varList);
  } catch (e) {
    freeAbandonedTape();
    throw e;
  }
}
