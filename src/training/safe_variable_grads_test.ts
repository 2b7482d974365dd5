import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { freeAbandonedTape, safeVariableGrads } from "./safe_variable_grads.ts";

await useTestBackend();

Deno.test("tf.variableGrads leaks the tape's saved tensors when the loss throws; safeVariableGrads does not", () => {
  const w = tf.variable(tf.randomNormal([4, 4]), true, "safe_grads_w");
  const x = tf.randomNormal([3, 4]);
  const failing = () => {
    tf.relu(tf.matMul(x, w)).sum(); // kernels that save their inputs for the gradient
    throw new Error("model failed");
  };
  let before = tf.memory().numTensors;
  assert.throws(() => tf.variableGrads(failing, [w]), /model failed/);
  const leaked = tf.memory().numTensors - before;
  assert.ok(leaked > 0, "tfjs's own variableGrads leaks here (if not, this wrapper can go)");
  assert.equal(freeAbandonedTape(), leaked);
  assert.equal(tf.memory().numTensors, before);

  before = tf.memory().numTensors;
  assert.throws(() => safeVariableGrads(failing, [w]), /model failed/);
  assert.equal(tf.memory().numTensors, before, "nothing leaked");
  // and it still differentiates
  const { value, grads } = safeVariableGrads(() => tf.matMul(x, w).square().sum(), [w]);
  assert.deepEqual(grads[w.name].shape, [4, 4]);
  tf.dispose([value, grads[w.name], w, x]);
});
