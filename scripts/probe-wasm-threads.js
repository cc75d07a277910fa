#!/usr/bin/env node
// Does tfjs-backend-wasm's threaded SIMD binary run its thread pool in Node? (evidence for docs/cpu-parallel.md)
//
// Usage: node scripts/probe-wasm-threads.js [stock|threaded] [THREADS]
//   stock     the package as it is: setThreadsCount(THREADS), then setBackend("wasm")
//   threaded  the same after the four shims Node needs (each one is a fact the note records):
//     1. WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE; it is set to true here;
//     2. the pthread workers are started from blob: URLs, which Node's Worker rejects (ERR_WORKER_PATH):
//        the Blob texts are written to files and those paths returned instead;
//     3. the worker's copy of the module refers to the bundle's require$$0..4 and commonjsGlobal, which
//        only exist in the main bundle: a prelude defines them;
//     4. the C++ side caps the pool at emscripten_num_logical_cores() / 2 (it assumes 2 hyper-threads per
//        core), so on a 2-core machine it is 1 thread whatever setThreadsCount says: os.cpus() is made to
//        report 2 x THREADS entries while the backend initialises.
// Prints one JSON line: threads the backend reports, running pthreads, and the wall and CPU time of a
// bert-base feed-forward matmul ([128, 768] x [768, 3072]) and of an elementwise + softmax pass.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { URL } = require("node:url"); // the same class as the global one, whose createObjectURL is patched
const { performance } = require("node:perf_hooks");
const tf = require("@tensorflow/tfjs");
const wasm = require("@tensorflow/tfjs-backend-wasm");

const mode = process.argv[2] ?? "threaded";
const threads = Number(process.argv[3] ?? os.cpus().length);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-wasm-threads-"));

function installShims() {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  const prelude =
    "var require$$0 = require('fs'); var require$$1 = require('path'); var require$$3 = require('perf_hooks');" +
    " var require$$4 = require('os'); var commonjsGlobal = globalThis;\n";
  const mainScript = path.join(dir, "module.js");
  const NodeBlob = globalThis.Blob;
  const textOf = new WeakMap();
  globalThis.Blob = class extends NodeBlob {
    constructor(parts, options) {
      super(parts, options);
      const text = parts.join("");
      textOf.set(this, text);
      if (text.startsWith("var WasmBackendModuleThreadedSimd")) fs.writeFileSync(mainScript, prelude + text);
    }
  };
  const createObjectURL = URL.createObjectURL;
  let n = 0;
  URL.createObjectURL = (blob) => {
    const text = textOf.get(blob);
    if (text === undefined) return createObjectURL(blob);
    const file = path.join(dir, `worker-${n++}.js`);
    const patched = text.replace(
      "var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)",
      `importScripts(${JSON.stringify(mainScript)})`,
    );
    fs.writeFileSync(file, patched);
    return file;
  };
}

function timed(fn, reps) {
  fn();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall_ms: Math.round(wallMs), cpu_ms: Math.round((cpu.user + cpu.system) / 1000) };
}

(async () => {
  if (mode === "threaded") installShims();
  wasm.setThreadsCount(threads);
  const realCpus = os.cpus;
  if (mode === "threaded") os.cpus = () => new Array(2 * threads).fill(realCpus()[0]);
  const ok = await tf.setBackend("wasm");
  os.cpus = realCpus;
  const module = tf.backend().wasm;
  const x = tf.randomNormal([128, 768]);
  const w = tf.randomNormal([768, 3072]);
  const h = tf.randomNormal([8, 12, 128, 128]);
  const matmul = timed(() => tf.tidy(() => void tf.matMul(x, w).dataSync()), 30);
  const elementwise = timed(() => tf.tidy(() => void tf.softmax(tf.add(h, 1)).dataSync()), 10);
  console.log(
    JSON.stringify({
      mode,
      requested_threads: threads,
      backend: ok && tf.getBackend(),
      reported_threads: wasm.getThreadsCount(),
      shared_memory: module.HEAPU8.buffer instanceof SharedArrayBuffer,
      running_pthreads: module.PThread ? module.PThread.runningWorkers.length : 0,
      matmul_128x768x3072_x30: matmul,
      add_softmax_8x12x128x128_x10: elementwise,
      load_average_1min: os.loadavg()[0],
    }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => {
  console.log(JSON.stringify({ mode, requested_threads: threads, error: String(e && (e.message || e)) }));
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
