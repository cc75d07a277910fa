/**
 * Word-aligned BERT tokenization as in the study: every whitespace-separated word is
 * tokenized on its own by the checkpoint's WordPiece tokenizer (loaded with
 * `AutoTokenizer` of @huggingface/transformers from a local folder), its label is copied to
 * all its sub-tokens, the sequence is `[CLS] pieces [SEP]`, then truncated to `maxLength`
 * (the study truncates the token list including [CLS], so a long sentence loses its [SEP]:
 * reproduced here) or padded with [PAD]. Label -100 on [CLS], [SEP] and padding.
 */
import { readJsonFile } from "../io";
import * as fs from "node:fs";
import * as path from "node:path";
import { AdeflowError } from "../errors";

export const IGNORE_INDEX = -100;

/** One encoded sequence (all arrays have length maxLength). */
export interface AlignedSequence {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  /** Word label per sub-token, -100 on specials and padding (all -100 when no labels given). */
  labels: Int32Array;
  /** Index of the whitespace word each position belongs to; -1 on specials and padding. */
  wordIndex: Int32Array;
  /** Word-piece strings of the real (non-pad) positions. */
  tokens: string[];
  /** Number of non-pad positions. */
  length: number;
  /** True when the sentence did not fit (pieces were dropped). */
  truncated: boolean;
}

/** A batch flattened row-major, ready for `tf.tensor2d(x, [batch, seqLen], "int32")`. */
export interface AlignedBatch {
  batch: number;
  seqLen: number;
  /** The length of the sequences' own arrays (maxLength): where a batch cut shorter draws its dropout masks. */
  paddedLength?: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  labels: Int32Array;
  wordIndex: Int32Array;
  sequences: AlignedSequence[];
}

/** Minimal view of a transformers.js tokenizer that we rely on. */
interface HfTokenizer {
  encode(text: string, opts?: { add_special_tokens?: boolean }): number[];
  get_vocab(): Map<string, number> | Record<string, number>;
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/u).filter((w) => w.length > 0);
}

export class WordAlignedTokenizer {
  private readonly cache = new Map<string, number[]>();
  private readonly idToToken: string[];
  private tokenToId: Map<string, number> | undefined;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly unkId: number;

  constructor(
    private readonly hf: HfTokenizer,
    readonly source: string,
  ) {
    const vocab = hf.get_vocab();
    const entries: [string, number][] = vocab instanceof Map ? [...vocab] : Object.entries(vocab);
    this.idToToken = [];
    for (const [t, i] of entries) this.idToToken[i] = t;
    const need = (t: string) => {
      const e = entries.find(([s]) => s === t);
      if (!e) throw new AdeflowError(`${source}: tokenizer has no ${t} token`);
      return e[1];
    };
    this.clsId = need("[CLS]");
    this.sepId = need("[SEP]");
    this.padId = need("[PAD]");
    this.unkId = need("[UNK]");
  }

  /** Load tokenizer.json/tokenizer_config.json (or vocab.txt) from a local checkpoint folder. */
  static async fromDirectory(dir: string): Promise<WordAlignedTokenizer> {
    const abs = path.resolve(dir);
    if (!fs.existsSync(path.join(abs, "tokenizer.json")) && !fs.existsSync(path.join(abs, "vocab.txt"))) {
      throw new AdeflowError(`${abs}: no tokenizer.json or vocab.txt in the model folder`);
    }
    const tr = await import("@huggingface/transformers");
    if (!fs.existsSync(path.join(abs, "tokenizer.json"))) {
      // Only vocab.txt: wrap it as a BertTokenizerFast tokenizer.json in memory.
      const { makeTokenizerJson, makeTokenizerConfig, normalizationOf } = await import("./wordpiece.js");
      const vocab = fs
        .readFileSync(path.join(abs, "vocab.txt"), "utf8")
        .split("\n")
        .filter((l) => l.length > 0);
      const cfgFile = path.join(abs, "tokenizer_config.json");
      const cfg = (
        fs.existsSync(cfgFile) ? readJsonFile(cfgFile, "tokenizer configuration") : makeTokenizerConfig()
      ) as Record<string, unknown>;
      // the config's do_lower_case / strip_accents decide the normaliser, as in transformers' BertTokenizer
      const hf = new tr.PreTrainedTokenizer(
        makeTokenizerJson(vocab, normalizationOf(cfg)),
        cfg,
      ) as unknown as HfTokenizer;
      return new WordAlignedTokenizer(hf, abs);
    }
    const prevRemote = tr.env.allowRemoteModels;
    const prevLocal = tr.env.allowLocalModels;
    try {
      tr.env.allowRemoteModels = false;
      tr.env.allowLocalModels = true;
      const hf = (await tr.AutoTokenizer.from_pretrained(abs, { local_files_only: true })) as unknown as HfTokenizer;
      return new WordAlignedTokenizer(hf, abs);
    } catch (e) {
      throw new AdeflowError(`${abs}: cannot load the tokenizer (${(e as Error).message})`);
    } finally {
      tr.env.allowRemoteModels = prevRemote;
      tr.env.allowLocalModels = prevLocal;
    }
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  token(id: number): string {
    return this.idToToken[id] ?? "[UNK]";
  }

  /** The id of a vocabulary token (a piece as the vocabulary writes it, `##ing`, `[unused0]`), if it has one. */
  idOf(token: string): number | undefined {
    if (!this.tokenToId) this.tokenToId = new Map(this.idToToken.map((t, i) => [t, i]));
    return this.tokenToId.get(token);
  }

  /**
   * Sub-token ids of one word (memoised). A word the tokenizer reduces to nothing (only
   * control or zero-width characters) yields no sub-token and so no position, exactly as the
   * study's `tokenizer.tokenize(word)` loop does; its word index is then absent from
   * `wordIndex`.
   */
  wordIds(word: string): number[] {
    let ids = this.cache.get(word);
    if (!ids) {
      ids = this.hf.encode(word, { add_special_tokens: false });
      this.cache.set(word, ids);
    }
    return ids;
  }

  /**
   * Encode pre-split words (labels optional, one per word). `fixed` gives some whole words ids of their own,
   * instead of what the tokenizer makes of them (the relation model's masks on an uncased vocabulary, re/mask-ids.ts).
   */
  encodeWords(
    words: string[],
    labels: number[] | undefined,
    maxLength: number,
    fixed?: ReadonlyMap<string, readonly number[]>,
  ): AlignedSequence {
    if (labels && labels.length !== words.length) {
      throw new AdeflowError(`${words.length} words but ${labels.length} labels`);
    }
    if (maxLength < 2) throw new AdeflowError(`max length must be at least 2, got ${maxLength}`);
    const ids: number[] = [this.clsId];
    const lab: number[] = [IGNORE_INDEX];
    const widx: number[] = [-1];
    words.forEach((w, i) => {
      for (const id of fixed?.get(w) ?? this.wordIds(w)) {
        ids.push(id);
        lab.push(labels ? labels[i] : IGNORE_INDEX);
        widx.push(i);
      }
    });
    ids.push(this.sepId);
    lab.push(IGNORE_INDEX);
    widx.push(-1);
    const truncated = ids.length > maxLength;
    const n = Math.min(ids.length, maxLength);
    const seq: AlignedSequence = {
      inputIds: new Int32Array(maxLength).fill(this.padId),
      attentionMask: new Int32Array(maxLength),
      labels: new Int32Array(maxLength).fill(IGNORE_INDEX),
      wordIndex: new Int32Array(maxLength).fill(-1),
      tokens: [],
      length: n,
      truncated,
    };
    for (let i = 0; i < n; i++) {
      seq.inputIds[i] = ids[i];
      seq.attentionMask[i] = 1;
      seq.labels[i] = lab[i];
      seq.wordIndex[i] = widx[i];
      seq.tokens.push(this.token(ids[i]));
    }
    return seq;
  }

  encodeText(text: string, maxLength: number): AlignedSequence {
    return this.encodeWords(splitWords(text), undefined, maxLength);
  }

  /** Encode several (words, labels) items into one padded batch. */
  encodeBatch(items: { words: string[]; labels?: number[] }[], maxLength: number): AlignedBatch {
    const sequences = items.map((it) => this.encodeWords(it.words, it.labels, maxLength));
    return stackSequences(sequences, maxLength);
  }
}

/**
 * Stack sequences into one batch of `seqLen` positions. A `seqLen` shorter than the sequences' arrays keeps
 * their first `seqLen` positions, which is exact as long as it is at least the longest `length` of the batch
 * (see `longestLength`): what is cut is padding, which attention masks out and the loss ignores.
 */
export function stackSequences(sequences: AlignedSequence[], seqLen: number): AlignedBatch {
  for (const s of sequences) {
    if (s.length > seqLen)
      throw new RangeError(`a sequence of ${s.length} positions does not fit a batch of ${seqLen}`);
  }
  const B = sequences.length;
  const out: AlignedBatch = {
    batch: B,
    seqLen,
    paddedLength: Math.max(seqLen, ...sequences.map((s) => s.inputIds.length)),
    inputIds: new Int32Array(B * seqLen),
    attentionMask: new Int32Array(B * seqLen),
    labels: new Int32Array(B * seqLen),
    wordIndex: new Int32Array(B * seqLen),
    sequences,
  };
  sequences.forEach((s, b) => {
    const at = b * seqLen;
    const n = Math.min(seqLen, s.inputIds.length);
    out.inputIds.set(s.inputIds.subarray(0, n), at);
    out.attentionMask.set(s.attentionMask.subarray(0, n), at);
    out.labels.set(s.labels.subarray(0, n), at);
    out.wordIndex.set(s.wordIndex.subarray(0, n), at);
    // positions past a shorter array are padding
    if (n < seqLen) {
      out.labels.fill(IGNORE_INDEX, at + n, at + seqLen);
      out.wordIndex.fill(-1, at + n, at + seqLen);
    }
  });
  return out;
}

/** The longest real length of some sequences (at least 1): the batch size of a bucketed batch. */
export function longestLength(sequences: readonly AlignedSequence[]): number {
  return Math.max(1, ...sequences.map((s) => s.length));
}
