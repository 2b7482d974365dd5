/**
 * Faster `Slice`, `SplitV` and `Unpack` for tfjs-backend-wasm 4.22. The shipped `Slice` starts
 * with `readSync` of its whole input, a copy of the entire tensor out of the wasm heap, for every
 * slice; `SplitV` and `Unpack` call it once per piece, so splitting a vector into n pieces copies
 * it n times. These kernels read the heap in place and copy only the slice (contiguous runs with
 * `copyWithin`). Same values bit for bit; dtypes other than float32/int32 go to the shipped kernels.
 *
 * @module
 */
import { KernelSwap, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

/**
 * Copies the box `[begin, begin + size)` of a row-major `shape` array in `heap` (32-bit words)
 * from word offset `src` to `dst`.
 */
function copyBox(
  heap: Int32Array,
  src: number,
  dst: number,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): void {
  // merge trailing axes that are taken whole into the run length
  let r = shape.length;
  let run = 1;
  while (r > 0 && begin[r - 1] === 0 && size[r - 1] === shape[r - 1]) run *= shape[--r];
  if (r === 0) {
    heap.copyWithin(dst, src, src + run);
    return;
  }
  const strides = new Array<number>(r);
  let s = run;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  // the innermost partial axis joins the run
  run *= size[r - 1];
  let base = src;
  for (let i = 0; i < r; i++) base += begin[i] * strides[i];
  const outer = r - 1;
  const idx = new Array<number>(outer).fill(0);
  let runs = 1;
  for (let i = 0; i < outer; i++) runs *= size[i];
  let o = dst;
  for (let k = 0; k < runs; k++) {
    if (run >= 32) heap.copyWithin(o, base, base + run);
    else for (let j = 0; j < run; j++) heap[o + j] = heap[base + j];
    o += run;
    for (let ax = outer - 1; ax >= 0; ax--) {
      base += strides[ax];
      if (++idx[ax] < size[ax]) break;
      base -= strides[ax] * size[ax];
      idx[ax] = 0;
    }
  }
}

function sliceOnHeap(
  backend: WasmBackend,
  x: TensorInfo,
  begin: readonly number[],
  size: readonly number[],
): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype);
  if (sizeOf(size) === 0) return out;
  const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
  copyBox(
    heap,
    backend.dataIdMap.get(x.dataId).memoryOffset >>> 2,
    backend.dataIdMap.get(out.dataId).memoryOffset >>> 2,
    x.shape,
    begin,
    size,
  );
  return out;
}

const handled = (x: TensorInfo) => x.dtype === "float32" || x.dtype === "int32";

function resolveSlice(
  shape: readonly number[],
  begin: number | number[],
  size?: number | number[],
): { begin: number[]; size: number[] } {
  const r = shape.length;
  const b = typeof begin === "number" ? [begin, ...Array(r - 1).fill(0)] : [...begin];
  while (b.length < r) b.push(0);
  const s = size === undefined
    ? shape.map((d, i) => d - b[i])
    : typeof size === "number"
    ? [size, ...shape.slice(1).map((d, i) => d - b[i + 1])]
    : [...size];
  while (s.length < r) s.push(shape[s.length] - b[s.length]);
  return { begin: b, size: s.map((v, i) => (v === -1 ? shape[i] - b[i] : v)) };
}

function slice(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: { begin: number | number[]; size: number | number[] };
}): TensorInfo {
  const { inputs: { x }, backend, attrs } = args;
  if (!handled(x)) return swap.original<TensorInfo>("Slice", args);
  const { begin, size } = resolveSlice(x.shape, attrs.begin, attrs.size);
  return sliceOnHeap(backend, x, begin, size);
}

function splitV(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: { numOrSizeSplits: number | number[]; axis: number | number[] };
}): TensorInfo[] {
  const { inputs: { x }, backend, attrs } = args;
  if (!handled(x)) return swap.original<TensorInfo[]>("SplitV", args);
  const r = x.shape.length;
  let axis = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
  if (axis < 0) axis += r;
  const n = x.shape[axis];
  let sizes: number[];
  if (typeof attrs.numOrSizeSplits === "number") {
    sizes = Array(attrs.numOrSizeSplits).fill(n / attrs.numOrSizeSplits);
  } else {
    sizes = [...attrs.numOrSizeSplits];
    const unknown = sizes.indexOf(-1);
    if (unknown >= 0) sizes[unknown] = n - sizes.reduce((a, v) => (v === -1 ? a : a + v), 0);
  }
  const begin = new Array<number>(r).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const piece = sliceOnHeap(backend, x, begin, size);
    begin[axis] += s;
    return piece;
  });
}

function unpack(args: {
  inputs: { value: TensorInfo };
  backend: WasmBackend;
  attrs: { axis: number };
}): TensorInfo[] {
  const { inputs: { value }, backend, attrs } = args;
  if (!handled(value)) return swap.original<TensorInfo[]>("Unpack", args);
  const r = value.shape.length;
  const axis = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(r).fill(0);
  const size = [...value.shape];
  size[axis] = 1;
  const outs: TensorInfo[] = [];
  for (let i = 0; i < value.shape[axis]; i++) {
    begin[axis] = i;
    const piece = sliceOnHeap(backend, value, begin, size);
    outs.push({ ...piece, shape: outShape });
  }
  return outs;
}

const swap = new KernelSwap("wasm", { Slice: slice, SplitV: splitV, Unpack: unpack });

/** Installs the kernels on the wasm backend; idempotent. Needs tfjs-backend-wasm imported. */
export function installWasmSlice(): void {
  swap.install();
}

/** Puts the shipped kernels back (tests compare both). */
export function uninstallWasmSlice(): void {
  swap.uninstall();
}
