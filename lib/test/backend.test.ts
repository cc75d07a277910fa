/** Backend choice and the kernels added for training on wasm (and the fast cpu segment sum). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import {
  addonPath,
  initBackend,
  nativeAliasProblem,
  nativeProblem,
  packageDir,
  withoutRethrowingHandlers,
} from "../src/backend";
import { loadBert } from "../src/bert";
import { AdeflowError } from "../src/errors";
import { repoRoot, tinyCheckpointDir } from "../src/paths";
import { nativeUnavailable } from "./support/native";

test("initBackend picks the fastest loadable backend and explains why", async () => {
  const auto = await initBackend({ force: "" });
  assert.ok(["tensorflow", "wasm", "cpu"].includes(auto.name));
  assert.equal(tf.getBackend(), auto.name);
  assert.match(auto.description, /^TensorFlow\.js backend: /);
  const missing = nativeUnavailable();
  if (missing === undefined) {
    // built by setup: picked on its own, naming TensorFlow's version and its threads
    assert.equal(auto.name, "tensorflow");
    assert.match(auto.description, /TensorFlow \d+\.\d+\.\d+, (\d+ CPU threads|on the GPU)/);
    assert.match(auto.tensorflow ?? "", /^\d+\.\d+\.\d+/);
  } else {
    assert.match(auto.why, /tfjs-node/, "says why native was skipped");
    await assert.rejects(initBackend({ force: "tensorflow" }), /npm run setup/);
  }
  const cpu = await initBackend({ force: "cpu" });
  assert.equal(cpu.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  await assert.rejects(
    initBackend({ force: "gpu2" }),
    (e: Error) => e instanceof AdeflowError && /ADEFLOW_BACKEND=gpu2/.test(e.message),
  );
});

test("the real tfjs-node sits at its own name; danfojs-node gets the project's plain tfjs (the shim)", () => {
  const name = (from: string, pkg: string) =>
    JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [from] }), "utf8")).name;
  assert.equal(name(repoRoot(), "@tensorflow/tfjs-node"), "@tensorflow/tfjs-node");
  const danfo = path.dirname(require.resolve("danfojs-node/package.json", { paths: [repoRoot()] }));
  assert.equal(name(danfo, "@tensorflow/tfjs-node"), "danfojs-tfjs");
  // and the shim hands danfojs the very instance the library uses: no second engine, no backend switch
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const danfoTf = require(require.resolve("@tensorflow/tfjs-node", { paths: [danfo] }));
  assert.equal(danfoTf.engine(), tf.engine());
});

test("a native package whose addon is not built is named as such, without loading it", () => {
  const problem = nativeProblem("@tensorflow/tfjs-node-gpu");
  const addon = addonPath(packageDir("@tensorflow/tfjs-node-gpu")!);
  if (fs.existsSync(addon)) assert.equal(problem, undefined);
  else assert.match(problem ?? "", /^@tensorflow\/tfjs-node-gpu not built \(`npm run setup`/);
  assert.equal(
    nativeProblem("@tensorflow/tfjs-node-nonexistent" as never),
    "@tensorflow/tfjs-node-nonexistent not installed",
  );
  assert.match(addonPath(packageDir("@tensorflow/tfjs-node")!, 9), /lib[\\/]napi-v8[\\/]tfjs_binding\.node$/);
  assert.match(addonPath(packageDir("@tensorflow/tfjs-node")!, 5), /napi-v5/);
});

test("an alias of plain tfjs is not a native backend; an alias of the other native package is", () => {
  assert.equal(
    nativeAliasProblem("@tensorflow/tfjs-node", "@tensorflow/tfjs"),
    "@tensorflow/tfjs-node not installed (the name is an alias of @tensorflow/tfjs)",
  );
  assert.equal(nativeAliasProblem("@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"), undefined);
  assert.equal(nativeAliasProblem("@tensorflow/tfjs-node", "@tensorflow/tfjs-node"), undefined);
});

test("embedding gradients (UnsortedSegmentSum) agree on wasm and cpu and with a hand sum", async () => {
  const grads: Float32Array[] = [];
  for (const b of ["wasm", "cpu"]) {
    await initBackend({ force: b });
    const table = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    const idx = tf.tensor2d(
      [
        [2, 0],
        [2, 2],
      ],
      [2, 2],
      "int32",
    );
    const up = tf.tensor3d([
      [
        [1, 10],
        [2, 20],
      ],
      [
        [3, 30],
        [4, 40],
      ],
    ]);
    const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(table, idx), up)), [table]);
    grads.push(g[table.name].dataSync() as Float32Array);
    tf.dispose([table, idx, up, ...Object.values(g)]);
  }
  // row 0 <- position (0,1); row 2 <- (0,0) + (1,0) + (1,1)
  assert.deepEqual(Array.from(grads[0]), [2, 20, 0, 0, 8, 80]);
  assert.deepEqual(Array.from(grads[1]), Array.from(grads[0]));
});

test("tiny BERT forward and gradients agree between wasm and cpu", async () => {
  const out: { h: Float32Array; g: Float32Array }[] = [];
  for (const b of ["wasm", "cpu"]) {
    await initBackend({ force: b });
    const bert = await loadBert(tinyCheckpointDir());
    const batch = bert.tokenizer.encodeBatch([{ words: "Rash after penicillin .".split(" ") }], 10);
    const ids = tf.tensor2d(batch.inputIds, [1, 10], "int32");
    const mask = tf.tensor2d(batch.attentionMask, [1, 10], "int32");
    const emb = bert.encoder.variables.get("embeddings.word_embeddings.weight")!;
    const { value, grads } = tf.variableGrads(() => {
      const hs = bert.encoder.forward(ids, mask);
      return tf.sum(tf.square(hs[2]));
    }, [emb]);
    const hs = bert.encoder.forward(ids, mask);
    out.push({ h: hs[2].dataSync() as Float32Array, g: grads[emb.name].dataSync() as Float32Array });
    tf.dispose([value, ids, mask, ...hs, ...Object.values(grads)]);
    bert.encoder.dispose();
  }
  let dh = 0,
    dg = 0,
    sg = 0;
  out[0].h.forEach((v, i) => (dh = Math.max(dh, Math.abs(v - out[1].h[i]))));
  out[0].g.forEach((v, i) => ((dg = Math.max(dg, Math.abs(v - out[1].g[i]))), (sg = Math.max(sg, Math.abs(v)))));
  console.log(
    `wasm vs cpu: max |hidden diff| ${dh.toExponential(2)}, max |grad diff| / max |grad| ${(dg / sg).toExponential(2)}`,
  );
  assert.ok(dh < 1e-5 && dg / sg < 1e-5);
});

test("the WebAssembly backend leaves no listener that rethrows uncaught errors (it killed a Jupyter kernel)", async () => {
  const mine = () => {};
  process.on("uncaughtException", mine);
  try {
    const kept = await withoutRethrowingHandlers(async () => {
      process.on("uncaughtException", (ex) => {
        throw ex;
      });
      process.on("unhandledRejection", (reason) => {
        throw reason;
      });
      return 42;
    });
    assert.equal(kept, 42);
    assert.ok(process.listeners("uncaughtException").includes(mine), "listeners from before stay");
    await tf.setBackend("wasm");
    const rethrowing = [...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")].filter(
      (l) => /throw (ex|reason)/.test(String(l)),
    );
    assert.deepEqual(rethrowing.map(String), []);
  } finally {
    process.removeListener("uncaughtException", mine);
  }
});
