import assert from "node:assert/strict";
import { tf } from "../tf.ts";
import { readAll } from "./read_all.ts";

Deno.test("readAll: the values end to end in order, whatever the shapes,, none disposed, nothing left behind", async () => {
  const before = tf.memory().numTensors;
  const parts = [tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 5, 6])];
  const one = tf.scalar(7);
  const square = tf.tensor2d([[8, 9], [10, 11]]);
  assert.deepEqual([...await readAll(parts)], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...await readAll([one, square, parts[0]])], [7, 8, 9, 10, 11, 1, 2, 3]);
  assert.deepEqual([...await readAll([one])], [7]);
  assert.equal((await readAll([])).length, 0);
  assert.ok([...parts, one, square].every((p) => !p.isDisposed));
  tf.dispose([...parts, one, square]);
  assert.equal(tf.memory().numTensors, before);
});
