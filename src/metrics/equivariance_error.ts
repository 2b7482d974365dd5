/**
 * The equivariance errors of the paper (Eq. 12 and 13), label-free, for any function of fields:
 *
 * - `E  = mean_x ‖ (1/M)Σ_i ρ(g_i)f(x) − (1/M)Σ_i f(φ(g_i)x) ‖₂`
 * - `E' = mean_x (1/M)Σ_i ‖ f(φ(g_i)x) − ρ(g_i)f(x) ‖₂`
 *
 * with the norm over the whole output (all nodes × 3). Each input gets its own M group elements;
 * the M transformed copies of a chunk of inputs go through the function as one batch. Results
 * are read back asynchronously, so the function works on every backend (WebGPU included).
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import type { FieldKind, FieldSpec } from "../symmetry/field.ts";
import {
  type Fields,
  repeatBatch,
  repeatFields,
  rotate,
  rotateFields,
} from "../symmetry/group_action.ts";
import { HAAR, type RotationSpec, sampleRotations } from "../symmetry/rotation.ts";
import { type Tensor, tf } from "../tf.ts";
import { readAll } from "../backend/read_all.ts";

/** E, E' and E' relative to the mean output norm, over the inputs given. */
export interface EquivarianceErrors {
  /** Eq. 12. */
  readonly e: number;
  /** Eq. 13. */
  readonly ePrime: number;
  /** E' / mean_x ‖f(x)‖₂: scale-free, used for exact-equivariance checks. */
  readonly ePrimeRelative: number;
  /** Number of inputs averaged over. */
  readonly inputs: number;
  /** Group elements per input (M). */
  readonly samples: number;
}

/** Options of {@linkcode equivarianceErrors}. */
export interface EquivarianceOptions {
  /** How each input field transforms. */
  readonly inputs: readonly FieldSpec[];
  /** How the output transforms (`vector`/`position`: rotates; `scalar`: invariant). */
  readonly output: FieldKind;
  /** M, group elements per input (paper: 100). */
  readonly samples?: number;
  /** Distribution of the group elements (default Haar on SO(3)). */
  readonly rotations?: RotationSpec;
  /** Seed of the group elements. */
  readonly seed?: number;
  /** Largest batch (inputs × M) sent through `f` at once. */
  readonly maxBatch?: number;
}

/**
 * Measures E and E' of `f` on a batch of inputs.
 *
 * @param f function of fields `[B, ...]` returning `[B, ..., 3]` (or any shape for scalar output).
 * @param fields inputs, each `[B, ...spec.shape]`.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { equivarianceErrors } from "./equivariance_error.ts";
 * const fields = { pos: tf.randomNormal([3, 4, 3]) };
 * const inputs = [{ name: "pos", kind: "position", shape: [4, 3] }] as const;
 * // Scaling is rotation-equivariant: both errors vanish up to float error.
 * const r = await equivarianceErrors((f) => f.pos.mul(2), fields, {
 *   inputs: [...inputs],
 *   output: "position",
 *   samples: 10,
 * });
 * if (r.ePrime > 1e-5) throw new Error(String(r.ePrime));
 * ```
 */
export async function equivarianceErrors(
  f: (fields: Fields) => Tensor,
  fields: Fields,
  options: EquivarianceOptions,
): Promise<EquivarianceErrors> {
  const m = options.samples ?? 100;
  const rng = new Rng(options.seed ?? 0);
  const spec = options.rotations ?? HAAR;
  const n = fields[options.inputs[0].name].shape[0];
  const per = Math.max(1, Math.floor((options.maxBatch ?? 2048) / m));
  // each chunk's three sums stay on the device until the last chunk; then one readback (on
  // WebGPU under Deno each costs ≥ 10 ms) and the sums added up in float64, in chunk order
  const chunkSums: Tensor[] = [];
  let read: Float32Array;
  try {
    for (let start = 0; start < n; start += per) {
      const count = Math.min(per, n - start);
      const rot = sampleRotations(spec, rng, count * m);
      const sums = tf.tidy(() => {
        const chunk: Fields = {};
        for (const s of options.inputs) chunk[s.name] = fields[s.name].slice(start, count);
        const r = tf.tensor(rot, [count * m, 3, 3]);
        const fx = f(chunk); // [c, ...out]
        const fgx = f(rotateFields(repeatFields(chunk, m), options.inputs, r)); // [c·M, ...out]
        const rep = repeatBatch(fx, m);
        const gfx = options.output === "scalar" ? rep : rotate(rep, r); // ρ(g_i) f(x)
        const diff = fgx.sub(gfx).reshape([count, m, -1]); // [c, M, D]
        const ePrime = diff.norm("euclidean", 2).mean(1); // [c]
        const eVal = diff.mean(1).norm("euclidean", 1); // [c]
        const fNorm = fx.reshape([count, -1]).norm("euclidean", 1); // [c]
        return tf.stack([eVal.sum(), ePrime.sum(), fNorm.sum()]);
      });
      chunkSums.push(sums);
    }
    // asynchronous: WebGPU in Deno has no synchronous readback path
    read = await readAll(chunkSums);
  } finally {
    tf.dispose(chunkSums);
  }
  let sumE = 0;
  let sumEp = 0;
  let sumNorm = 0;
  for (let k = 0; k < read.length; k += 3) {
    sumE += read[k];
    sumEp += read[k + 1];
    sumNorm += read[k + 2];
  }
  return {
    e: sumE / n,
    ePrime: sumEp / n,
    ePrimeRelative: sumNorm > 0 ? sumEp / sumNorm : 0,
    inputs: n,
    samples: m,
  };
}
