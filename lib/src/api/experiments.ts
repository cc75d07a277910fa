/**
 * The study's experiments, each a few calls: profiles, NER, RE, the end-to-end chain, the POS ablation, the field's
 * benchmark (SpERT's folds), the records every result carries, and trained models exported as Hugging Face
 * folders; plus where a notebook's results go.
 *
 * @example
 *   const profile = ade.experiments.currentProfile();          // ADEFLOW_PROFILE: full, quick or smoke
 *   const setup = await ade.experiments.prepareNer(profile);
 *   const model = ade.experiments.createNerModel(setup);
 *   const dir = ade.experiments.notebookResultsDir("04-ner");
 *   // after training and saving: the model as BertForTokenClassification's folder, with a model card
 *   const saved = await ade.experiments.saveNerModel(setup, model, {});
 *   const hf = await ade.experiments.exportNerModel({ model, bert: setup.bert, info: ade.experiments.readModelInfo(saved) }, `${saved}-hf`);
 */
export * from "../experiment";
export * from "../benchmark";
export * from "../jupyter/context";
export { writeJsonAtomic, writeFileAtomic, writeJsonlAtomic } from "../io/atomic";
