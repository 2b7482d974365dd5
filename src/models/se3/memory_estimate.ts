/**
 * Analytic estimate of the memory one SE(3)-Transformer batch needs, so the harness can report it
 * (and choose batch sizes) before allocating anything.
 *
 * Model of the cost: it counts the float32 elements of every tensor a forward pass creates (the
 * per-edge tensors dominate: kernel bases, broadcast source features, radial-network activations,
 * per-edge messages, attention products; per-node tensors are counted too), because tfjs keeps
 * the inputs of every recorded kernel alive until the backward pass has run. A training step then
 * needs about {@link TRAINING_FACTOR} × that (saved activations + gradient temporaries), plus the
 * parameters four times (weights, gradients, Adam's two moments). Calibrated against
 * `tf.profile(...).peakBytes` of a real training step in `memory_estimate_test.ts`.
 *
 * @module
 */
import type { Se3Config } from "./se3_transformer.ts";
import { attentionFibers } from "./attention.ts";
import { type Fiber, fiberDegrees, fiberSize, uniformFiber } from "./fiber.ts";
import { kernelFrequencies } from "./kernel_basis.ts";

/** Peak of a training step relative to the forward allocations (measured, rounded up). */
export const TRAINING_FACTOR = 3;

/** Options of {@link estimateSe3MemoryBytes}. */
export interface Se3MemoryOptions {
  /** Nodes per sample (default 4, the GATr N-body setting). */
  readonly nodes?: number;
  /** Degree-0 input channels (default 1: mass). */
  readonly scalarChannels?: number;
  /** Degree-1 input channels (default 1: velocity). */
  readonly vectorChannels?: number;
  /** Edge features besides distance (default 1: m_i·m_j). */
  readonly edgeDim?: number;
  /** Training step (default) or forward only. */
  readonly training?: boolean;
}

/** Element counts of one forward, split into per-sample and fixed parts. */
interface Counts {
  perSample: number;
  params: number;
}

function convCounts(
  fin: Fiber,
  fout: Fiber,
  o: { n: number; edgeDim: number; width: number; xij: boolean },
): Counts {
  const e = o.n * o.n; // edges per sample
  let perEdge = 0;
  let params = 0;
  // Source features broadcast to edges (tile), plus the relative-position pad and add.
  for (const d of fiberDegrees(fin)) {
    perEdge += (2 * d + 1) * fin[d];
    if (o.xij && d === 1 && fin[d] > 1) perEdge += 2 * 3 * fin[d];
  }
  // Radial networks: two batched hidden layers (~10 activations of width W per pair with the
  // fused layer norm; 18 when it was composed of tfjs ops), then a per-pair output layer
  // (matMul + bias).
  const pairs = fiberDegrees(fin).length * fiberDegrees(fout).length;
  perEdge += 10 * pairs * o.width;
  params += (o.edgeDim + 1) * pairs * o.width + pairs * o.width * (o.width + 5);
  for (const dOut of fiberDegrees(fout)) {
    let k = 0;
    for (const dIn of fiberDegrees(fin)) {
      const nj = kernelFrequencies(dIn, dOut).length;
      const out = nj * fin[dIn] * fout[dOut];
      perEdge += 2 * out; // radial output
      params += (o.width + 1) * out;
      perEdge += (2 * dOut + 1) * nj * fin[dIn]; // basis × source
      k += nj * fin[dIn];
    }
    if (fiberDegrees(fin).length > 1) perEdge += k * (2 * dOut + 1) + k * fout[dOut]; // concats
    perEdge += (2 * dOut + 1) * fout[dOut]; // message
  }
  return { perSample: perEdge * e, params };
}

function blockCounts(
  fin: Fiber,
  fout: Fiber,
  o: { n: number; edgeDim: number; width: number; xij: boolean; div: number; att: boolean },
): Counts {
  const { fValue, fKey, fCat } = attentionFibers(fin, fout, o.div);
  const v = convCounts(fin, fValue, o);
  const k = convCounts(fin, fKey, o);
  const e = o.n * o.n;
  let perSample = v.perSample + k.perSample;
  let params = v.params + k.params;
  // Attention: k·q and α·v products, logits/softmax/mask temporaries.
  perSample += e * (fiberSize(fKey) + fiberSize(fValue) + 12);
  // Node level: queries, concatenation, projection (generous factor for temporaries).
  perSample += o.n * 4 * (fiberSize(fKey) + fiberSize(fCat) + fiberSize(fout));
  for (const d of fiberDegrees(fKey)) params += fin[d] * fKey[d];
  for (const d of fiberDegrees(fout)) {
    const c = fCat[d];
    if (o.att) {
      perSample += o.n * 8 * c * c;
      params += 2 * c * c + (c * c + 1) * c * fout[d];
    } else {
      params += c * fout[d];
    }
  }
  return { perSample, params };
}

/**
 * Estimated bytes one batch needs on the backend (activations + parameters; Adam state included
 * for training).
 *
 * @param config model config.
 * @param batchSize samples per batch.
 * @param options data shape (defaults: GATr N-body, 4 nodes, mass + velocity).
 * @returns bytes (float32); within ±25 % of tfjs's measured peak for a training step on the
 *   wasm backend (the forward-only figure is an upper bound: tidy frees temporaries early).
 *
 * @example
 * ```ts
 * import { estimateSe3MemoryBytes, SE3_DEFAULTS } from "./se3_transformer.ts";
 * const bytes = estimateSe3MemoryBytes(SE3_DEFAULTS, 64, { nodes: 4 });
 * if (!(bytes > 0)) throw new Error();
 * ```
 */
export function estimateSe3MemoryBytes(
  config: Se3Config,
  batchSize: number,
  options: Se3MemoryOptions = {},
): number {
  const n = options.nodes ?? 4;
  const s = options.scalarChannels ?? 1;
  const v = options.vectorChannels ?? 1;
  const edgeDim = options.edgeDim ?? 1;
  const training = options.training ?? true;
  const fin: Record<number, number> = {};
  if (s > 0 || v === 0) fin[0] = Math.max(s, 1);
  if (v > 0) fin[1] = v;
  const mid = uniformFiber(config.maxDegree, config.channels);
  const base = {
    n,
    edgeDim,
    width: config.radialWidth,
    xij: config.xij === "add",
  };
  let perSample = 0;
  let params = 0;
  let f: Fiber = fin;
  for (let i = 0; i < config.layers; i++) {
    const c = blockCounts(f, mid, { ...base, div: config.div, att: false });
    perSample += c.perSample + n * 4 * fiberSize(mid); // + norm nonlinearity
    params += c.params + config.channels * (config.maxDegree + 1);
    f = mid;
  }
  const last = blockCounts(f, { 1: 2 }, {
    ...base,
    div: 1,
    att: config.finalSelfInteraction === "att",
  });
  perSample += last.perSample;
  params += last.params;
  // Geometry and kernel bases (shared by all layers).
  const maxDegree = Math.max(config.layers > 0 ? config.maxDegree : 1, 1);
  let basis = 16 + 2 * edgeDim;
  for (let l = 0; l < 2 * maxDegree; l++) basis += 3 * (2 * l + 1) + 2 * (2 * l + 3);
  for (let a = 0; a <= maxDegree; a++) {
    for (let b = 0; b <= maxDegree; b++) {
      const nj = kernelFrequencies(a, b).length;
      basis += (2 * a + 1) * (2 * b + 1) * nj + (2 * a + 2 * b + 1) ** 2;
    }
  }
  perSample += basis * n * n;
  const activations = perSample * batchSize * (training ? TRAINING_FACTOR : 1);
  const paramCopies = training ? 4 : 1;
  return Math.ceil(4 * (activations + paramCopies * params));
}
