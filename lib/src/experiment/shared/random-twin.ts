/**
 * A pretrained checkpoint's untrained twin: the same config and tokenizer, the weights drawn fresh with BERT's own
 * initialisation (N(0, 0.02) matrices and embeddings, unit LayerNorm gains, zero biases), seeded. Fine-tuned as the
 * pretrained model is, it measures what the pretraining on real text gives (notebook 04), since nothing else
 * differs: not the size, not the vocabulary, not the recipe.
 *
 * Written once as a Hugging Face folder under `data/random-twins/<name>-<hash>-seed<seed>/` (config.json,
 * model.safetensors, the tokenizer files) and read back from there; the base model's content hash in the name
 * makes another base a new twin.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { modelContentHash, type LoadedBert } from "../../bert/checkpoint";
import { BertEncoder } from "../../bert/encoder";
import { hubName } from "../../bert/weights";
import { writeFolderAtomic } from "../../io/folder";
import { serializeSafetensors, type TensorMap } from "../../io/safetensors";
import { dataDir } from "../../paths";

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"];

export const randomTwinsDir = (): string => path.join(dataDir(), "random-twins");

/** The folder of `base`'s random twin for `seed`, written when it is not there yet. */
export function ensureRandomTwin(base: Pick<LoadedBert, "model" | "config">, seed: number): string {
  const hash = modelContentHash(base.model.dir).slice(0, 12);
  const name = path.basename(base.model.dir).replace(/[^A-Za-z0-9._-]+/g, "_");
  const dir = path.join(randomTwinsDir(), `${name}-${hash}-seed${seed}`);
  if (fs.existsSync(path.join(dir, "model.safetensors"))) return dir;
  const tensors: TensorMap = new Map();
  for (const [canonical, t] of BertEncoder.randomTensors(base.config, seed)) tensors.set(hubName(canonical), t);
  const files = new Map<string, string | Uint8Array>();
  files.set("config.json", fs.readFileSync(path.join(base.model.dir, "config.json")));
  files.set(
    "model.safetensors",
    serializeSafetensors(tensors, { format: "pt", adeflow: `random twin of ${hash}, seed ${seed}` }),
  );
  for (const f of TOKENIZER_FILES) {
    const file = path.join(base.model.dir, f);
    if (fs.existsSync(file)) files.set(f, fs.readFileSync(file));
  }
  writeFolderAtomic(dir, files);
  return dir;
}
