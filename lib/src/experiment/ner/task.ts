import * as tf from "@tensorflow/tfjs";
import type { BackendInfo } from "../../backend";
import type { LoadedBert } from "../../bert/checkpoint";
import { NER_LABELS } from "../../pipeline/rows";
import type { StudyPipelineOutput } from "../../pipeline/study-pipeline";
import { TokenClassifier } from "../../bert/token-classifier";
import { encodeNerRows, type NerExample } from "./data";
import type { NerEvaluation } from "./evaluate";
import { REPORTED } from "../shared/reported";
import { prepareTask } from "../shared/task";
import { scoresOf, type MetricRow } from "../report/run-record";
import { loadTaskModel, saveTaskModel, taskModelDir, type StoredModelInfo } from "../shared/model-store";
import { currentProfile, type Profile } from "../shared/profile";
import type { SplitData, SplitName } from "../shared/splits";
import type { LocalBert } from "../shared/local-bert";
import { exportedClassifier, isHfFolder, loadExportedNer } from "../export/import";

/** Everything a NER run starts from: settings, backend, base model, the study's rows and split. */
export interface NerSetup {
  profile: Profile;
  backend: BackendInfo;
  bert: LoadedBert;
  pipeline: StudyPipelineOutput;
  train: NerExample[];
  val: NerExample[];
  test: NerExample[];
  /** The split the rows come from (its frames, and its parts' row indices before sampling). */
  data: SplitData;
  /** The corpus-made base model of a `local` profile. */
  localBert?: LocalBert;
}

/** NER rows of the study's split (default) or of the leak-free one, sampled and encoded for the profile. */
export async function prepareNer(profile: Profile = currentProfile(), split: SplitName = "study"): Promise<NerSetup> {
  return prepareTask(
    profile,
    (data, indices, tokenizer) => encodeNerRows(data.ner, indices, tokenizer, profile.maxLength),
    split,
  );
}

/**
 * BertForTokenClassification: the encoder plus dropout and a linear layer over the five labels, seeded. When the
 * base model is itself a token classifier with the study's labels (an exported NER model given as `ADEFLOW_MODEL`),
 * training goes on from its classifier too; a token classifier with other labels is refused (import.ts).
 */
export function createNerModel(
  setup: Pick<NerSetup, "bert" | "profile">,
  log: (line: string) => void = (line) => console.log(line),
): TokenClassifier {
  const model = new TokenClassifier(setup.bert.encoder, NER_LABELS.length, setup.profile.seed);
  let head: ReturnType<typeof exportedClassifier>;
  try {
    head = exportedClassifier(setup.bert);
  } catch (err) {
    model.dispose();
    throw err;
  }
  if (head) {
    const { weight, bias, file } = head;
    tf.tidy(() => {
      model.weight.assign(tf.tensor2d(weight.data, weight.shape as [number, number]));
      model.bias.assign(tf.tensor1d(bias.data));
    });
    log(`NER classifier from ${file} (labels ${NER_LABELS.join(", ")}), the encoder from its bert.* tensors`);
  }
  return model;
}

export function nerModelDir(profile: Profile): string {
  return taskModelDir(profile.name, profile.model, "ner");
}

/** Save a trained NER model (to `dir`, by default the profile's `ner` folder). */
export async function saveNerModel(
  setup: NerSetup,
  model: TokenClassifier,
  training: Record<string, unknown>,
  dir?: string,
): Promise<string> {
  return await saveTaskModel(
    "ner",
    setup,
    model.params(),
    [...NER_LABELS],
    { split: setup.data?.name ?? "study", ...training },
    dir,
  );
}

/** A trained NER model back from `models/`, or from a Hugging Face folder (an export), ready to predict. */
export async function loadNerModel(
  dir: string,
): Promise<{ model: TokenClassifier; bert: LoadedBert; info: StoredModelInfo }> {
  if (isHfFolder(dir)) return loadExportedNer(dir);
  return loadTaskModel(dir, (bert, info) => new TokenClassifier(bert.encoder, info.labels.length, 0));
}

/** The metric rows of a NER run: the study's token-level macro scores and the field's entity-level ones. */
export function nerMetricRows(evaluations: Record<string, NerEvaluation>): MetricRow[] {
  return Object.entries(evaluations).flatMap(([split, ev]) => [
    {
      model: "NER",
      split,
      metric: "token macro (study)",
      ...scoresOf(ev.token.macro),
      reported_f1: split === "test" ? REPORTED.ner.f1 : null,
    },
    { model: "NER", split, metric: "entity micro, strict (field)", ...scoresOf(ev.entity.micro), reported_f1: null },
    { model: "NER", split, metric: "entity macro, strict (field)", ...scoresOf(ev.entity.macro), reported_f1: null },
  ]);
}
