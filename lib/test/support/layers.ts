/**
 * The layers of lib/src, lowest first, by top-level folder (or file). Kept in test support because only the
 * layer test reads it; docs/design.md draws the same picture.
 */
export const LAYERS: readonly { name: string; folders: readonly string[] }[] = [
  // generic pieces that know nothing of the corpus or BERT
  {
    name: "foundation",
    folders: [
      "errors",
      "paths",
      "settings",
      "python",
      "io",
      "progress",
      "download",
      "random",
      "text",
      "stats",
      "ops",
      "backend",
      "webgpu",
      "viz",
    ],
  },
  // the corpus, the study's rows and split, exploration and the metrics over labels
  { name: "data", folders: ["corpus", "pipeline", "eda", "metrics"] },
  // BERT, its heads and loss, the relation model, the POS tagger and its alignment to word pieces
  { name: "models", folders: ["bert", "re", "pos"] },
  // the optimizer, the trainer and the study's epoch loop
  { name: "training", folders: ["train"] },
  // profiles, the study's NER / RE / end-to-end runs, the ablation, the benchmark, reports
  { name: "experiments", folders: ["experiment", "benchmark"] },
  // what people run: the command line, Jupyter, the notebooks' entry point
  { name: "applications", folders: ["cli", "jupyter", "setup", "api", "index"] },
];

/** The layer of a path relative to lib/src (e.g. "bert/encoder.ts" or "errors"), or undefined if none. */
export function layerOf(relative: string): number | undefined {
  const top = relative.split(/[\\/]/)[0].replace(/\.ts$/, "");
  const i = LAYERS.findIndex((l) => l.folders.includes(top));
  return i < 0 ? undefined : i;
}

/** Relative module specifiers imported by a TypeScript source (static, `export from`, `import()`, `require`). */
export function relativeImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  const re = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\(\s*)["'](\.{1,2}\/[^"']*)["']/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code))) found.push(m[1].replace(/\.js$/, ""));
  return found;
}
