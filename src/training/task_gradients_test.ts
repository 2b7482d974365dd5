import assert from "node:assert/strict";
import { useTestBackend } from "../testing/test_backend.ts";
import { tf } from "../tf.ts";
import { remulTaskGradients } from "./task_gradients.ts";
import { remulLoss } from "./remul_loss.ts";

await useTestBackend();

Deno.test("GradNorm's task losses leave out a model's regulariser, which keeps weight 1 in the gradient", async () => {
  // a linear map with a weight prior as its `auxLoss` (as RPP's and PER's priors are)
  const w = tf.variable(tf.tensor2d([[0.5, 0.1, 0], [0, 0.7, 0.2], [0.3, 0, 0.9]]), true, "tg_w");
  const prior = 0.3;
  const forward = (f: Record<string, tf.Tensor>) => ({
    prediction: tf.matMul(f.pos.reshape([-1, 3]), w).reshape(f.pos.shape),
    auxLoss: w.square().sum().mul(prior),
  });
  const spec = { name: "pos", kind: "position", shape: [2, 3] } as const;
  const pos = tf.randomNormal([4, 2, 3], 0, 1, "float32", 3);
  const target = pos.mul(2).add(0.1);
  const angle = 0.7;
  const rot = tf.tensor2d([
    [Math.cos(angle), -Math.sin(angle), 0],
    [Math.sin(angle), Math.cos(angle), 0],
    [0, 0, 1],
  ]).expandDims(0).tile([4, 1, 1]);
  const options = { inputs: [spec], target: spec, rotations: rot };
  const state = { alpha: 2, beta: 5 };
  const { grads, observation, loss } = await remulTaskGradients(
    forward,
    { inputs: { pos }, target },
    { ...options, params: [w], lastLayer: [w], state },
  );
  // references: the plain task losses, and the regulariser once
  const part = (name: "objective" | "equivariance", alpha: number, beta: number) =>
    tf.tidy(() => {
      const f = () =>
        remulLoss(forward, { inputs: { pos }, target }, { ...options, alpha, beta })[name]!;
      const { value, grads: g } = tf.variableGrads(f as () => tf.Scalar, [w]);
      return { value: value.dataSync()[0], grad: g[w.name].arraySync() as number[][] };
    });
  const obj = part("objective", 1, 0);
  const equi = part("equivariance", 0, 1);
  const wv = w.arraySync() as number[][];
  const auxValue = prior * wv.flat().reduce((a, v) => a + v * v, 0);
  assert.ok(Math.abs(observation.objective - obj.value) < 1e-5 * obj.value, "L_obj without aux");
  assert.ok(Math.abs(observation.equivariance - equi.value) < 1e-5 * equi.value);
  assert.ok(Math.abs(loss - (2 * obj.value + 5 * equi.value + auxValue)) < 1e-4 * loss);
  const g = grads[w.name].arraySync() as number[][];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const want = 2 * obj.grad[i][j] + 5 * equi.grad[i][j] + 2 * prior * wv[i][j];
      assert.ok(
        Math.abs(g[i][j] - want) < 1e-4 * (1 + Math.abs(want)),
        `dW[${i}][${j}]: ${g[i][j]} vs ${want}`,
      );
    }
  }
  // the last-layer norm GradNorm compares is of ∇L_obj alone
  const norm = Math.hypot(...obj.grad.flat());
  assert.ok(Math.abs(observation.gradNormObjective - norm) < 1e-4 * norm);
  tf.dispose([w, pos, target, rot, ...Object.values(grads)]);
});
