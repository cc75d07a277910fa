import { relationScores, type Prf, type Relation } from "../../metrics/entity";
import { confusionMatrix, tokenScores, type TokenScores } from "../../metrics/token";
import type { BackendInfo } from "../../backend";
import type { LoadedBert } from "../../bert/checkpoint";
import { DRUG_MASK, EFFECT_MASK, type ReRow } from "../../pipeline/rows";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { RelationModel } from "../../re/model";
import { readRelations, type MaskedForRe } from "../e2e/chain";
import { firstPieceLabels, scoredPositions } from "../shared/pieces";
import { REPORTED } from "../shared/reported";
import { loadTaskModel, saveTaskModel, taskModelDir, type StoredModelInfo } from "../shared/model-store";
import { prepareTask } from "../shared/task";
import { currentProfile, reTaskProfile, type Profile } from "../shared/profile";
import { encodeReRows, RE_CLASSES, type ReExample } from "./data";
import { scoresOf, type MetricRow } from "../report/run-record";
import type { SplitData, SplitName } from "../shared/splits";
import type { LocalBert } from "../shared/local-bert";
import { isHfFolder, loadExportedRe } from "../export/import";

/** Everything an RE run starts from. */
export interface ReSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  pipeline: StudyPipelineOutput;
  train: ReExample[];
  val: ReExample[];
  test: ReExample[];
  data: SplitData;
  localBert?: LocalBert;
}

/** RE rows of the study's split (default) or of the leak-free one, sampled and encoded for the profile. */
export async function prepareRe(profile: Profile = currentProfile(), split: SplitName = "study"): Promise<ReSetup> {
  // the RE model's own epochs where the profile sets them: train with `setup.profile`
  const reProfile = reTaskProfile(profile);
  return prepareTask(
    reProfile,
    (data, indices, tokenizer) => encodeReRows(data.re, indices, tokenizer, reProfile.maxLength),
    split,
  );
}

/**
 * BERT + four hidden states + dropout 0.4 + BiLSTM(128) + flatten + 384 + 640 + GELU, seeded; with `pos`, the
 * POS-embedding variant of notebook 07.
 */
export function createReModel(
  setup: Pick<ReSetup, "bert" | "profile">,
  pos?: { embeddingSize: number; vocabSize: number },
): RelationModel {
  return new RelationModel(setup.bert.encoder, {
    seed: setup.profile.seed,
    seqLen: setup.profile.maxLength,
    numClasses: RE_CLASSES,
    posEmbeddingSize: pos?.embeddingSize ?? 0,
    posVocabSize: pos?.vocabSize,
  });
}

export interface ReEvaluation {
  /** The study's metric over scored sub-token positions (association classes 0..4). */
  token: TokenScores;
  /** Relation-level strict scores with the gold masks: a pair counts when the same two masks share a number. */
  relation: Prf;
  confusion: number[][];
  words: { row: number; words: string[]; gold: number[]; predicted: number[]; errors: number }[];
}

/** The gold masks of an RE row as entities (one word each), for reading relations off labels. */
export function goldMasks(words: readonly string[]): MaskedForRe {
  return {
    words: [...words],
    entityAt: words.map((w, i) =>
      w === DRUG_MASK
        ? { type: "Drug", start: i, end: i }
        : w === EFFECT_MASK
          ? { type: "Effect", start: i, end: i }
          : undefined,
    ),
  };
}

export function evaluateRe(examples: readonly ReExample[], predictions: readonly Int32Array[]): ReEvaluation {
  const { yTrue, yPred } = scoredPositions(
    examples.map((ex) => ex.sequence),
    predictions,
  );
  const goldRel: Relation[][] = [];
  const predRel: Relation[][] = [];
  const words = examples.map((ex, i) => {
    const predicted = firstPieceLabels(ex.sequence, predictions[i], ex.words.length);
    const masks = goldMasks(ex.words);
    goldRel.push(readRelations(masks, ex.labels));
    predRel.push(readRelations(masks, predicted));
    return {
      row: ex.row,
      words: ex.words,
      gold: ex.labels,
      predicted,
      errors: predicted.filter((l, k) => l !== ex.labels[k]).length,
    };
  });
  return {
    token: tokenScores(yTrue, yPred),
    relation: relationScores(goldRel, predRel),
    confusion: confusionMatrix(yTrue, yPred, RE_CLASSES, "true"),
    words,
  };
}

/** Relation-level scores of the RE rows that join the same number of sentences. */
export type ReSentenceCountRow = {
  sentences: number;
  rows: number;
  gold_relations: number;
  precision: number;
  recall: number;
  f1: number;
};

/**
 * The relation-level scores of an evaluation, split by how many sentences each row joins (the study's augmentation
 * concatenates up to four; `rows` are the RE rows the evaluation's `row` numbers index). In a joined row the pair
 * number is the sentence's place in the row, and the cleaned text keeps no full stop between sentences: the model
 * must find the boundaries that co-occurrence is given.
 */
export function reScoresBySentences(
  evaluation: ReEvaluation,
  rows: readonly Pick<ReRow, "parts">[],
): ReSentenceCountRow[] {
  const groups = new Map<number, { gold: Relation[][]; predicted: Relation[][] }>();
  for (const w of evaluation.words) {
    const row = rows[w.row];
    if (!row) throw new RangeError(`RE row ${w.row} is not among the ${rows.length} rows given`);
    const k = row.parts.length;
    const g = groups.get(k) ?? { gold: [], predicted: [] };
    const masks = goldMasks(w.words);
    g.gold.push(readRelations(masks, w.gold));
    g.predicted.push(readRelations(masks, w.predicted));
    groups.set(k, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([sentences, g]) => {
      const { precision, recall, f1 } = relationScores(g.gold, g.predicted);
      return {
        sentences,
        rows: g.gold.length,
        gold_relations: g.gold.reduce((n, r) => n + r.length, 0),
        precision,
        recall,
        f1,
      };
    });
}

/** What the split by sentences shows, in one sentence computed from the rows of `reScoresBySentences`. */
export function reSentencesConclusion(rows: readonly ReSentenceCountRow[]): string {
  const scored = rows.filter((r) => r.gold_relations > 0);
  if (scored.length < 2)
    return "Too few kinds of rows to compare: every scored row joins the same number of sentences.";
  const [first, last] = [scored[0], scored[scored.length - 1]];
  const total = scored.reduce((n, r) => n + r.gold_relations, 0);
  const joined = scored.filter((r) => r.sentences > 1).reduce((n, r) => n + r.gold_relations, 0);
  const pct = Math.round((100 * joined) / total);
  const trend =
    last.f1 < first.f1
      ? `Relation F1 falls as rows join more sentences: ${first.f1.toFixed(3)} in rows of ${first.sentences}, ${last.f1.toFixed(3)} in rows of ${last.sentences}.`
      : `Relation F1 does not fall as rows join more sentences: ${first.f1.toFixed(3)} in rows of ${first.sentences}, ${last.f1.toFixed(3)} in rows of ${last.sentences}.`;
  return (
    `${trend} ${pct} % of the gold relations are in rows that join sentences, where a pair's number is its sentence's ` +
    `place in the row and the cleaned text keeps no full stop between sentences: the model must find the boundaries ` +
    `that the co-occurrence baseline is given.`
  );
}

export function reMetricRows(evaluations: Record<string, ReEvaluation>): MetricRow[] {
  return Object.entries(evaluations).flatMap(([split, ev]) => [
    {
      model: "RE",
      split,
      metric: "token macro (study)",
      ...scoresOf(ev.token.macro),
      reported_f1: split === "test" ? REPORTED.re.f1 : null,
    },
    { model: "RE", split, metric: "relation strict, gold masks (field)", ...scoresOf(ev.relation), reported_f1: null },
  ]);
}

export function reModelDir(profile: Profile): string {
  return taskModelDir(profile.name, profile.model, "re");
}

export async function saveReModel(
  setup: ReSetup,
  model: RelationModel,
  training: Record<string, unknown>,
  dir?: string,
): Promise<string> {
  const labels = Array.from({ length: RE_CLASSES }, (_, k) => String(k));
  const pos =
    model.head.posEmbeddingSize > 0
      ? { pos_embedding_size: model.head.posEmbeddingSize, pos_vocab_size: model.head.posVocabSize }
      : {};
  // the head's sizes, so that a head of any size loads back (models saved before this record the study's)
  const head: StoredReHead = {
    lstm_units: model.head.lstmUnits,
    dense_units: model.head.denseUnits,
    dropout: model.head.dropout,
    max_length: model.head.seqLen,
  };
  return await saveTaskModel(
    "re",
    setup,
    model.params(),
    labels,
    { split: setup.data?.name ?? "study", layers: [...model.layers], head, ...pos, ...training },
    dir,
  );
}

/** The RE head's sizes as `model.json` records them. */
export type StoredReHead = { lstm_units: number; dense_units: number; dropout: number; max_length: number };

/** A trained RE model back from `models/`, or from an exported folder, ready to predict. */
export async function loadReModel(
  dir: string,
): Promise<{ model: RelationModel; bert: LoadedBert; info: StoredModelInfo }> {
  if (isHfFolder(dir)) return loadExportedRe(dir);
  return loadTaskModel(dir, (bert, info) => {
    const profile = info.profile as { max_length?: number };
    const head = info.head as Partial<StoredReHead> | undefined;
    return new RelationModel(bert.encoder, {
      layers: info.layers as number[] | undefined,
      seqLen: head?.max_length ?? profile.max_length ?? 128,
      numClasses: info.labels.length,
      lstmUnits: head?.lstm_units,
      denseUnits: head?.dense_units,
      dropout: head?.dropout,
      posEmbeddingSize: (info.pos_embedding_size as number | undefined) ?? 0,
      posVocabSize: info.pos_vocab_size as number | undefined,
    });
  });
}
