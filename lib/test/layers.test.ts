/**
 * The library's layers point one way: foundation -> data -> models -> training -> experiments -> benches ->
 * applications. A module may import from its own layer and the ones below it, never from a layer above. This test
 * reads every relative import of lib/src (static, dynamic and require) and fails naming the file, the import and
 * both layers. Within a layer, modules do not import each other in a circle either.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYERS, importCircles, layerOf, relativeImports } from "./support/layers";
import { repoRoot } from "../src/paths";

const SRC = path.join(repoRoot(), "lib", "src");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("every folder of lib/src belongs to a layer", () => {
  const unassigned = sourceFiles(SRC)
    .map((f) => path.relative(SRC, f))
    .filter((rel) => layerOf(rel) === undefined);
  assert.deepEqual(unassigned, [], `give these a layer in lib/test/support/layers.ts: ${unassigned.join(", ")}`);
});

test("no module imports from a layer above its own", () => {
  const violations: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = path.relative(SRC, file);
    const fromLayer = layerOf(from);
    if (fromLayer === undefined) continue;
    for (const spec of relativeImports(fs.readFileSync(file, "utf8"))) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec));
      const toLayer = layerOf(target.startsWith("..") ? "" : target);
      if (toLayer === undefined) continue; // outside lib/src: package.json and the like
      if (toLayer > fromLayer)
        violations.push(`${from} imports "${spec}": ${LAYERS[fromLayer].name} -> ${LAYERS[toLayer].name}`);
    }
  }
  assert.deepEqual(violations, []);
});

/** The module a relative import names: `<spec>.ts` or `<spec>/index.ts`, undefined outside lib/src's sources. */
function resolveImport(file: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(file), spec);
  return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
}

test("no modules of lib/src import each other in a circle", () => {
  const graph = new Map(
    sourceFiles(SRC).map((file) => [
      path.relative(SRC, file),
      relativeImports(fs.readFileSync(file, "utf8")).flatMap((spec) => {
        const target = resolveImport(file, spec);
        return target ? [path.relative(SRC, target)] : [];
      }),
    ]),
  );
  const circles = importCircles(graph).map((c) => [...c, c[0]].join(" -> "));
  assert.deepEqual(circles, [], `import circles: ${circles.join("; ")}`);
});

test("the circle check finds a circle through several modules and a module importing itself, and nothing else", () => {
  const graph = new Map<string, string[]>([
    ["cli/bench.ts", ["bench/run.ts"]],
    ["bench/run.ts", ["bench/workers.ts", "bench/models.ts"]],
    ["bench/workers.ts", ["bench/models.ts", "bench/run.ts"]],
    ["bench/models.ts", ["bert/index.ts"]],
    ["bert/index.ts", []],
    ["self.ts", ["self.ts"]],
  ]);
  assert.deepEqual(importCircles(graph), [["bench/run.ts", "bench/workers.ts"], ["self.ts"]]);
  graph.set("bench/workers.ts", ["bench/models.ts"]);
  graph.set("self.ts", []);
  assert.deepEqual(importCircles(graph), []);
});

test("the benches sit between the experiments and the applications", () => {
  const layer = (name: string) => LAYERS.findIndex((l) => l.name === name);
  assert.equal(layerOf("bench/run.ts"), layer("benches"));
  assert.ok(layer("experiments") < layer("benches") && layer("benches") < layer("applications"));
});

test("the layer check sees static, dynamic and require imports, and ignores packages", () => {
  const src = [
    `import { a } from "../train/trainer";`,
    `import type { B } from "./b";`,
    `export * from "../bert";`,
    `const c = await import("../experiment/shared/profile");`,
    `const d = require("./d");`,
    `import * as tf from "@tensorflow/tfjs";`,
    `// import { e } from "../not-code";`,
  ].join("\n");
  assert.deepEqual(relativeImports(src), ["../train/trainer", "./b", "../bert", "../experiment/shared/profile", "./d"]);
  assert.equal(
    layerOf("bert/encoder.ts"),
    LAYERS.findIndex((l) => l.name === "models"),
  );
  assert.equal(
    layerOf("cli/main.ts"),
    LAYERS.findIndex((l) => l.name === "applications"),
  );
  assert.equal(layerOf("somewhere-new/x.ts"), undefined);
  // the rule itself: a model importing the trainer is a violation, the trainer importing a model is not
  assert.ok(layerOf("bert/encoder.ts")! < layerOf("train/trainer.ts")!);
});
