/**
 * The library's layers point one way: foundation -> data -> models -> training -> experiments -> applications.
 * A module may import from its own layer and the ones below it, never from a layer above. This test reads every
 * relative import of lib/src (static, dynamic and require) and fails naming the file, the import and both layers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LAYERS, layerOf, relativeImports } from "./support/layers";
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
