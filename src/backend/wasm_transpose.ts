/**
 * A faster `Transpose` for tfjs-backend-wasm 4.22, in JavaScript on the wasm heap. The shipped
 * kernel walks every element through a generic index computation (about 75 ns an element for the
 * 5-D attention transpose here: 43% of a Transformer training step); this one first drops axes
 * of size 1 and merges axes that stay adjacent, then copies contiguous runs (`copyWithin`) or
 * strides through the innermost axis with precomputed offsets. Same values bit for bit (it only
 * moves 32-bit words); other dtypes go to the shipped kernel.
 *
 * @module
 */
import { KernelSwap, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

/**
 * Simplifies a transpose: axes of size 1 dropped, input axes that stay adjacent and in order in
 * the output merged.
 *
 * @param shape input shape.
 * @param perm output axis i is input axis `perm[i]`.
 * @returns the collapsed input shape and permutation (same element order as the original).
 *
 * @example
 * ```ts
 * import { collapseTranspose } from "./wasm_transpose.ts";
 * const c = collapseTranspose([2, 3, 4, 5], [0, 2, 3, 1]);
 * if (c.shape.join() !== "2,3,20" || c.perm.join() !== "0,2,1") throw new Error();
 * ```
 */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  // drop size-1 axes, renumbering the remaining input axes
  const keep = shape.map((d) => d !== 1);
  const renumber: number[] = [];
  let next = 0;
  for (let i = 0; i < shape.length; i++) renumber.push(keep[i] ? next++ : -1);
  const s1 = shape.filter((d) => d !== 1);
  const p1 = perm.filter((a) => keep[a]).map((a) => renumber[a]);
  // merge runs of output axes whose input axes are consecutive
  const groups: number[][] = [];
  for (const a of p1) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const order = [...groups].sort((g, h) => g[0] - h[0]); // groups in input order
  const newShape = order.map((g) => g.reduce((n, a) => n * s1[a], 1));
  const perm2 = groups.map((g) => order.indexOf(g));
  return { shape: newShape, perm: perm2 };
}

/**
 * Transposes `src` (row-major, `shape`) into `dst` at `dstStart`, both 32-bit views of one buffer
 * or of two.
 */
function transposeInto(
  src: Int32Array,
  srcStart: number,
  dst: Int32Array,
  dstStart: number,
  shape: readonly number[],
  perm: readonly number[],
): void {
  const r = shape.length;
  const total = sizeOf(shape);
  if (r <= 1) {
    if (src === dst) dst.copyWithin(dstStart, srcStart, srcStart + total);
    else dst.set(src.subarray(srcStart, srcStart + total), dstStart);
    return;
  }
  if ((r === 2 && perm[0] === 1) || (r === 3 && perm[0] === 0 && perm[1] === 2)) {
    // (batched) 2-D transpose [b, rows, cols] -> [b, cols, rows] in plain loops
    const b = r === 3 ? shape[0] : 1;
    const rows = shape[r - 2];
    const cols = shape[r - 1];
    const plane = rows * cols;
    let o = dstStart;
    for (let z = 0; z < b; z++) {
      const base = srcStart + z * plane;
      for (let c = 0; c < cols; c++) {
        for (let i = 0, s = base + c; i < rows; i++, s += cols) dst[o++] = src[s];
      }
    }
    return;
  }
  const inStride = new Array<number>(r);
  inStride[r - 1] = 1;
  for (let i = r - 2; i >= 0; i--) inStride[i] = inStride[i + 1] * shape[i + 1];
  const outShape = perm.map((a) => shape[a]);
  const stride = perm.map((a) => inStride[a]); // input stride of each output axis
  const inner = outShape[r - 1];
  const innerStride = stride[r - 1];
  const outer = r - 1;
  const idx = new Array<number>(outer).fill(0);
  let base = srcStart;
  let o = dstStart;
  const runs = total / inner;
  const same = src === dst;
  for (let run = 0; run < runs; run++) {
    if (innerStride === 1) {
      if (inner >= 32) {
        if (same) dst.copyWithin(o, base, base + inner);
        else dst.set(src.subarray(base, base + inner), o);
      } else {
        for (let j = 0; j < inner; j++) dst[o + j] = src[base + j];
      }
    } else {
      for (let j = 0, s = base; j < inner; j++, s += innerStride) dst[o + j] = src[s];
    }
    o += inner;
    // advance the odometer over the outer output axes
    for (let ax = outer - 1; ax >= 0; ax--) {
      base += stride[ax];
      if (++idx[ax] < outShape[ax]) break;
      base -= stride[ax] * outShape[ax];
      idx[ax] = 0;
    }
  }
}

/**
 * Transposes a row-major array: a reference for tests and for host-side code.
 *
 * @param x input values, row-major `shape`.
 * @param perm output axis i is input axis `perm[i]`.
 * @returns the transposed values (32-bit words moved as they are).
 *
 * @example
 * ```ts
 * import { transposeArray } from "./wasm_transpose.ts";
 * const y = transposeArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]);
 * if (y.join() !== "1,4,2,5,3,6") throw new Error();
 * ```
 */
export function transposeArray(
  x: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const out = new Float32Array(x.length);
  const c = collapseTranspose(shape, perm);
  transposeInto(
    new Int32Array(x.buffer, x.byteOffset, x.length),
    0,
    new Int32Array(out.buffer),
    0,
    c.shape,
    c.perm,
  );
  return out;
}

function transposeKernel(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: { perm: number[] };
}): TensorInfo {
  const { inputs: { x }, backend, attrs: { perm } } = args;
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    return swap.original<TensorInfo>("Transpose", args);
  }
  const out = backend.makeOutput(perm.map((a) => x.shape[a]), x.dtype);
  if (sizeOf(x.shape) === 0) return out;
  const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
  const c = collapseTranspose(x.shape, perm);
  transposeInto(
    heap,
    backend.dataIdMap.get(x.dataId).memoryOffset >>> 2,
    heap,
    backend.dataIdMap.get(out.dataId).memoryOffset >>> 2,
    c.shape,
    c.perm,
  );
  return out;
}

const swap = new KernelSwap("wasm", { Transpose: transposeKernel });

/** Installs the kernels on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmTranspose(): void {
  swap.install();
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmTranspose(): void {
  swap.uninstall();
}
