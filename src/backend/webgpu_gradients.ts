/**
 * Gradients of `Sum`, `Mean` and `Tile` for the webgpu backend, in forms whose cost does not grow
 * with the batch (tfjs 4.22's own, which the other backends keep):
 *
 * - `Sum`, `Mean`: tfjs multiplies the upstream gradient by `ones(x.shape)`, an array built on the
 *   host and uploaded to the GPU at every step (its size grows with the batch). Here the upstream
 *   gradient is broadcast on the GPU (`Tile`) instead; the values are the same bit for bit
 *   (`dy · 1 = dy`).
 * - `Tile`: tfjs adds one slice of the upstream gradient per repetition (two kernels a repetition).
 *   Here, per tiled axis, the gradient is reshaped to `[before, rᵢ, sᵢ · after]` and summed over
 *   `rᵢ`: the same few kernels for any number of repetitions (sums in another order: equal within
 *   float32 rounding).
 *
 * Registered as tfjs gradients (global by kernel name); each one runs tfjs's own gradient when the
 * active backend is not webgpu, so wasm and cpu results do not change.
 *
 * @module
 */
import { type Tensor, tf } from "../tf.ts";

/**
 * Gradient of `sum(x, axes)` for the upstream gradient `dy`: `dy` broadcast back to `x`'s shape.
 *
 * @param dy upstream gradient, `x`'s shape without (or with size 1 at) the reduced axes.
 * @param xShape shape of the summed tensor.
 * @param axes reduced axes (negative counts from the end).
 * @returns the gradient, shape `xShape`.
 */
export function sumGradient(
  dy: Tensor,
  xShape: readonly number[],
  axes: readonly number[],
): Tensor {
  const rank = xShape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  // runs of neighbouring axes that are all reduced or all kept broadcast as one axis: tfjs-webgpu
  // tiles on the GPU up to rank 4 only (from rank 5 it reads the tensor back synchronously,
  // which fails under Deno)
  const kept: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < rank; i++) {
    const merge = i > 0 && reduced.has(i) === reduced.has(i - 1);
    if (merge) {
      full[full.length - 1] *= xShape[i];
      if (!reduced.has(i)) kept[kept.length - 1] *= xShape[i];
    } else {
      full.push(xShape[i]);
      kept.push(reduced.has(i) ? 1 : xShape[i]);
    }
  }
  return tf.tidy(() => {
    const d = tf.reshape(dy, kept);
    // alternating reduced and kept axes past rank 4: a broadcasting multiply by ones made on
    // the GPU (dy · 1 = dy)
    const b = full.length <= 4 ? tf.broadcastTo(d, full) : tf.mul(d, tf.fill(full, 1));
    return tf.reshape(b, xShape.slice());
  });
}

/**
 * Gradient of `mean(x, axes)`: {@linkcode sumGradient} divided by the number of averaged elements.
 */
export function meanGradient(
  dy: Tensor,
  xShape: readonly number[],
  axes: readonly number[],
): Tensor {
  const n = axes.reduce((p, a) => p * xShape[a < 0 ? a + xShape.length : a], 1);
  return tf.tidy(() => tf.div(sumGradient(dy, xShape, axes), n));
}

/**
 * Gradient of `tile(x, reps)`: per tiled axis, `dy` reshaped to `[before, rᵢ, sᵢ · after]` and
 * summed over `rᵢ` (two kernels per tiled axis, whatever the repetitions).
 *
 * @param dy upstream gradient, shape `[r₀·s₀, r₁·s₁, …]`.
 * @param xShape shape `[s₀, s₁, …]` of the tiled tensor.
 * @param reps repetitions per axis.
 * @returns the gradient, shape `xShape`.
 */
export function tileGradient(
  dy: Tensor,
  xShape: readonly number[],
  reps: readonly number[],
): Tensor {
  return tf.tidy(() => {
    // one tiled axis at a time: [before, rᵢ, sᵢ·after] summed over rᵢ (rank 3 at most)
    const cur = dy.shape.slice();
    let g = dy;
    for (let i = 0; i < xShape.length; i++) {
      if (reps[i] === 1) continue;
      const before = cur.slice(0, i).reduce((p, d) => p * d, 1);
      const after = cur.slice(i + 1).reduce((p, d) => p * d, 1);
      g = tf.sum(tf.reshape(g, [before, reps[i], xShape[i] * after]), 1);
      cur[i] = xShape[i];
    }
    return tf.reshape(g, xShape.slice());
  });
}

function axesOf(axis: unknown, rank: number): number[] {
  const list = axis === undefined || axis === null
    ? [...Array(rank).keys()]
    : Array.isArray(axis)
    ? axis as number[]
    : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

const FLAG = Symbol.for("remul-bench.webgpuGradients");

/**
 * Registers the three gradients (idempotent). Each falls back to tfjs's own gradient off webgpu.
 *
 * @returns one line for the record of what runs which gradient.
 */
export function installWebGpuGradients(): string {
  const g = globalThis as Record<symbol, unknown>;
  if (!g[FLAG]) {
    g[FLAG] = true;
    const replace = (
      kernelName: string,
      grad: (dy: Tensor, x: Tensor, attrs: Record<string, unknown>) => Tensor,
    ) => {
      const original = tf.getGradient(kernelName);
      if (!original) throw new Error(`tfjs has no gradient of ${kernelName} to replace`);
      tf.registerGradient({
        kernelName,
        inputsToSave: ["x"],
        gradFunc: (dy, saved, attrs) => {
          if (tf.getBackend() !== "webgpu") return original.gradFunc(dy, saved, attrs);
          const [x] = saved;
          return { x: () => grad(dy as Tensor, x, attrs as Record<string, unknown>) };
        },
      });
    };
    replace("Sum", (dy, x, a) => sumGradient(dy, x.shape, axesOf(a.axis, x.rank)));
    replace("Mean", (dy, x, a) => meanGradient(dy, x.shape, axesOf(a.axis, x.rank)));
    replace("Tile", (dy, x, a) => tileGradient(dy, x.shape, a.reps as number[]));
  }
  return "gradients of Sum, Mean (broadcast on the GPU, no ones() upload) and Tile (one " +
    "reduction, not a slice and add per repetition): project forms on webgpu";
}
