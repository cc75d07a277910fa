import { initBackend } from "../backend";
import { describeAdapter } from "../webgpu";
import { nerModelDir } from "../experiment/ner/task";
import { AdePredictor } from "../experiment/e2e/predictor";
import { currentProfile } from "../experiment/shared/profile";
import { reModelDir } from "../experiment/re/task";
import { UsageError, type Command } from "./command";

export const predictCommand: Command = {
  path: ["predict"],
  summary:
    "drugs, effects (offsets in code points, texts of any length) and drug -> effect relations in a text, as JSON",
  positionals: "TEXT",
  flags: {
    text: { type: "string", value: "TEXT", description: "the text (or give it as positional words)" },
    ner: {
      type: "string",
      value: "DIR",
      description: "trained NER model folder, or its export (adeflow export) (default: the current profile's)",
    },
    re: {
      type: "string",
      value: "DIR",
      description: "trained RE model folder, or its export (adeflow export) (default: the current profile's)",
    },
  },
  async run(flags) {
    const text = flags.values.get("text") ?? flags.positional.join(" ");
    if (!text.trim()) throw new UsageError('predict needs a text: adeflow predict --text "..."');
    // the models trained by notebooks 04 and 05 under the current ADEFLOW_PROFILE / ADEFLOW_MODEL, unless given
    const profile = currentProfile();
    const backend = await initBackend();
    const predictor = await AdePredictor.load(
      flags.values.get("ner") ?? nerModelDir(profile),
      flags.values.get("re") ?? reModelDir(profile),
    );
    const extraction = await predictor.extract(text);
    process.stdout.write(
      JSON.stringify(
        {
          ...extraction,
          backend: backend.name,
          ...(backend.adapter ? { adapter: describeAdapter(backend.adapter) } : {}),
          models: { ner: predictor.ner.info.baseModel, re: predictor.re.info.baseModel },
        },
        null,
        2,
      ) + "\n",
    );
  },
};
