/**
 * Constant tables a model's PyTorch twin takes from our side instead of rebuilding them: sent with
 * the load request as float32 arrays named `constants/<name>` (see `torch_peer.ts`), so that both
 * sides use the very same numbers and the twin is "the same math with torch ops" on them.
 *
 * GATr: the tables `src/models/gatr/algebra.ts` derives from the bitmask rule of G(3,0,1), in
 * GATr's public component order — the geometric product and the join `[16 out, 16 left, 16 right]`,
 * the 9 equivariant linear basis maps `[9, 16 out, 16 in]`, and the mask of the blades without e0
 * (the invariant inner product, used by the equivariant layer norm).
 *
 * @module
 */
import {
  GEOMETRIC_PRODUCT,
  INNER_PRODUCT_INDICES,
  JOIN,
  LINEAR_BASIS,
  MV_DIM,
  NUM_LINEAR_BASIS,
} from "../models/gatr/algebra.ts";

/** One constant array: values and shape. */
export interface PeerConstant {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/**
 * The constant tables a model's twin needs, by name.
 *
 * @param model model id.
 * @returns the tables (empty for models that need none).
 *
 * @example
 * ```ts
 * import { peerConstants } from "./constants.ts";
 * const c = peerConstants("gatr");
 * if (c["gatr/geometricProduct"].shape.join() !== "16,16,16") throw new Error();
 * ```
 */
export function peerConstants(model: string): Readonly<Record<string, PeerConstant>> {
  if (model !== "gatr") return {};
  const d = MV_DIM;
  const inner = new Float32Array(d);
  for (const i of INNER_PRODUCT_INDICES) inner[i] = 1;
  return {
    "gatr/geometricProduct": { values: GEOMETRIC_PRODUCT, shape: [d, d, d] },
    "gatr/join": { values: JOIN, shape: [d, d, d] },
    "gatr/linearBasis": { values: LINEAR_BASIS, shape: [NUM_LINEAR_BASIS, d, d] },
    "gatr/innerMask": { values: inner, shape: [d] },
  };
}
