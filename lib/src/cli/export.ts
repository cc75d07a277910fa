/**
 * `adeflow export --task ner|re [--model-dir DIR] --out DIR`: a trained model as a Hugging Face folder
 * (experiment/export/). By default the model `adeflow predict` would use: the current profile's (ADEFLOW_PROFILE,
 * ADEFLOW_MODEL) under the models folder.
 */
import { initBackend } from "../backend";
import { exportTrainedModel } from "../experiment/export/export";
import { nerModelDir } from "../experiment/ner/task";
import { reModelDir } from "../experiment/re/task";
import { currentProfile } from "../experiment/shared/profile";
import { UsageError, type Command } from "./command";

export const exportCommand: Command = {
  path: ["export"],
  summary:
    "a trained NER or RE model as a Hugging Face folder: config.json, model.safetensors, tokenizer, model card (README.md)",
  flags: {
    task: { type: "string", value: "ner|re", description: "which trained model (required)" },
    "model-dir": {
      type: "string",
      value: "DIR",
      description: "the trained model's folder (default: the current profile's, as adeflow predict finds it)",
    },
    out: {
      type: "string",
      value: "DIR",
      description: "the folder to write: new, empty, or an earlier export of this tool (required)",
    },
  },
  async run(flags) {
    const task = flags.values.get("task");
    if (task === undefined) throw new UsageError("export needs --task ner or --task re");
    if (task !== "ner" && task !== "re") throw new UsageError(`--task ${task}: expected ner or re`);
    const out = flags.values.get("out");
    if (out === undefined) throw new UsageError("export needs --out DIR, the folder to write");
    const modelDir =
      flags.values.get("model-dir") ?? (task === "ner" ? nerModelDir(currentProfile()) : reModelDir(currentProfile()));
    await initBackend();
    const exported = await exportTrainedModel(task, modelDir, out);
    process.stdout.write(
      JSON.stringify({ task, model_dir: modelDir, out: exported.dir, files: exported.files }, null, 2) + "\n",
    );
    process.stderr.write(exported.summary + "\n");
  },
};
