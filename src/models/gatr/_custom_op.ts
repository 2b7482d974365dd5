/**
 * Private to the GATr folder: one taped op with a hand-written gradient.
 *
 * Under `tf.variableGrads` every tfjs op is taped: it keeps copies of the tensors its gradient
 * needs (an `Identity` kernel each) and its gradient adds further kernels (casts, reshapes,
 * reductions over broadcast axes). At GATr's sizes each kernel costs some 10 µs of bookkeeping
 * whatever it computes, so the network's layers run as a few such ops each: the forward pass
 * untaped inside the op, the backward pass written out with as few kernels as the algebra allows.
 * Each op is tested against tfjs's own gradient of the same forward pass.
 *
 * @module
 */
import { type Tensor, tf } from "../../tf.ts";

/** Keeps tensors for the backward pass (a no-op when nothing is taped). */
export type Saver = (tensors: Tensor[]) => void;

/** The forward pass of a custom op: its value and its backward pass. */
export interface OpDefinition {
  /** The op's output. */
  readonly value: Tensor;
  /**
   * The gradients with respect to every input, in order, given the output's gradient and the
   * tensors passed to the saver. Runs inside `tf.tidy`.
   */
  readonly gradient: (dy: Tensor, saved: Tensor[]) => Tensor[];
}

/**
 * Runs `forward` as one taped op.
 *
 * @param name the op's name in `tf.profile` (its entry's time includes its kernels, which are
 *   listed too).
 * @param inputs the tensors the op differentiates against, in order.
 * @param forward computes the value from `inputs` (untaped) and defines the gradient.
 * @returns the op's value.
 */
export function customOp(
  name: string,
  inputs: readonly Tensor[],
  forward: (inputs: Tensor[], save: Saver) => OpDefinition,
): Tensor {
  const op = tf.customGrad(
    ((...args: unknown[]) => {
      const save = args[args.length - 1] as Saver;
      const { value, gradient } = forward(args.slice(0, -1) as Tensor[], save);
      return {
        value,
        gradFunc: (dy: Tensor, saved: Tensor[]) => tf.tidy(() => gradient(dy, saved)),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return tf.tidy(name, () => op(...inputs));
}
