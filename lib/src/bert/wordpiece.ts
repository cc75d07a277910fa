/**
 * Deterministic construction of a small cased WordPiece vocabulary from raw sentences and of a
 * BertTokenizerFast-compatible `tokenizer.json`, for the tiny test checkpoint.
 *
 * The vocabulary is not trained with the WordPiece likelihood objective; it is
 * specials + every character seen (as a word start and as `##` continuation) + the most
 * frequent whole words + the most frequent word endings (`##` pieces of 2-5 characters),
 * ties broken by string order. That is enough for a realistic mix of whole-word and
 * multi-piece tokens, which is what the tests need.
 */

export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

function isPunct(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /\p{P}/u.test(ch);
}

/** BERT basic pre-tokenization (cased): split on whitespace, then isolate punctuation. */
export function basicPretokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/u)) {
    let cur = "";
    for (const ch of word) {
      if (isPunct(ch)) {
        if (cur) out.push(cur);
        out.push(ch);
        cur = "";
      } else cur += ch;
    }
    if (cur) out.push(cur);
  }
  return out;
}

const byCountThenName = (a: [string, number], b: [string, number]) =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export interface VocabOptions {
  /** Number of whole words to add (default 2000). */
  words?: number;
  /** Number of `##` ending pieces to add (default 800). */
  suffixes?: number;
}

export function buildWordPieceVocab(sentences: Iterable<string>, opts: VocabOptions = {}): string[] {
  const wordCounts = new Map<string, number>();
  for (const s of sentences) {
    for (const w of basicPretokenize(s.normalize("NFC"))) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }
  const chars = new Set<string>();
  const suffixCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) {
    const cs = [...w];
    for (const ch of cs) chars.add(ch);
    for (let len = 2; len <= 5 && len < cs.length; len++) {
      const suf = "##" + cs.slice(cs.length - len).join("");
      suffixCounts.set(suf, (suffixCounts.get(suf) ?? 0) + c);
    }
  }
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocab);
  const add = (t: string) => {
    if (!seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };
  const sortedChars = [...chars].sort();
  for (const ch of sortedChars) add(ch);
  for (const ch of sortedChars) add("##" + ch);
  for (const [w] of [...wordCounts]
    .filter(([w]) => [...w].length > 1)
    .sort(byCountThenName)
    .slice(0, opts.words ?? 2000))
    add(w);
  for (const [s] of [...suffixCounts].sort(byCountThenName).slice(0, opts.suffixes ?? 800)) add(s);
  return vocab;
}

/** How a BERT tokenizer normalises text, as tokenizer_config.json says (`do_lower_case`, `strip_accents`, ...). */
export interface BertNormalization {
  lowercase?: boolean;
  /** null: strip accents exactly when lower-casing (what BERT's uncased models were trained with). */
  stripAccents?: boolean | null;
  handleChineseChars?: boolean;
}

/**
 * The normalisation a tokenizer_config.json asks for, read as transformers' `BertTokenizer` reads it, defaults
 * included: `do_lower_case` (default true), `strip_accents` (null: follows lower-casing),
 * `tokenize_chinese_chars` (default true). A folder without a config gets `makeTokenizerConfig()`'s, cased.
 */
export function normalizationOf(config: Record<string, unknown>): BertNormalization {
  return {
    lowercase: config.do_lower_case !== false,
    stripAccents: typeof config.strip_accents === "boolean" ? config.strip_accents : null,
    handleChineseChars: config.tokenize_chinese_chars !== false,
  };
}

/**
 * `tokenizer.json` as written by BertTokenizerFast (tokenizers library): cased unless `normalization` says
 * otherwise (an uncased checkpoint's tokenizer_config.json has `do_lower_case: true`; ignoring it would give
 * [UNK] or other pieces for every capital letter).
 */
export function makeTokenizerJson(vocab: string[], normalization: BertNormalization = {}): object {
  const id = (t: string) => vocab.indexOf(t);
  const vocabObj: Record<string, number> = {};
  vocab.forEach((t, i) => (vocabObj[t] = i));
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: normalization.handleChineseChars ?? true,
      strip_accents: normalization.stripAccents ?? null,
      lowercase: normalization.lowercase ?? false,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(["[CLS]", "[SEP]"].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: vocabObj,
    },
  };
}

export function makeTokenizerConfig(maxLength = 512): object {
  return {
    tokenizer_class: "BertTokenizer",
    do_lower_case: false,
    do_basic_tokenize: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    model_max_length: maxLength,
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    mask_token: "[MASK]",
    clean_up_tokenization_spaces: true,
  };
}
