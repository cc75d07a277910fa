/**
 * The tables of notebooks 04 and 05: the model next to the baselines that learn only a list, on the study's split
 * and on the leak-free split, and (in the `local` profile) the same fine-tuning from three starting points: the
 * pretrained checkpoint, the same network's random weights and a BERT pretrained on the corpus alone. Every arm is
 * trained exactly as the notebook's main model (fitStudy with the profile), each with its own checkpoint folder,
 * and scored with the same functions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadBert } from "../../bert/checkpoint";
import { NER_LABELS } from "../../pipeline/rows";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { fitStudy, predictSequences, type StudyFitResult, type TrainableTokenModel } from "../../train/fit";
import type { TokenClassifier } from "../../bert/token-classifier";
import type { RelationModel } from "../../re/model";
import { evaluateEndToEnd } from "../e2e/evaluate";
import { AdePredictor } from "../e2e/predictor";
import { evaluateNer, type NerEvaluation } from "../ner/evaluate";
import { createNerModel, nerModelDir, prepareNer, saveNerModel, type NerSetup } from "../ner/task";
import { RE_CLASSES } from "../re/data";
import { createReModel, evaluateRe, reModelDir, saveReModel, type ReEvaluation, type ReSetup } from "../re/task";
import type { Profile } from "../shared/profile";
import { splitData } from "../shared/splits";
import { takeRows } from "../shared/task";
import { ensureRandomTwin } from "../shared/random-twin";
import { LOCAL_MODEL } from "../shared/profile";
import {
  buildEntityDictionary,
  cooccurrenceReLabels,
  dictionaryNerPredictions,
  evaluateBaselineEndToEnd,
  piecesFromWordLabels,
  reWordSentences,
} from "./baselines";

export type SystemScoreRow = {
  split: string;
  system: string;
  /** The study's token-level macro F1 (null where a system has no token labels). */
  token_macro_f1: number | null;
  /** NER: entity-level strict F1 (micro); RE: relation-level strict F1 with the gold masks. */
  strict_f1: number;
  strict_macro_f1?: number;
  train_rows: number;
  test_rows: number;
};

type Log = (line: string) => void;

/** What differs between fine-tuning NER and RE for a comparison arm: the model, its classes, scoring, saving. */
interface ArmTask<S extends NerSetup | ReSetup, M extends TrainableTokenModel & { dispose(): void }, E> {
  create(setup: S): M;
  numClasses: number;
  evaluate(test: S["test"], predictions: Int32Array[]): E;
  save(setup: S, model: M, training: Record<string, unknown>, dir: string): Promise<unknown>;
}

const NER_ARM: ArmTask<NerSetup, TokenClassifier, NerEvaluation> = {
  create: createNerModel,
  numClasses: NER_LABELS.length,
  evaluate: evaluateNer,
  save: saveNerModel,
};
const RE_ARM: ArmTask<ReSetup, RelationModel, ReEvaluation> = {
  create: (setup) => createReModel(setup),
  numClasses: RE_CLASSES,
  evaluate: evaluateRe,
  save: saveReModel,
};

/**
 * Fine-tune a model on a setup as its notebook does (fitStudy with the profile), score its test rows, and save
 * it to `folder` when asked (checkpoints go to `<folder>/checkpoints`, so an interrupted run resumes).
 */
async function trainAndScore<S extends NerSetup | ReSetup, M extends TrainableTokenModel & { dispose(): void }, E>(
  task: ArmTask<S, M, E>,
  setup: S,
  folder: string,
  options: { log?: Log; save?: boolean },
): Promise<{ evaluation: E; fit: StudyFitResult }> {
  const { log } = options;
  const model = task.create(setup);
  try {
    const fit = await fitStudy(
      model,
      setup.train.map((e) => e.sequence),
      setup.val.map((e) => e.sequence),
      { profile: setup.profile, numClasses: task.numClasses, log, checkpointDir: path.join(folder, "checkpoints") },
    );
    const predictions = await predictSequences(
      model,
      setup.test.map((e) => e.sequence),
      setup.profile,
      { log, label: "predicting" },
    );
    const evaluation = task.evaluate(setup.test, predictions);
    if (options.save)
      await task.save(
        setup,
        model,
        { history: fit.history, class_weights: fit.classWeights, seconds: fit.seconds },
        folder,
      );
    return { evaluation, fit };
  } finally {
    model.dispose();
  }
}

/** Fine-tune a NER model on a setup as notebook 04 does and score its test rows (see `trainAndScore`). */
export const trainAndScoreNer = (
  setup: NerSetup,
  folder: string,
  options: { log?: Log; save?: boolean } = {},
): Promise<{ evaluation: NerEvaluation; fit: StudyFitResult }> => trainAndScore(NER_ARM, setup, folder, options);

/** Fine-tune an RE model on a setup as notebook 05 does and score its test rows (see `trainAndScore`). */
export const trainAndScoreRe = (
  setup: ReSetup,
  folder: string,
  options: { log?: Log; save?: boolean } = {},
): Promise<{ evaluation: ReEvaluation; fit: StudyFitResult }> => trainAndScore(RE_ARM, setup, folder, options);

/** Where the models trained on the leak-free split are kept (beside the profile's own `ner` and `re`). */
export const leakFreeModelDir = (profile: Profile, task: "ner" | "re"): string =>
  path.join(task === "ner" ? nerModelDir(profile) : reModelDir(profile), "..", `${task}-leak-free`);

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

/**
 * The co-occurrence baseline of an RE setup on its gold masks: given the sentence boundaries of the joined rows
 * (the default), or without them (`boundaries: false`: the whole row is one sentence, every mask pair number 1),
 * which is what the model is given.
 */
export function cooccurrenceReEvaluation(setup: ReSetup, options: { boundaries?: boolean } = {}): ReEvaluation {
  const boundaries = options.boundaries ?? true;
  const predictions = setup.test.map((ex) =>
    piecesFromWordLabels(
      ex.sequence,
      cooccurrenceReLabels(
        ex.words,
        boundaries
          ? reWordSentences(setup.data.preprocessed, setup.data.re[ex.row], ex.row)
          : new Array<number>(ex.words.length).fill(0),
      ),
    ),
  );
  return evaluateRe(setup.test, predictions);
}

/** The name of the co-occurrence row that is not given the boundaries. */
export const COOCCURRENCE_WITHOUT_BOUNDARIES = "co-occurrence, row as one sentence";

export interface NerComparison {
  rows: SystemScoreRow[];
  /** Entity-level strict F1 on the leak-free split: the model minus the dictionary. */
  leakFreeMargin: number;
  conclusion: string;
  /**
   * The lesson on pretraining (leak-free split): the model, then the same fine-tuning from the same network's random
   * weights and from a BERT pretrained on the corpus alone; empty when the profile does not run it.
   */
  initialisations: SystemScoreRow[];
  /** What pretraining gave, in a sentence computed from `initialisations` (or why there is nothing to compare). */
  pretraining: string;
}

/** The systems of notebook 04's lesson on pretraining: one network, three starting points. */
export const INITIALISATION_ARMS = {
  random: "same network, random weights (no pretraining)",
  corpus: "small BERT pretrained on the corpus alone (MLM)",
} as const;

/**
 * Notebook 04's table: the dictionary and the model on the study's split (the model already trained), the same
 * two on the leak-free split (a model trained there), and, where the profile asks for the lesson on pretraining,
 * the same fine-tuning on the leak-free split from the same network's random weights and from a BERT pretrained on
 * the corpus alone.
 */
export async function nerComparison(
  study: NerSetup,
  studyModel: NerEvaluation,
  options: { log?: Log; prepare: (split: "leak-free") => Promise<NerSetup> },
): Promise<NerComparison> {
  const log = options.log;
  const rows: SystemScoreRow[] = [
    nerRow("study", "dictionary", dictionaryNerEvaluation(study), study),
    nerRow("study", "model", studyModel, study),
  ];
  const initialisations: SystemScoreRow[] = [];
  const leakFree = await options.prepare("leak-free");
  try {
    rows.push(nerRow("leak-free", "dictionary", dictionaryNerEvaluation(leakFree), leakFree));
    const { evaluation } = await trainAndScoreNer(leakFree, leakFreeModelDir(study.profile, "ner"), {
      log,
      save: true,
    });
    rows.push(nerRow("leak-free", "model", evaluation, leakFree));
    const arms = await initialisationArms(leakFree, log);
    if (arms.length) initialisations.push(rows[rows.length - 1], ...arms);
  } finally {
    leakFree.bert.encoder.dispose();
  }
  const dict = rows.find((r) => r.split === "leak-free" && r.system === "dictionary")!.strict_f1;
  const model = rows.find((r) => r.split === "leak-free" && r.system === "model")!.strict_f1;
  return {
    rows,
    leakFreeMargin: model - dict,
    conclusion: marginSentence("NER model", "dictionary", "entity-level strict F1", model, dict),
    initialisations,
    pretraining: pretrainingEffect(initialisations, study.bert.model.reference),
  };
}

/**
 * The lesson's arms on a (leak-free) setup, each trained exactly as its main model: the same network from random
 * weights (its random twin: the same config and tokenizer, so the encoded rows are shared), and a small BERT built
 * and MLM-pretrained on the corpus alone (its own vocabulary: the rows are encoded again). None when the profile
 * does not ask for them; the corpus BERT is left out when it is itself the main model.
 */
async function initialisationArms(setup: NerSetup, log?: Log): Promise<SystemScoreRow[]> {
  const lesson = setup.profile.initialisations;
  if (!lesson) return [];
  const rows: SystemScoreRow[] = [];
  const armDir = (name: string) => path.join(leakFreeModelDir(setup.profile, "ner"), "..", `ner-leak-free-${name}`);
  if (lesson.randomWeights) {
    const bert = await loadBert(ensureRandomTwin(setup.bert, setup.profile.seed));
    try {
      const twin: NerSetup = { ...setup, bert };
      const { evaluation } = await trainAndScoreNer(twin, armDir("random-weights"), { log });
      rows.push(nerRow("leak-free", INITIALISATION_ARMS.random, evaluation, twin));
    } finally {
      bert.encoder.dispose();
    }
  }
  if (lesson.corpusBert && setup.profile.model !== LOCAL_MODEL) {
    const profile: Profile = {
      ...setup.profile,
      model: LOCAL_MODEL,
      localBert: { ...lesson.corpusBert, initialisation: "pretrained" },
    };
    const corpus = await prepareNer(profile, "leak-free");
    try {
      const { evaluation } = await trainAndScoreNer(corpus, armDir("corpus-bert"), { log });
      rows.push(nerRow("leak-free", INITIALISATION_ARMS.corpus, evaluation, corpus));
    } finally {
      corpus.bert.encoder.dispose();
    }
  }
  return rows;
}

export interface ReComparison {
  rows: SystemScoreRow[];
  conclusion: string;
}

/** Notebook 05's table: co-occurrence and the model, on the study's split and on the leak-free one. */
export async function reComparison(
  study: ReSetup,
  studyModel: ReEvaluation,
  options: { log?: Log; prepare: (split: "leak-free") => Promise<ReSetup> },
): Promise<ReComparison> {
  const rows: SystemScoreRow[] = [
    reRow("study", "co-occurrence", cooccurrenceReEvaluation(study), study),
    reRow("study", COOCCURRENCE_WITHOUT_BOUNDARIES, cooccurrenceReEvaluation(study, { boundaries: false }), study),
    reRow("study", "model", studyModel, study),
  ];
  const leakFree = await options.prepare("leak-free");
  try {
    rows.push(reRow("leak-free", "co-occurrence", cooccurrenceReEvaluation(leakFree), leakFree));
    rows.push(
      reRow(
        "leak-free",
        COOCCURRENCE_WITHOUT_BOUNDARIES,
        cooccurrenceReEvaluation(leakFree, { boundaries: false }),
        leakFree,
      ),
    );
    const { evaluation } = await trainAndScoreRe(leakFree, leakFreeModelDir(study.profile, "re"), {
      log: options.log,
      save: true,
    });
    rows.push(reRow("leak-free", "model", evaluation, leakFree));
  } finally {
    leakFree.bert.encoder.dispose();
  }
  const leakFreeF1 = (system: string) => rows.find((r) => r.split === "leak-free" && r.system === system)!.strict_f1;
  const model = leakFreeF1("model");
  const metric = "relation-level strict F1 (gold masks)";
  return {
    rows,
    conclusion:
      marginSentence("RE model", "co-occurrence baseline", metric, model, leakFreeF1("co-occurrence")) +
      " That baseline is given the sentence boundaries of the joined rows, which the model is not; without them " +
      "(every mask of a row paired): " +
      marginSentence("RE model", "baseline", metric, model, leakFreeF1(COOCCURRENCE_WITHOUT_BOUNDARIES)).replace(
        /^On the leak-free split the /,
        "the ",
      ),
  };
}

/** A sentence stating, from the numbers, whether the model beats the baseline on the leak-free split. */
export function marginSentence(
  model: string,
  baseline: string,
  metric: string,
  modelScore: number,
  baselineScore: number,
): string {
  const d = modelScore - baselineScore;
  const f = (x: number) => x.toFixed(3);
  if (d > 0)
    return `On the leak-free split the ${model} beats the ${baseline}: ${metric} ${f(modelScore)} against ${f(baselineScore)} (+${f(d)}).`;
  if (d === 0)
    return `On the leak-free split the ${model} only ties the ${baseline}: ${metric} ${f(modelScore)} for both.`;
  return `On the leak-free split the ${model} does NOT beat the ${baseline}: ${metric} ${f(modelScore)} against ${f(baselineScore)} (${f(d)}).`;
}

/**
 * What pretraining gave, from the lesson's rows on the leak-free split: the model fine-tuned from the pretrained
 * checkpoint `base` against the same network from random weights and against a BERT pretrained on the corpus alone.
 */
export function pretrainingEffect(rows: readonly SystemScoreRow[], base: string): string {
  const at = (system: string) => rows.find((r) => r.split === "leak-free" && r.system === system);
  const main = at("model");
  const random = at(INITIALISATION_ARMS.random);
  const corpus = at(INITIALISATION_ARMS.corpus);
  if (!main || (!random && !corpus))
    return "No comparison of starting points in this profile (ADEFLOW_PROFILE=local runs it).";
  const f = (x: number) => x.toFixed(3);
  const d = (a: number, b: number) => `${a - b >= 0 ? "+" : ""}${f(a - b)}`;
  const parts = [
    `entity-level strict F1 on the leak-free split ${f(main.strict_f1)} from ${base}'s pretrained weights`,
  ];
  if (random)
    parts.push(
      `${f(random.strict_f1)} from the same network's random weights (${d(main.strict_f1, random.strict_f1)})`,
    );
  if (corpus)
    parts.push(
      `${f(corpus.strict_f1)} from a small BERT pretrained on the corpus alone (${d(main.strict_f1, corpus.strict_f1)})`,
    );
  const others = [random, corpus].filter((r): r is SystemScoreRow => r !== undefined);
  const best = Math.max(...others.map((r) => r.strict_f1));
  const verdict =
    main.strict_f1 > best
      ? "Pretraining on real text is what this model's score rests on"
      : main.strict_f1 === best
        ? "Pretraining on real text made no difference here"
        : "Pretraining on real text did not help here";
  const corpusVsRandom =
    random && corpus
      ? ` Pretraining on the corpus alone ${corpus.strict_f1 > random.strict_f1 ? "beats" : "does not beat"} no pretraining at all (${d(corpus.strict_f1, random.strict_f1)}).`
      : "";
  return `${verdict}: ${parts.join("; ")}.${corpusVsRandom}`;
}

export interface EndToEndComparison {
  rows: SystemScoreRow[];
  /** Splits whose trained models were not found (their model rows are missing). */
  missing: string[];
}

/**
 * Notebook 06's table: dictionary NER + co-occurrence, against the two trained models chained, on the test rows
 * of the study's split and of the leak-free one (whose models notebooks 04 and 05 train and save).
 */
export async function endToEndComparison(
  profile: Profile,
  pipeline: StudyPipelineOutput,
  studyPredictor: AdePredictor,
): Promise<EndToEndComparison> {
  const rows: SystemScoreRow[] = [];
  const missing: string[] = [];
  for (const name of ["study", "leak-free"] as const) {
    const data = splitData(pipeline, name);
    const train = takeRows(data.split.train, profile.maxRows.train);
    const test = takeRows(data.split.test, profile.maxRows.test);
    const dictionary = buildEntityDictionary(train.map((r) => data.ner[r]));
    const base = evaluateBaselineEndToEnd(dictionary, data, test);
    rows.push({
      split: name,
      system: "dictionary + co-occurrence",
      token_macro_f1: null,
      strict_f1: base.relation.f1,
      train_rows: train.length,
      test_rows: test.length,
    });
    let predictor: AdePredictor | undefined = name === "study" ? studyPredictor : undefined;
    if (!predictor) {
      const [nerDir, reDir] = [leakFreeModelDir(profile, "ner"), leakFreeModelDir(profile, "re")];
      if (fs.existsSync(path.join(nerDir, "model.json")) && fs.existsSync(path.join(reDir, "model.json")))
        predictor = await AdePredictor.load(nerDir, reDir);
    }
    if (!predictor) {
      missing.push(name);
      continue;
    }
    const e2e = await evaluateEndToEnd(predictor, data, test);
    rows.push({
      split: name,
      system: "NER model -> RE model",
      token_macro_f1: e2e.token.macro.f1,
      strict_f1: e2e.relation.f1,
      train_rows: train.length,
      test_rows: test.length,
    });
    if (predictor !== studyPredictor) {
      predictor.ner.bert.encoder.dispose();
      predictor.re.bert.encoder.dispose();
    }
  }
  return { rows, missing };
}
