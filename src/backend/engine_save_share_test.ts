import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { installEngineSaveShare, uninstallEngineSaveShare } from "./engine_save_share.ts";

await useTestBackend();
const covered = ["wasm", "cpu", "webgpu"].includes(tf.getBackend());

/** Loss and gradients of a small network with saved inputs, outputs and a customGrad op. */
async function run(): Promise<{ values: Float32Array[]; identities: number; leaked: number }> {
  const x = tf.randomNormal([6, 5], 0, 1, "float32", 1);
  const w = tf.variable(tf.randomNormal([5, 4], 0, 1, "float32", 2));
  const square = tf.customGrad(
    ((a: tf.Tensor, save: tf.GradSaveFunc) => {
      save([a]);
      return {
        value: a.square(),
        gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => dy.mul(s).mul(2),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  const before = tf.memory().numTensors;
  let identities = 0;
  const eng = tf.engine() as unknown as { runKernel(n: string, ...r: unknown[]): unknown };
  const runKernel = eng.runKernel;
  eng.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    if (name === "Identity") identities++;
    return runKernel.call(this, name, ...rest);
  };
  let values: Float32Array[];
  try {
    const { value, grads } = tf.variableGrads(() =>
      (square(tf.sigmoid(tf.matMul(x, w))) as tf.Tensor).mul(x.slice([0, 0], [6, 4]))
        .sum() as tf.Scalar
    );
    tf.dispose([value, ...Object.values(grads)].filter((t) => t !== grads[w.name] && t !== value));
    values = await Promise.all(
      [value, grads[w.name]].map((t) => t.data() as Promise<Float32Array>),
    );
    tf.dispose([value, grads[w.name]]);
  } finally {
    eng.runKernel = runKernel;
  }
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, w]);
  return { values, identities, leaked };
}

Deno.test("tensors saved for gradients share memory: same gradients, no Identity, no leak", async () => {
  if (!covered) return;
  uninstallEngineSaveShare();
  const tfjs = await run();
  installEngineSaveShare();
  const shared = await run();
  assert.ok(tfjs.identities >= 3, `tfjs clones what it saves (${tfjs.identities} Identity)`);
  assert.equal(shared.identities, 0);
  assert.equal(shared.leaked, 0);
  assert.equal(tfjs.leaked, 0);
  shared.values.forEach((v, i) => assert.deepEqual(v, tfjs.values[i]));
});
