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
  // the benches of `adeflow bench`: each model and step timed against a peer in the same run
  { name: "benches", folders: ["bench"] },
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

/**
 * The import circles of a module graph (module -> the modules it imports): each circle once, as the modules on it
 * in import order, starting from its first module in the graph's order. Tarjan's strongly connected components,
 * then one path around each.
 */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfImport = component.length === 1 && (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfImport) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  const order = [...graph.keys()];
  return components.map((component) => {
    const members = new Set(component);
    const start = order.find((m) => members.has(m))!;
    // walk from the start along imports inside the component until back at the start (breadth-first: shortest)
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (!members.has(w) || previous.has(w)) continue;
        previous.set(w, v);
        if (w === start) queue.length = 0;
        else queue.push(w);
      }
    }
    const circle = [start];
    for (let v = previous.get(start)!; v !== start; v = previous.get(v)!) circle.splice(1, 0, v);
    return circle;
  });
}
