/**
 * adeflow's library: everything the notebooks and the `adeflow` command use. Notebooks import it by
 * name (`import * as ade from "@adeflow/lib"`), which resolves to the built package through the npm
 * workspace link; tslab cannot compile `.ts` files outside the notebook's own folder.
 */
export * from "./errors";
export * from "./paths";
export * from "./io";
export * from "./corpus";
export * from "./random/mt19937";
export * from "./text/python-regex";
export * from "./text/treebank";
export * from "./pipeline/rows";
export * from "./pipeline/clean";
export * from "./pipeline/preprocess";
export * from "./pipeline/iob";
export * from "./pipeline/mask";
export * from "./pipeline/augment";
export * from "./pipeline/split";
export * from "./pipeline/study-pipeline";
export * from "./pipeline/leakage";
export * from "./pipeline/variants";
export * from "./jupyter";
export * from "./pipeline/reference";
export * from "./viz";
export * from "./eda";
export * from "./metrics";
export * from "./benchmark";
export * from "./experiment";
export * from "./backend";
export * from "./bert";
export * from "./train";
export * from "./re";
export * from "./pos";
export * from "./stats";
export * from "./progress";
