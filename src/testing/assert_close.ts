/**
 * The closeness check of the kernel tests: float32 results against a reference computed in
 * another order (or in float64), element by element, relative to the element's own magnitude
 * plus the reference's RMS (so that elements near zero are judged on the tensor's scale).
 *
 * @module
 */
import assert from "node:assert/strict";

/**
 * Asserts each `a[i]` within `tol · (|e[i]| + RMS(e))` of `e[i]`.
 *
 * @param tol relative tolerance; 1e-5 suits float32 sums over thousands of terms in another order.
 *
 * @example
 * ```ts
 * import { assertCloseToRms } from "./assert_close.ts";
 * assertCloseToRms(Float32Array.of(1, 2.00001), Float32Array.of(1, 2), "x");
 * ```
 */
export function assertCloseToRms(a: Float32Array, e: Float32Array, what: string, tol = 1e-5): void {
  assert.equal(a.length, e.length, what);
  const rms = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / Math.max(1, e.length));
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - e[i]) <= tol * (Math.abs(e[i]) + rms),
      `${what} ${i}: ${a[i]} vs ${e[i]}`,
    );
  }
}
