/**
 * Experiments, one folder per subject: shared/ (profiles, task setup, the study's reported figures, saved
 * models), ner/, re/, e2e/ (the chain on raw text), ablation/ (the POS embedding) and report/ (run records,
 * metric files, the last run's table), baselines/ (dictionary and co-occurrence, beside the models), export/ (trained models as Hugging Face folders, and back). They stand on the training loop (train/) and the models (bert/, re/).
 */
export * from "./shared";
export * from "./ner";
export * from "./re";
export * from "./e2e";
export * from "./baselines";
export * from "./ablation";
export * from "./report";
export * from "./export";
