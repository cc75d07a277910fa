/**
 * Frozen feature extraction with an on-disk cache.
 *
 * For each text (split into whitespace words, word-aligned tokenization, truncated/padded to
 * `maxLength`) the selected hidden states (indices into [embeddings, layer1..layerN]) of the
 * real (non-pad) positions are computed once and stored under
 * `data/cache/features/<k0k1>/<key>.safetensors`, key = sha256 of (model content hash, layer
 * selection, max length, text, format version). The file holds `hidden` [numLayers, length,
 * hidden], `input_ids` and `word_index` [length] (as F32) and the word pieces in its metadata;
 * files are written atomically (temporary file + rename), so a killed run never leaves a
 * truncated entry. A re-run with the same model/layers/length/text reads the file instead.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { readFloat32Of } from "../ops/read";
import type { LoadedBert } from "./checkpoint";
import { parseSafetensors, serializeSafetensors, type TensorMap } from "../io/safetensors";
import { writeFileAtomic } from "../io";
import { stackSequences, type AlignedSequence } from "./tokenizer";
import { repoRoot } from "../paths";
import { AdeflowError } from "../errors";
import { Progress, type ProgressMode } from "../progress";

const FORMAT_VERSION = 1;

export interface TextFeatures {
  text: string;
  tokens: string[];
  inputIds: Int32Array;
  /** Word index per position (-1 for [CLS]/[SEP]). */
  wordIndex: Int32Array;
  /** Real (non-pad) positions. */
  length: number;
  /** One Float32Array [length * hidden] per selected layer, in `layers` order. */
  hidden: Float32Array[];
  hiddenSize: number;
  fromCache: boolean;
}

export interface FeatureOptions {
  /** Hidden-state indices (0 = embeddings). The RE model uses [11, 10, 9, 8]. */
  layers: number[];
  maxLength?: number;
  /** Default: <repo>/data/cache/features. */
  cacheDir?: string;
  batchSize?: number;
  /**
   * A bar over the texts not cached yet (encoding many texts takes minutes): "auto" redraws it on stdout in
   * a terminal or a notebook and prints a line per 10 % elsewhere. Default: none.
   */
  progress?: "auto" | ProgressMode | false;
}

export class FeatureExtractor {
  readonly layers: number[];
  readonly maxLength: number;
  readonly cacheDir: string;
  readonly batchSize: number;
  readonly progress: "auto" | ProgressMode | false;
  hits = 0;
  misses = 0;

  constructor(
    readonly bert: LoadedBert,
    opts: FeatureOptions,
  ) {
    const n = bert.config.num_hidden_layers;
    for (const l of opts.layers) {
      if (!Number.isInteger(l) || l < 0 || l > n)
        throw new AdeflowError(`layer ${l} is outside 0..${n} (0 = embeddings)`);
    }
    this.layers = [...opts.layers];
    this.maxLength = opts.maxLength ?? 128;
    this.cacheDir = opts.cacheDir ?? path.join(repoRoot(), "data", "cache", "features");
    this.batchSize = opts.batchSize ?? 16;
    this.progress = opts.progress ?? false;
  }

  key(text: string): string {
    return crypto
      .createHash("sha256")
      .update(
        JSON.stringify({
          v: FORMAT_VERSION,
          model: this.bert.contentHash,
          layers: this.layers,
          maxLength: this.maxLength,
          text,
        }),
      )
      .digest("hex");
  }

  fileFor(text: string): string {
    const k = this.key(text);
    return path.join(this.cacheDir, k.slice(0, 2), `${k}.safetensors`);
  }

  private readCached(text: string): TextFeatures | undefined {
    const file = this.fileFor(text);
    if (!fs.existsSync(file)) return undefined;
    let map: TensorMap;
    let meta: { text?: string; tokens?: string[] };
    try {
      const buf = fs.readFileSync(file);
      map = parseSafetensors(buf, file);
      const hlen = Number(buf.readBigUInt64LE(0));
      meta = JSON.parse(JSON.parse(buf.subarray(8, 8 + hlen).toString("utf8")).__metadata__.json);
    } catch {
      return undefined; // unreadable entry: recompute and overwrite
    }
    if (meta.text !== text) return undefined;
    const h = map.get("hidden")!;
    const [L, n, H] = h.shape;
    return {
      text,
      tokens: meta.tokens ?? [],
      inputIds: Int32Array.from(map.get("input_ids")!.data),
      wordIndex: Int32Array.from(map.get("word_index")!.data),
      length: n,
      hidden: Array.from({ length: L }, (_, i) => h.data.slice(i * n * H, (i + 1) * n * H)),
      hiddenSize: H,
      fromCache: true,
    };
  }

  private write(f: TextFeatures): void {
    const L = this.layers.length;
    const H = f.hiddenSize;
    const all = new Float32Array(L * f.length * H);
    f.hidden.forEach((h, i) => all.set(h, i * f.length * H));
    const map: TensorMap = new Map([
      ["hidden", { shape: [L, f.length, H], data: all }],
      ["input_ids", { shape: [f.length], data: Float32Array.from(f.inputIds) }],
      ["word_index", { shape: [f.length], data: Float32Array.from(f.wordIndex) }],
    ]);
    const meta = {
      json: JSON.stringify({
        text: f.text,
        tokens: f.tokens,
        layers: this.layers,
        maxLength: this.maxLength,
        model: this.bert.model.reference,
      }),
    };
    writeFileAtomic(this.fileFor(f.text), serializeSafetensors(map, meta));
  }

  /** Features of every text, computing (in batches) only those not cached yet. */
  async extract(texts: string[]): Promise<TextFeatures[]> {
    const out: (TextFeatures | undefined)[] = texts.map((t) => this.readCached(t));
    const todo = out.map((f, i) => (f ? -1 : i)).filter((i) => i >= 0);
    this.hits += texts.length - todo.length;
    this.misses += todo.length;
    const H = this.bert.config.hidden_size;
    const bar =
      this.progress && todo.length > 0
        ? new Progress({
            total: todo.length,
            label: "features",
            unit: "texts",
            rateUnit: "text",
            mode: this.progress === "auto" ? undefined : this.progress,
          })
        : undefined;
    for (let s = 0; s < todo.length; s += this.batchSize) {
      const idx = todo.slice(s, s + this.batchSize);
      const seqs: AlignedSequence[] = idx.map((i) => this.bert.tokenizer.encodeText(texts[i], this.maxLength));
      const batch = stackSequences(seqs, this.maxLength);
      const T = this.maxLength;
      const selected = await readFloat32Of(() => {
        const ids = tf.tensor2d(batch.inputIds, [batch.batch, T], "int32");
        const mask = tf.tensor2d(batch.attentionMask, [batch.batch, T], "int32");
        const hs = this.bert.encoder.forward(ids, mask, { training: false });
        return this.layers.map((l) => hs[l]);
      });
      idx.forEach((textIdx, b) => {
        const seq = seqs[b];
        const n = seq.length;
        const f: TextFeatures = {
          text: texts[textIdx],
          tokens: seq.tokens,
          inputIds: seq.inputIds.slice(0, n),
          wordIndex: seq.wordIndex.slice(0, n),
          length: n,
          hidden: selected.map((arr) => arr.slice(b * T * H, b * T * H + n * H)),
          hiddenSize: H,
          fromCache: false,
        };
        this.write(f);
        out[textIdx] = f;
      });
      bar?.update(Math.min(s + this.batchSize, todo.length));
    }
    return out as TextFeatures[];
  }
}
