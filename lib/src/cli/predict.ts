import { initBackend } from "../backend";
import { AdeflowError } from "../errors";
import { nerModelDir } from "../experiment/ner/task";
import { AdePredictor } from "../experiment/e2e/predictor";
import { currentProfile } from "../experiment/shared/profile";
import { reModelDir } from "../experiment/re/task";
import type { Command } from "./command";

export const predictCommand: Command = {
  path: ["predict"],
  summary: "drugs, effects (character offsets) and drug -> effect relations in a text, as JSON",
  usage: 'adeflow predict --text "..." [--ner DIR --re DIR]',
  async run(flags) {
    const text = flags.values.get("text") ?? flags.positional.join(" ");
    if (!text.trim()) throw new AdeflowError('predict needs a text: adeflow predict --text "..."');
    // the models trained by notebooks 04 and 05 under the current ADEFLOW_PROFILE / ADEFLOW_MODEL, unless given
    const profile = currentProfile();
    const backend = await initBackend();
    const predictor = await AdePredictor.load(flags.values.get("ner") ?? nerModelDir(profile), flags.values.get("re") ?? reModelDir(profile));
    const extraction = predictor.extract(text);
    process.stdout.write(JSON.stringify({ ...extraction, backend: backend.name, models: { ner: predictor.ner.info.baseModel, re: predictor.re.info.baseModel } }, null, 2) + "\n");
  },
};
