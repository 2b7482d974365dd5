/**
 * Adam with global-norm gradient clipping over all parameters at once. On wasm, cpu and webgpu the
 * whole step is one kernel ({@link ../backend/fused_adam.ts}, {@link ../backend/webgpu_adam.ts});
 * elsewhere the gradients are laid end to end in one vector, clipped and pushed through Adam's
 * moment updates as about fifteen kernels in all, then split back and added to each variable
 * (the reference the fused kernels are tested against). tfjs's `AdamOptimizer` runs some fourteen
 * kernels per variable (and clipping three more), which dominates small models' steps. Same
 * arithmetic as tfjs's Adam (ε = the backend's epsilon, bias correction by `1 − βᵗ`); the
 * bias-correction factors are computed on the host in float64 instead of float32 tensors.
 *
 * @module
 */
import { type Tensor, tf, type Variable } from "../tf.ts";
import {
  fusedAdamAvailable,
  fusedAdamMirrorsWeights,
  fusedAdamStep,
} from "../backend/fused_adam.ts";

/**
 * What one step needs before its gradients: its number and, where the fused kernel keeps a weight
 * mirror (webgpu), its bias corrections and rate as a tensor made on the host (a value the
 * training step can name, for `webgpu_step_replay.ts`). From {@linkcode FlatAdam.beginStep}.
 */
export interface AdamStepStart {
  readonly t: number;
  /** `[1 − β₁ᵗ, 1 − β₂ᵗ, ε, lr]`; the caller disposes it after {@linkcode FlatAdam.apply}. */
  readonly hyper?: Tensor;
}

/** Adam's settings; defaults are tfjs's. */
export interface FlatAdamConfig {
  /** Learning rate. */
  readonly lr: number;
  /** Clip the gradient to this global L2 norm first; 0 disables clipping. */
  readonly clipNorm: number;
  /** First-moment decay (default 0.9). */
  readonly beta1?: number;
  /** Second-moment decay (default 0.999). */
  readonly beta2?: number;
  /** Added to the root of the second moment (default: the backend's epsilon, 1e-7 in float32). */
  readonly epsilon?: number;
}

/** True when no tensor but `p` itself refers to its data (a clone or a reshape would). */
function soleOwner(p: Variable): boolean {
  const backend = tf.backend() as unknown as { refCount?(dataId: object): number };
  return backend.refCount?.(p.dataId) === 1;
}

/** Adam over a fixed list of variables, keeping its moments as two flat vectors. */
export class FlatAdam {
  readonly #params: readonly Variable[];
  readonly #sizes: number[];
  readonly #lr: number;
  readonly #clip: number;
  readonly #b1: number;
  readonly #b2: number;
  readonly #eps: number;
  #m: Tensor | undefined;
  #v: Tensor | undefined;
  /** The weights end to end as the last fused step left them, where the kernel keeps a mirror. */
  #w: Tensor | undefined;
  #t = 0;

  /**
   * @param params the variables to update, in a fixed order.
   *
   * @example
   * ```ts
   * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
   * import { FlatAdam } from "./flat_adam.ts";
   * const w = tf.variable(tf.tensor1d([1, -1]));
   * const adam = new FlatAdam([w], { lr: 0.1, clipNorm: 0 });
   * adam.apply({ [w.name]: tf.tensor1d([1, -1]) });
   * // Adam's first step moves every weight by lr against the sign of its gradient
   * const [a, b] = await w.data();
   * if (Math.abs(a - 0.9) > 1e-5 || Math.abs(b + 0.9) > 1e-5) throw new Error();
   * adam.dispose();
   * ```
   */
  constructor(params: readonly Variable[], config: FlatAdamConfig) {
    this.#params = params;
    this.#sizes = params.map((p) => p.size);
    this.#lr = config.lr;
    this.#clip = config.clipNorm;
    this.#b1 = config.beta1 ?? 0.9;
    this.#b2 = config.beta2 ?? 0.999;
    this.#eps = config.epsilon ?? tf.backend().epsilon();
  }

  /** Steps taken. */
  get iterations(): number {
    return this.#t;
  }

  /**
   * Starts the next step (its number goes up by one) and makes what it needs before its
   * gradients; {@linkcode apply} does it when not given one. The caller disposes `hyper`.
   */
  beginStep(): AdamStepStart {
    const t = ++this.#t;
    if (!fusedAdamAvailable() || !fusedAdamMirrorsWeights()) return { t };
    const hyper = tf.tensor1d([1 - this.#b1 ** t, 1 - this.#b2 ** t, this.#eps, this.#lr]);
    return { t, hyper };
  }

  /**
   * One Adam step from gradients by variable name; a variable without one (not used by the
   * loss) counts as a zero gradient. The gradients are not disposed.
   *
   * @param start from {@linkcode beginStep} (not disposed here); by default a new one.
   */
  apply(grads: Readonly<Record<string, Tensor>>, start?: AdamStepStart): void {
    const own = start === undefined;
    const begun = start ?? this.beginStep();
    if (begun.t !== this.#t) {
      throw new Error(`FlatAdam.apply: step ${begun.t} was begun, but the next is ${this.#t}`);
    }
    try {
      if (fusedAdamAvailable()) {
        this.#applyFused(grads, begun);
        return;
      }
    } finally {
      if (own) begun.hyper?.dispose();
    }
    const t = this.#t;
    const b1 = this.#b1;
    const b2 = this.#b2;
    const next = tf.tidy(() => {
      let g = tf.concat(
        this.#params.map((p) => grads[p.name]?.reshape([-1]) ?? tf.zeros([p.size])),
      );
      if (this.#clip > 0) {
        const norm = g.square().sum().sqrt();
        g = g.mul(tf.minimum(1, tf.scalar(this.#clip).div(norm.add(1e-12))));
      }
      const m = this.#m ? this.#m.mul(b1).add(g.mul(1 - b1)) : g.mul(1 - b1);
      const v = this.#v ? this.#v.mul(b2).add(g.square().mul(1 - b2)) : g.square().mul(1 - b2);
      const mHat = m.div(1 - b1 ** t);
      const vHat = v.div(1 - b2 ** t);
      const step = mHat.div(vHat.sqrt().add(this.#eps)).mul(-this.#lr);
      const pieces = tf.split(step, this.#sizes);
      this.#params.forEach((p, i) => p.assign(p.add(pieces[i].reshape(p.shape))));
      return { m, v };
    });
    this.#m?.dispose();
    this.#v?.dispose();
    this.#m = next.m;
    this.#v = next.v;
  }

  /**
   * The whole step as one kernel: moments updated in place; the new weights written into the
   * variables where the kernel can and no other tensor shares a variable's data (webgpu),
   * otherwise assigned.
   */
  #applyFused(grads: Readonly<Record<string, Tensor>>, begun: AdamStepStart): void {
    const total = this.#sizes.reduce((a, b) => a + b, 0);
    this.#m ??= tf.keep(tf.zeros([total]));
    this.#v ??= tf.keep(tf.zeros([total]));
    if (fusedAdamMirrorsWeights()) this.#w ??= tf.keep(tf.zeros([total]));
    const zeros: Tensor[] = [];
    const g = this.#params.map((p) => {
      if (grads[p.name]) return grads[p.name];
      const z = tf.zeros(p.shape);
      zeros.push(z);
      return z;
    });
    const inPlace = this.#w !== undefined && this.#params.every((p) => soleOwner(p));
    try {
      const next = fusedAdamStep(this.#params, g, this.#m, this.#v, {
        lr: this.#lr,
        beta1: this.#b1,
        beta2: this.#b2,
        epsilon: this.#eps,
        t: begun.t,
        clip: this.#clip,
      }, { w: this.#w, hyper: begun.hyper, inPlace });
      if (inPlace) return;
      this.#params.forEach((p, i) => {
        p.assign(next[i]);
        next[i].dispose();
      });
    } finally {
      tf.dispose(zeros);
    }
  }

  /** Frees the moments (and the weights' mirror). */
  dispose(): void {
    this.#m?.dispose();
    this.#v?.dispose();
    this.#w?.dispose();
    this.#m = this.#v = this.#w = undefined;
  }
}
