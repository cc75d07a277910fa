/**
 * The tables of notebooks 04 and 05: the model next to the baselines that learn only a list, on the study's split
 * and on the leak-free split, and (in the `local` profile) the same fine-tuning from the pretrained and from the
 * random initialisation. Every arm is trained exactly as the notebook's main model (fitStudy with the profile),
 * each with its own checkpoint folder, and scored with the same functions.
 */
import * as path from "node:path";
import { loadBert, type LoadedBert } from "../bert/checkpoint";
import { loadCorpus } from "../corpus/load";
import { NER_LABELS } from "../pipeline/rows";
import { buildEntityDictionary, cooccurrenceReLabels, dictionaryNerPredictions, piecesFromWordLabels, reWordSentences } from "./baselines";
import { evaluateNer, type NerEvaluation } from "./evaluate";
import { fitStudy, predictSequences, type StudyFitResult } from "./fit";
import { createNerModel, localBaseModel, nerModelDir, type NerSetup } from "./ner";
import { createReModel, evaluateRe, reModelDir, type ReEvaluation, type ReSetup } from "./re";
import { RE_CLASSES } from "./re-data";

export interface SystemScoreRow {
  split: string;
  system: string;
  token_macro_f1: number;
  /** NER: entity-level strict F1 (micro); RE: relation-level strict F1 with the gold masks. */
  strict_f1: number;
  strict_macro_f1?: number;
  train_rows: number;
  test_rows: number;
}

type Log = (line: string) => void;

/** Fine-tune a NER model on a setup as notebook 04 does and score its test rows. */
export function trainAndScoreNer(setup: NerSetup, checkpointDir: string, log?: Log): { evaluation: NerEvaluation; fit: StudyFitResult } {
  const model = createNerModel(setup);
  try {
    const fit = fitStudy(model, setup.train.map((e) => e.sequence), setup.val.map((e) => e.sequence), { profile: setup.profile, numClasses: NER_LABELS.length, log, checkpointDir });
    const evaluation = evaluateNer(setup.test, predictSequences(model, setup.test.map((e) => e.sequence), setup.profile, { log, label: "predicting" }));
    return { evaluation, fit };
  } finally {
    model.dispose();
  }
}

export function trainAndScoreRe(setup: ReSetup, checkpointDir: string, log?: Log): { evaluation: ReEvaluation; fit: StudyFitResult } {
  const model = createReModel(setup);
  try {
    const fit = fitStudy(model, setup.train.map((e) => e.sequence), setup.val.map((e) => e.sequence), { profile: setup.profile, numClasses: RE_CLASSES, log, checkpointDir });
    const evaluation = evaluateRe(setup.test, predictSequences(model, setup.test.map((e) => e.sequence), setup.profile, { log, label: "predicting" }));
    return { evaluation, fit };
  } finally {
    model.dispose();
  }
}

const nerRow = (split: string, system: string, ev: NerEvaluation, setup: NerSetup): SystemScoreRow => ({
  split,
  system,
  token_macro_f1: ev.token.macro.f1,
  strict_f1: ev.entity.micro.f1,
  strict_macro_f1: ev.entity.macro.f1,
  train_rows: setup.train.length,
  test_rows: setup.test.length,
});

const reRow = (split: string, system: string, ev: ReEvaluation, setup: ReSetup): SystemScoreRow => ({
  split,
  system,
  token_macro_f1: ev.token.macro.f1,
  strict_f1: ev.relation.f1,
  train_rows: setup.train.length,
  test_rows: setup.test.length,
});

/** The dictionary baseline of a NER setup: the strings of its training rows, matched in its test rows. */
export function dictionaryNerEvaluation(setup: NerSetup): NerEvaluation {
  const dictionary = buildEntityDictionary(setup.train.map((e) => setup.data.ner[e.row]));
  return evaluateNer(setup.test, dictionaryNerPredictions(dictionary, setup.test));
}

/** The co-occurrence baseline of an RE setup on its gold masks. */
export function cooccurrenceReEvaluation(setup: ReSetup): ReEvaluation {
  const predictions = setup.test.map((ex) => piecesFromWordLabels(ex.sequence, cooccurrenceReLabels(ex.words, reWordSentences(setup.data.preprocessed, setup.data.re[ex.row], ex.row))));
  return evaluateRe(setup.test, predictions);
}

export interface NerComparison {
  rows: SystemScoreRow[];
  /** Entity-level strict F1 on the leak-free split: the model minus the dictionary. */
  leakFreeMargin: number;
  conclusion: string;
}

/**
 * Notebook 04's table: the dictionary and the model on the study's split (the model already trained), the same
 * two on the leak-free split (a model trained there), and for a corpus-made BERT the random-initialisation arm.
 */
export async function nerComparison(study: NerSetup, studyModel: NerEvaluation, options: { log?: Log; prepare: (split: "leak-free") => Promise<NerSetup> }): Promise<NerComparison> {
  const log = options.log;
  const rows: SystemScoreRow[] = [nerRow("study", "dictionary", dictionaryNerEvaluation(study), study), nerRow("study", "model", studyModel, study)];
  if (study.localBert && study.profile.localBert?.compareRandomInit) {
    const pipeline = study.pipeline;
    const random = await localBaseModel(study.profile, await loadCorpus(), pipeline, "random", (line) => log?.(line));
    const bert: LoadedBert = await loadBert(random!.dir);
    try {
      const randomSetup: NerSetup = { ...study, bert };
      const { evaluation } = trainAndScoreNer(randomSetup, path.join(nerModelDir(study.profile), "..", "ner-random-init", "checkpoints"), log);
      rows.push(nerRow("study", "model, random initialisation (no pretraining)", evaluation, randomSetup));
    } finally {
      bert.encoder.dispose();
    }
  }
  const leakFree = await options.prepare("leak-free");
  try {
    rows.push(nerRow("leak-free", "dictionary", dictionaryNerEvaluation(leakFree), leakFree));
    const { evaluation } = trainAndScoreNer(leakFree, path.join(nerModelDir(study.profile), "..", "ner-leak-free", "checkpoints"), log);
    rows.push(nerRow("leak-free", "model", evaluation, leakFree));
  } finally {
    leakFree.bert.encoder.dispose();
  }
  const dict = rows.find((r) => r.split === "leak-free" && r.system === "dictionary")!.strict_f1;
  const model = rows.find((r) => r.split === "leak-free" && r.system === "model")!.strict_f1;
  return { rows, leakFreeMargin: model - dict, conclusion: marginSentence("NER model", "dictionary", "entity-level strict F1", model, dict) };
}

export interface ReComparison {
  rows: SystemScoreRow[];
  conclusion: string;
}

/** Notebook 05's table: co-occurrence and the model, on the study's split and on the leak-free one. */
export async function reComparison(study: ReSetup, studyModel: ReEvaluation, options: { log?: Log; prepare: (split: "leak-free") => Promise<ReSetup> }): Promise<ReComparison> {
  const rows: SystemScoreRow[] = [reRow("study", "co-occurrence", cooccurrenceReEvaluation(study), study), reRow("study", "model", studyModel, study)];
  const leakFree = await options.prepare("leak-free");
  try {
    rows.push(reRow("leak-free", "co-occurrence", cooccurrenceReEvaluation(leakFree), leakFree));
    const { evaluation } = trainAndScoreRe(leakFree, path.join(reModelDir(study.profile), "..", "re-leak-free", "checkpoints"), options.log);
    rows.push(reRow("leak-free", "model", evaluation, leakFree));
  } finally {
    leakFree.bert.encoder.dispose();
  }
  const co = rows.find((r) => r.split === "leak-free" && r.system === "co-occurrence")!.strict_f1;
  const model = rows.find((r) => r.split === "leak-free" && r.system === "model")!.strict_f1;
  return { rows, conclusion: marginSentence("RE model", "co-occurrence baseline", "relation-level strict F1 (gold masks)", model, co) };
}

/** A sentence stating, from the numbers, whether the model beats the baseline on the leak-free split. */
export function marginSentence(model: string, baseline: string, metric: string, modelScore: number, baselineScore: number): string {
  const d = modelScore - baselineScore;
  const f = (x: number) => x.toFixed(3);
  if (d > 0) return `On the leak-free split the ${model} beats the ${baseline}: ${metric} ${f(modelScore)} against ${f(baselineScore)} (+${f(d)}).`;
  if (d === 0) return `On the leak-free split the ${model} only ties the ${baseline}: ${metric} ${f(modelScore)} for both.`;
  return `On the leak-free split the ${model} does NOT beat the ${baseline}: ${metric} ${f(modelScore)} against ${f(baselineScore)} (${f(d)}).`;
}
