/**
 * adeflow's library: what the notebooks and the `adeflow` command use, in six groups.
 *
 * @example
 *   import * as ade from "@adeflow/lib";
 *   const corpus = await ade.data.loadCorpus();
 *   const profile = ade.experiments.currentProfile();
 *   const setup = await ade.experiments.prepareNer(profile);
 *   const fit = ade.training.fitStudy(ade.experiments.createNerModel(setup), train, val, { profile, numClasses: 5 });
 *   ade.display.showTable(rows);
 *
 * - `ade.data`: the corpus, the study's rows and split, exploration (api/data.ts)
 * - `ade.models`: BERT, its heads, the relation model, the POS tagger, backends (api/models.ts)
 * - `ade.training`: optimizer, trainer, the study's epoch loop (api/training.ts)
 * - `ade.metrics`: token-level (study) and entity-level (field) scores, the t-test (api/metrics.ts)
 * - `ade.display`: charts, tables, highlighted extractions, progress (api/display.ts)
 * - `ade.experiments`: profiles, NER, RE, end to end, the ablation, run records (api/experiments.ts)
 *
 * Notebooks import it by name, which resolves to the built package through the npm workspace link; tslab cannot
 * compile `.ts` files outside the notebook's own folder. The flat names below the groups (`ade.loadCorpus`) are
 * the previous surface, kept for one release so that older notebooks still run: prefer the groups.
 */
import { inTslabKernel, serializeZmqSends } from "./jupyter/kernel-sends";

// in a notebook's kernel: one Jupyter message at a time per socket (tslab's sends race; see kernel-sends.ts)
if (inTslabKernel()) serializeZmqSends();

export * as data from "./api/data";
export * as models from "./api/models";
export * as training from "./api/training";
export * as metrics from "./api/metrics";
export * as display from "./api/display";
export * as experiments from "./api/experiments";

// The previous flat surface, kept for one release (deprecated: use the groups above).
export * from "./errors";
export * from "./paths";
export * from "./io";
export * from "./corpus";
export * from "./random/mt19937";
export * from "./random/rng";
export * from "./text/python-regex";
export * from "./text/treebank";
export * from "./pipeline";
export * from "./jupyter";
export * from "./viz";
export * from "./eda";
export * from "./metrics";
export * from "./benchmark";
export * from "./experiment";
export * from "./backend";
export { describeAdapter, activeWebGpuAdapter, type WebGpuAdapter } from "./webgpu";
export * from "./bert";
export * from "./train";
export * from "./re";
export * from "./pos";
export * from "./stats";
export * from "./progress";
