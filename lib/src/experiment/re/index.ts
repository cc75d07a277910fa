/** Relation extraction as the study ran it: masked rows to association sequences (data.ts), the BERT + BiLSTM model, its storage and evaluation (task.ts). */
export * from "./data";
export * from "./task";
