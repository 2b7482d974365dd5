/**
 * tfjs-backend-wasm's `BatchMatMul` on the system OpenBLAS ({@link ./native_blas.ts}): every
 * case (transposed operands, batched products, broadcast batch) becomes `cblas_sgemm` calls that
 * read and write the wasm heap in place. tfjs-backend-wasm 4.22 uses XNNPACK only for an
 * untransposed product with batch 1 and a scalar loop otherwise (both matmuls of every gradient,
 * every attention product). Installed only when the library loads; otherwise the wasm kernel with
 * the transpose fix ({@link ./wasm_matmul_fix.ts}) stays.
 *
 * @module
 */
import { loadNativeBlas, type NativeBlas } from "./native_blas.ts";
import { KernelSwap, sizeOf, type TensorInfo, type WasmBackend } from "./_wasm_heap.ts";

/**
 * Products of at most this many multiply-adds each run as a JavaScript loop: with OpenBLAS, only
 * the tiniest (a foreign call costs about as much as 128 multiply-adds in a loop; measured on
 * `[512, 4, 4]·[512, 4, 4]` and `[128, 4, 4]·[128, 4, 16]`), without it every batched product up
 * to 4096 (tfjs's own batched kernel is a slower scalar loop).
 */
const SMALL_WITH_BLAS = 128;
const SMALL_WITHOUT_BLAS = 4096;

/**
 * `c[m×n] = op(a)·op(b)` for one small product, row-major, in plain loops. Exported for tests.
 *
 * @example
 * ```ts
 * import { smallGemm } from "./wasm_blas_matmul.ts";
 * const c = new Float32Array(1);
 * smallGemm(false, true, 1, 1, 2, new Float32Array([1, 2]), 0, new Float32Array([3, 4]), 0, c, 0);
 * if (c[0] !== 11) throw new Error();
 * ```
 */
export function smallGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  ao: number,
  b: Float32Array,
  bo: number,
  c: Float32Array,
  co: number,
): void {
  // element strides: A(i, p) = a[ao + i·ai + p·ap], B(p, j) = b[bo + p·bp + j·bj]
  const ai = transA ? 1 : k;
  const ap = transA ? m : 1;
  const bp = transB ? 1 : n;
  const bj = transB ? k : 1;
  if (transB) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[ao + i * ai + p * ap] * b[bo + j * bj + p];
        c[co + i * n + j] = acc;
      }
    }
    return;
  }
  c.fill(0, co, co + m * n);
  for (let i = 0; i < m; i++) {
    const row = co + i * n;
    for (let p = 0; p < k; p++) {
      const x = a[ao + i * ai + p * ap];
      const bRow = bo + p * bp;
      for (let j = 0; j < n; j++) c[row + j] += x * b[bRow + j];
    }
  }
}

function batchMatMulKernel(blas: NativeBlas | undefined) {
  return (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: WasmBackend;
    attrs: { transposeA: boolean; transposeB: boolean };
  }): TensorInfo => {
    const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = sizeOf(a.shape.slice(0, -2));
    const batchB = sizeOf(b.shape.slice(0, -2));
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    // Broadcast only where one side has batch 1; anything subtler goes to the shipped kernel.
    const rank = Math.max(outerA.length, outerB.length);
    const padA = [...Array(rank - outerA.length).fill(1), ...outerA];
    const padB = [...Array(rank - outerB.length).fill(1), ...outerB];
    const outer = padA.map((d, i) => Math.max(d, padB[i]));
    const simple = a.dtype === "float32" && b.dtype === "float32" &&
      (batchA === 1 || batchB === 1 || padA.every((d, i) => d === padB[i]));
    if (!simple) return swap!.original<TensorInfo>("BatchMatMul", args);
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (k !== kb) {
      throw new Error(
        `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
          `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
      );
    }
    const batch = Math.max(batchA, batchB);
    const out = backend.makeOutput([...outer, m, n], "float32");
    if (batch * m * n === 0) return out;
    const buf = backend.wasm.HEAPU8.buffer;
    const view = (t: TensorInfo) =>
      new Float32Array(buf, backend.dataIdMap.get(t.dataId).memoryOffset, sizeOf(t.shape));
    const av = view(a);
    const bv = view(b);
    const cv = view(out);
    if (k === 0) {
      cv.fill(0);
      return out;
    }
    const sa = batchA === 1 ? 0 : m * k;
    const sb = batchB === 1 ? 0 : k * n;
    if (m * n * k <= (blas ? SMALL_WITH_BLAS : SMALL_WITHOUT_BLAS)) {
      for (let i = 0; i < batch; i++) {
        smallGemm(transposeA, transposeB, m, n, k, av, i * sa, bv, i * sb, cv, i * m * n);
      }
      return out;
    }
    if (!blas) {
      backend.disposeData(out.dataId);
      return swap!.original<TensorInfo>("BatchMatMul", args);
    }
    const lda = transposeA ? m : k;
    const ldb = transposeB ? k : n;
    if (batchB === 1 && !transposeA) {
      // A's batch folds into its rows: one product [batch·m, k] · op(B)[k, n]
      blas.sgemm(false, transposeB, batch * m, n, k, av, lda, bv, ldb, cv, n);
      return out;
    }
    for (let i = 0; i < batch; i++) {
      blas.sgemm(
        transposeA,
        transposeB,
        m,
        n,
        k,
        av.subarray(i * sa, i * sa + m * k),
        lda,
        bv.subarray(i * sb, i * sb + k * n),
        ldb,
        cv.subarray(i * m * n, (i + 1) * m * n),
        n,
      );
    }
    return out;
  };
}

let swap: KernelSwap | undefined;

/**
 * Installs the kernel on the wasm backend: small products in plain loops, large ones on OpenBLAS
 * when the library loads, else on the kernel it replaces (the shipped one with the transpose fix).
 *
 * @returns what runs the large products (library path and threads, or why not OpenBLAS).
 */
export function installWasmBlasMatMul(): string {
  const status = loadNativeBlas();
  swap ??= new KernelSwap("wasm", {
    BatchMatMul: batchMatMulKernel(status.loaded ? status.blas : undefined),
  });
  swap.install();
  return status.loaded
    ? `small products in JavaScript loops, the rest on OpenBLAS ${status.blas.path}, ` +
      `${status.blas.threads} thread(s)`
    : `small products in JavaScript loops, the rest on tfjs's kernel (${status.reason})`;
}

/** True while the kernel is installed. */
export function wasmBlasMatMulInstalled(): boolean {
  return swap?.installed ?? false;
}

/** Puts the previous kernel back (tests compare both). */
export function uninstallWasmBlasMatMul(): void {
  swap?.uninstall();
}
