/**
 * The corpus, the study's rows and split, and exploring them.
 *
 * @example
 *   const corpus = await ade.data.loadCorpus();               // downloads once, or reads ADE_CORPUS_DIR
 *   const study = ade.data.runStudyPipeline(corpus, 0);        // 6,507 rows -> 12,951 NER and RE rows, split
 *   study.split.train.length;                                   // 10,360
 *   ade.data.treebankTokenize("Ototoxicity from azithromycin."); // NLTK's Treebank tokens
 */
export * from "../corpus";
export * from "../pipeline";
export * from "../text/python-regex";
export * from "../text/treebank";
export * from "../random/mt19937";
export * from "../random/rng";
export * from "../eda";
