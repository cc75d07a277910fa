import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { VariableSnapshot } from "../src/train/snapshot";

test("a snapshot puts trained variables back to their values, holding no tensors of its own", async () => {
  await tf.setBackend("cpu");
  const vars = new Map<string, tf.Variable>([
    ["w", tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]))],
    ["b", tf.variable(tf.tensor1d([5, 6]))],
  ]);
  const before = tf.memory().numTensors;
  const snap = await VariableSnapshot.take(vars);
  assert.equal(tf.memory().numTensors, before, "the copy lives outside the backend's memory");
  tf.tidy(() => {
    vars.get("w")!.assign(tf.zeros([2, 2]));
    vars.get("b")!.assign(tf.tensor1d([7, 8]));
  });
  snap.restore();
  assert.deepEqual([...vars.get("w")!.dataSync()], [1, 2, 3, 4]);
  assert.deepEqual([...vars.get("b")!.dataSync()], [5, 6]);
  assert.equal(tf.memory().numTensors, before, "restoring leaks nothing");
  snap.dispose();
  for (const v of vars.values()) v.dispose();
});
