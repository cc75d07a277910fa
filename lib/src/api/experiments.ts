/**
 * The study's experiments, each a few calls: profiles, NER, RE, the end-to-end chain, the POS ablation, the field's
 * benchmark (SpERT's folds), and the records every result carries; plus where a notebook's results go.
 *
 * @example
 *   const profile = ade.experiments.currentProfile();          // ADEFLOW_PROFILE: full, quick or smoke
 *   const setup = await ade.experiments.prepareNer(profile);
 *   const model = ade.experiments.createNerModel(setup);
 *   const dir = ade.experiments.notebookResultsDir("04-ner");
 */
export * from "../experiment";
export * from "../benchmark";
export * from "../jupyter/context";
export { writeJsonAtomic, writeFileAtomic, writeJsonlAtomic } from "../io/atomic";
