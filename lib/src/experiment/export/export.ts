/**
 * A trained model as a Hugging Face folder: `config.json`, `model.safetensors` (F32, PyTorch's names), the base
 * model's tokenizer files, a model card (`README.md`) and adeflow's manifest of what it wrote. The folder is
 * written whole (io/folder.ts): a reader finds the previous export or the new one, never a mix, and a target that
 * holds anything but this tool's own earlier export is refused first (guard.ts).
 *
 * @example
 *   const saved = await ade.experiments.saveNerModel(setup, model, { history: fit.history });
 *   const hf = await ade.experiments.exportNerModel({ model, bert: setup.bert, info: ade.experiments.readModelInfo(saved) }, `${saved}-hf`);
 *   // Python: AutoModelForTokenClassification.from_pretrained(hf.dir)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LoadedBert } from "../../bert/checkpoint";
import type { TokenClassifier } from "../../bert/token-classifier";
import { AdeflowError } from "../../errors";
import { readJsonFile } from "../../io/atomic";
import { writeFolderAtomic } from "../../io/folder";
import { serializeSafetensors } from "../../io/safetensors";
import { repoRoot, resultsDir } from "../../paths";
import type { RelationModel } from "../../re/model";
import { loadNerModel } from "../ner/task";
import { loadReModel } from "../re/task";
import type { StoredModelInfo } from "../shared/model-store";
import { baseModelLicence, modelCard } from "./card";
import { sha256 } from "../../corpus/locate";
import { EXPORT_MANIFEST, checkExportTarget, type ExportManifest } from "./guard";
import { nerHfConfig, reHfConfig, relationHeadConfig } from "./hf-config";
import { nerHubTensors, reHubTensors } from "./hf-tensors";
import { readRunScores } from "./run-scores";

/** The base model's tokenizer files an export carries, when the base has them. */
export const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"];

/** The notebook whose results hold a task's scores. */
const NOTEBOOK = { ner: "04-ner", re: "05-re" } as const;

export interface Trained<M> {
  model: M;
  /** The base checkpoint the model was built on (its config and tokenizer files go into the export). */
  bert: LoadedBert;
  info: StoredModelInfo;
}

export interface ExportOptions {
  /** Where the run's result files are (default: the project's results folder, `ADEFLOW_RESULTS_DIR`). */
  resultsDir?: string;
}

export interface ExportedModel {
  task: "ner" | "re";
  dir: string;
  /** The files written, by name. */
  files: string[];
  /** One line: what was written where. */
  summary: string;
}

/** The PyTorch module of an RE export's card (a real Python file, so the reference script can run the card's code). */
export const RELATION_MODULE_FILE = (): string => path.join(repoRoot(), "lib", "python", "ade_relation_model.py");

function baseConfig(bert: LoadedBert): Record<string, unknown> {
  const file = path.join(bert.model.dir, "config.json");
  const raw = readJsonFile<unknown>(file, "base model's configuration");
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new AdeflowError(`${file}: expected a JSON object`);
  return raw as Record<string, unknown>;
}

function tokenizerFiles(bert: LoadedBert): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of TOKENIZER_FILES) {
    const file = path.join(bert.model.dir, name);
    if (fs.existsSync(file)) files.set(name, fs.readFileSync(file));
  }
  return files;
}

async function writeExport(
  task: "ner" | "re",
  out: string,
  trained: Trained<unknown>,
  config: Record<string, unknown>,
  tensors: Awaited<ReturnType<typeof nerHubTensors>>,
  card: (licence: ReturnType<typeof baseModelLicence>) => string,
): Promise<ExportedModel> {
  const dir = path.resolve(out);
  const files = new Map<string, string | Uint8Array>();
  files.set("config.json", JSON.stringify(config, null, 2) + "\n");
  // save_pretrained's metadata: transformers accepts a safetensors file only with format "pt" (or none)
  files.set("model.safetensors", serializeSafetensors(tensors, { format: "pt" }));
  for (const [name, data] of tokenizerFiles(trained.bert)) files.set(name, data);
  files.set("README.md", card(baseModelLicence(trained.info.baseModel, trained.bert.model.dir)));
  const manifest: ExportManifest = {
    tool: "adeflow",
    format: 1,
    task,
    files: Object.fromEntries([...files].map(([name, data]) => [name, sha256(data)])),
    source: trained.info,
  };
  files.set(EXPORT_MANIFEST, JSON.stringify(manifest, null, 2) + "\n");
  writeFolderAtomic(dir, files);
  const mb = ((files.get("model.safetensors") as Buffer).length / 1e6).toFixed(1);
  return {
    task,
    dir,
    files: [...files.keys()],
    summary: `${task.toUpperCase()} model exported to ${dir} (Hugging Face layout; model.safetensors ${mb} MB, ${files.size} files)`,
  };
}

/** A trained NER model as BertForTokenClassification's folder. */
export async function exportNerModel(
  trained: Trained<TokenClassifier>,
  out: string,
  options: ExportOptions = {},
): Promise<ExportedModel> {
  // refused before anything is computed or written
  checkExportTarget(path.resolve(out));
  const labels = trained.info.labels;
  if (labels.length !== trained.model.numLabels)
    throw new AdeflowError(
      `the NER model has ${trained.model.numLabels} labels but its description names ${labels.length} (${labels.join(", ")})`,
    );
  const config = nerHfConfig(baseConfig(trained.bert), labels);
  const scores = readRunScores(options.resultsDir ?? resultsDir(), NOTEBOOK.ner, trained.info);
  return writeExport("ner", out, trained, config, await nerHubTensors(trained.model), (licence) =>
    modelCard({
      task: "ner",
      info: trained.info,
      licence,
      scores,
      labels,
      layers: trained.bert.config.num_hidden_layers,
      hiddenSize: trained.bert.config.hidden_size,
    }),
  );
}

/** A trained RE model as BERT's folder plus the head's tensors, described in `config.json` and rebuilt by the card. */
export async function exportReModel(
  trained: Trained<RelationModel>,
  out: string,
  options: ExportOptions = {},
): Promise<ExportedModel> {
  checkExportTarget(path.resolve(out));
  const head = relationHeadConfig(trained.model, trained.bert.tokenizer);
  const config = reHfConfig(baseConfig(trained.bert), head);
  const scores = readRunScores(options.resultsDir ?? resultsDir(), NOTEBOOK.re, trained.info);
  const module = fs.readFileSync(RELATION_MODULE_FILE(), "utf8");
  return writeExport("re", out, trained, config, await reHubTensors(trained.model), (licence) =>
    modelCard({
      task: "re",
      info: trained.info,
      licence,
      scores,
      head,
      module,
      layers: trained.bert.config.num_hidden_layers,
      hiddenSize: trained.bert.config.hidden_size,
    }),
  );
}

/** Load a trained model from its folder (`models/<profile>-<model>/<task>`, or an export) and export it to `out`. */
export async function exportTrainedModel(
  task: "ner" | "re",
  modelDir: string,
  out: string,
  options: ExportOptions = {},
): Promise<ExportedModel> {
  if (path.resolve(out) === path.resolve(modelDir))
    throw new AdeflowError(`${out} is the trained model's own folder: export to another folder (--out)`);
  // before the model is loaded (a bert-base model takes seconds); exportNerModel/exportReModel check it again
  checkExportTarget(path.resolve(out));
  if (task === "ner") {
    const trained = await loadNerModel(modelDir);
    try {
      return await exportNerModel(trained, out, options);
    } finally {
      trained.model.dispose();
      trained.bert.encoder.dispose();
    }
  }
  const trained = await loadReModel(modelDir);
  try {
    return await exportReModel(trained, out, options);
  } finally {
    trained.model.dispose();
    trained.bert.encoder.dispose();
  }
}
