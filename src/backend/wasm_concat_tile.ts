/**
 * Faster `Concat` and `Tile` for tfjs-backend-wasm 4.22, in JavaScript on the wasm heap. The
 * shipped `Concat` copies each input's block with a `subarray` + `set` per outer index (slow when
 * the blocks are a few numbers, as in the SE(3)-Transformer's per-degree features), and the shipped
 * `Tile` indexes every element through a generic loop (2.6 ms for `[128, 1, 48] → [128, 4, 48]`).
 * Same values bit for bit (32-bit words are moved as they are); other dtypes go to the shipped
 * kernels.
 *
 * @module
 */
import { KernelSwap, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

const handled = (t: TensorInfo) => t.dtype === "float32" || t.dtype === "int32";

/** Copies `n` words inside one heap view (short runs by hand, long ones with `copyWithin`). */
function move(heap: Int32Array, dst: number, src: number, n: number): void {
  if (n >= 32) heap.copyWithin(dst, src, src + n);
  else for (let j = 0; j < n; j++) heap[dst + j] = heap[src + j];
}

function concat(args: {
  inputs: TensorInfo[];
  backend: WasmBackend;
  attrs: { axis: number | number[] };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const first = inputs[0];
  if (!inputs.every(handled) || inputs.some((t) => t.dtype !== first.dtype)) {
    return swap.original<TensorInfo>("Concat", args);
  }
  const r = first.shape.length;
  let axis = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
  if (axis < 0) axis += r;
  for (const t of inputs) {
    if (t.shape.length !== r || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      return swap.original<TensorInfo>("Concat", args);
    }
  }
  const outShape = [...first.shape];
  outShape[axis] = inputs.reduce((s, t) => s + t.shape[axis], 0);
  const out = backend.makeOutput(outShape, first.dtype);
  const outer = sizeOf(first.shape.slice(0, axis));
  const blocks = inputs.map((t) => sizeOf(t.shape.slice(axis)));
  const row = blocks.reduce((a, b) => a + b, 0);
  if (outer * row === 0) return out;
  const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
  const dst = backend.dataIdMap.get(out.dataId).memoryOffset >>> 2;
  let col = 0;
  inputs.forEach((t, i) => {
    const n = blocks[i];
    if (n === 0) return;
    const src = backend.dataIdMap.get(t.dataId).memoryOffset >>> 2;
    for (let o = 0; o < outer; o++) move(heap, dst + o * row + col, src + o * n, n);
    col += n;
  });
  return out;
}

function tile(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: { reps: number[] };
}): TensorInfo {
  const { inputs: { x }, backend, attrs: { reps } } = args;
  if (!handled(x) || reps.length !== x.shape.length) {
    return swap.original<TensorInfo>("Tile", args);
  }
  const shape = x.shape;
  const r = shape.length;
  const outShape = shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, x.dtype);
  if (sizeOf(outShape) === 0) return out;
  const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
  const src = backend.dataIdMap.get(x.dataId).memoryOffset >>> 2;
  const dst = backend.dataIdMap.get(out.dataId).memoryOffset >>> 2;
  if (r === 0) {
    heap[dst] = heap[src];
    return out;
  }
  // Output rows (all axes but the last) in order; each is its source row repeated reps[last]
  // times. Source row index from the output row's coordinates modulo the input's shape.
  const inner = shape[r - 1];
  const outerAxes = r - 1;
  const inStride = new Array<number>(outerAxes);
  let s = inner;
  for (let i = outerAxes - 1; i >= 0; i--) {
    inStride[i] = s;
    s *= shape[i];
  }
  const idx = new Array<number>(outerAxes).fill(0);
  const rows = sizeOf(outShape.slice(0, -1));
  let srcRow = src;
  let o = dst;
  for (let k = 0; k < rows; k++) {
    for (let rep = 0; rep < reps[r - 1]; rep++, o += inner) move(heap, o, srcRow, inner);
    for (let ax = outerAxes - 1; ax >= 0; ax--) {
      idx[ax]++;
      if (idx[ax] % shape[ax] === 0) srcRow -= (shape[ax] - 1) * inStride[ax];
      else srcRow += inStride[ax];
      if (idx[ax] < outShape[ax]) break;
      idx[ax] = 0;
    }
  }
  return out;
}

const swap = new KernelSwap("wasm", { Concat: concat, Tile: tile });

/** Installs the kernels on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmConcatTile(): void {
  swap.install();
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmConcatTile(): void {
  swap.uninstall();
}
