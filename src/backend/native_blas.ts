/**
 * The system's OpenBLAS through Deno's foreign-function interface, for the wasm backend's matrix
 * products: `cblas_sgemm` reads and writes the wasm heap in place (no copies), so a matmul runs at
 * the machine's BLAS speed instead of tfjs-backend-wasm's scalar loop. Optional: it needs
 * `--allow-ffi` and an OpenBLAS shared library (Debian: `apt-get install libopenblas0-pthread`);
 * without either, {@linkcode loadNativeBlas} returns `null` with the reason and the caller keeps
 * tfjs's own kernel.
 *
 * The library is found at `REMUL_BLAS` (a path) if set, else among the usual Debian/Ubuntu names.
 * `REMUL_BLAS=off` disables it. Threads: `REMUL_BLAS_THREADS`, else 1; the runner sets cores ÷
 * jobs per worker (`--jobs 2` on 2 cores: one each; an exclusive timing case: both). OpenBLAS's
 * thread count is per process.
 *
 * @module
 */

/** Row-major matrix product `C = op(A)·op(B)` with leading dimensions, on raw pointers. */
export interface NativeBlas {
  /** Library path that was opened. */
  readonly path: string;
  /** Threads OpenBLAS was set to use. */
  readonly threads: number;
  /**
   * `C[m×n] = op(A)[m×k] · op(B)[k×n] + beta·C` (beta 0 unless given), row-major, float32; `a`,
   * `b`, `c` are views of the same or different buffers (a wasm heap included), read and written
   * in place.
   */
  sgemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    c: Float32Array,
    ldc: number,
    beta?: number,
  ): void;
  /**
   * `y[n] = alpha · Aᵀ·x` for row-major `A [m×n]` with leading dimension `lda`, `x [m]`: column
   * sums of A when x is ones.
   */
  sgemvT(
    m: number,
    n: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    x: Float32Array,
    y: Float32Array,
  ): void;
  /** Sets OpenBLAS's thread count (process-wide). */
  setThreads(n: number): void;
}

let ones = new Float32Array(0);

/**
 * A vector of `n` ones (a view of one cache that grows as needed): the `1` of the rank-1 products
 * that write biases and of the `Aᵀ·1` column sums. Not to be written to.
 */
export function onesOf(n: number): Float32Array {
  if (ones.length < n) ones = new Float32Array(n).fill(1);
  return ones.subarray(0, n);
}

/** Why the native BLAS is or is not in use. */
export type NativeBlasStatus =
  | { readonly loaded: true; readonly blas: NativeBlas }
  | { readonly loaded: false; readonly reason: string };

const CANDIDATES = [
  "libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "libopenblas.so",
  "libopenblas.dylib",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32", // order
      "i32", // transA
      "i32", // transB
      "i32", // m
      "i32", // n
      "i32", // k
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // B
      "i32", // ldb
      "f32", // beta
      "buffer", // C
      "i32", // ldc
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: [
      "i32", // order
      "i32", // trans
      "i32", // m
      "i32", // n
      "f32", // alpha
      "buffer", // A
      "i32", // lda
      "buffer", // x
      "i32", // incx
      "f32", // beta
      "buffer", // y
      "i32", // incy
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

let cached: NativeBlasStatus | undefined;

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env
  }
}

/**
 * Opens the system OpenBLAS once per thread (worker) and returns it, or why not.
 *
 * @example
 * ```ts
 * import { loadNativeBlas } from "./native_blas.ts";
 * const s = loadNativeBlas();
 * if (s.loaded) {
 *   const c = new Float32Array(1);
 *   s.blas.sgemm(false, false, 1, 1, 2, new Float32Array([1, 2]), 2, new Float32Array([3, 4]), 1, c, 1);
 *   if (c[0] !== 11) throw new Error();
 * } else console.log(s.reason);
 * ```
 */
export function loadNativeBlas(): NativeBlasStatus {
  if (cached) return cached;
  cached = open();
  return cached;
}

function open(): NativeBlasStatus {
  const setting = env("REMUL_BLAS");
  if (setting === "off") return { loaded: false, reason: "disabled by REMUL_BLAS=off" };
  if (typeof Deno?.dlopen !== "function") {
    return { loaded: false, reason: "this runtime has no Deno.dlopen" };
  }
  // never prompt: without a granted --allow-ffi the caller keeps tfjs's own kernel
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return { loaded: false, reason: "no --allow-ffi permission" };
    }
  } catch {
    return { loaded: false, reason: "the ffi permission cannot be queried here" };
  }
  const candidates = setting ? [setting] : CANDIDATES;
  const failures: string[] = [];
  for (const path of candidates) {
    let lib;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (e) {
      const msg = (e as Error).message;
      if (e instanceof Deno.errors.NotCapable || /--allow-ffi|Requires ffi/i.test(msg)) {
        return { loaded: false, reason: "no --allow-ffi permission" };
      }
      failures.push(`${path}: ${msg.split("\n")[0]}`);
      continue;
    }
    const s = lib.symbols;
    const requested = Number(env("REMUL_BLAS_THREADS") ?? 1);
    let threads = Number.isInteger(requested) && requested >= 1 ? requested : 1;
    s.openblas_set_num_threads?.(threads);
    const blas: NativeBlas = {
      path,
      get threads() {
        return threads;
      },
      setThreads(n: number) {
        threads = n;
        s.openblas_set_num_threads?.(n);
      },
      sgemvT(m, n, alpha, a, lda, x, y) {
        s.cblas_sgemv(ROW_MAJOR, TRANS, m, n, alpha, a, lda, x, 1, 0, y, 1);
      },
      sgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, beta = 0) {
        s.cblas_sgemm(
          ROW_MAJOR,
          transA ? TRANS : NO_TRANS,
          transB ? TRANS : NO_TRANS,
          m,
          n,
          k,
          1,
          a,
          lda,
          b,
          ldb,
          beta,
          c,
          ldc,
        );
      },
    };
    return { loaded: true, blas };
  }
  return {
    loaded: false,
    reason: setting
      ? `REMUL_BLAS="${setting}" could not be opened (${failures.join("; ")})`
      : "no OpenBLAS library found (Debian: apt-get install libopenblas0-pthread; or set " +
        "REMUL_BLAS to its path)",
  };
}
