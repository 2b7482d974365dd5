import assert from "node:assert/strict";
import { errorText, isDeviceLostText, isOutOfMemoryText } from "./runtime_failure.ts";

Deno.test("recognises what tfjs, V8 and WebAssembly say when memory runs out", () => {
  for (
    const text of [
      "RangeError: offset is out of bounds",
      "RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded",
      "Error: Aborted(OOM)",
      "RuntimeError: Aborted()",
      "Cannot enlarge memory arrays to size 4294967296 bytes",
      "Failed to execute 'createBuffer' on 'GPUDevice'",
      "GPUOutOfMemoryError: out of memory",
      "RangeError: Array buffer allocation failed",
    ]
  ) assert.ok(isOutOfMemoryText(text), text);
  assert.ok(!isOutOfMemoryText("Error: Shapes [2,3] and [4] must match"));
  assert.ok(isDeviceLostText("GPU device was lost: destroyed"));
  assert.ok(!isDeviceLostText("Error: Aborted(OOM)"));
  assert.equal(errorText(new TypeError("x")), "TypeError: x");
  assert.equal(errorText("plain"), "plain");
});
