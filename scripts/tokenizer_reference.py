#!/usr/bin/env python3
"""Reference for word-by-word tokenization with an uncased checkpoint: all-MiniLM-L6-v2's WordPiece ids of
every word of the corpus, by Hugging Face transformers, for lib/test/bert-tokenizer-minilm.test.ts to compare
with the TypeScript tokenizer (transformers.js's AutoTokenizer on tokenizer.json, and adeflow's own
tokenizer.json made from vocab.txt + tokenizer_config.json).

The words: every whitespace word (Python's str.split()) of the DRUG-AE.rel and ADE-NEG.txt sentences, raw,
after the study's cleaning (lib/src/pipeline/clean.ts, written here with Python's re as the study wrote it)
and after lower-casing that (the RE rows), plus the mask words DRUG and EFFECT. The word list itself is not
written (the corpus is not ours to copy): only its size, a SHA-256 over all (word, ids) pairs in one order,
and one per bucket (the first byte of the word's SHA-256), so that a failing test names the bucket and a
bucket's words can be listed on both sides. A few dozen tricky words (accents, other scripts, punctuation,
numbers, very long words, mixed case; made up here, not the corpus's) are written out with their ids.

Three Python tokenizers give the ids, and the file says whether they agree: `BertTokenizer` (transformers 5:
the Rust `tokenizers` backend) from the folder's tokenizer.json; the same class built from vocab.txt with the
folder's tokenizer_config.json; and `BertTokenizerLegacy`, the pure-Python WordPiece of earlier releases.

Needs the model folder: node -e 'require("./lib/dist/src/bert").resolveModel("sentence-transformers/all-MiniLM-L6-v2")'
(after npm run build) puts it in the models cache, which this script reads by default (--model DIR otherwise).
Run with the project's environment: "$(node scripts/reference-env.js)" scripts/tokenizer_reference.py
"""
import argparse
import hashlib
import json
import os
import re
import sys

import tokenizers
import transformers
from transformers import BertTokenizer
from transformers.models.bert import BertTokenizerLegacy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(
    ROOT, "node_modules", "@huggingface", "transformers", ".cache", "sentence-transformers", "all-MiniLM-L6-v2"
)
OUT = os.path.join(ROOT, "lib", "test", "fixtures", "tokenizer-reference", "minilm.json")

# The study's cleaning (lib/src/pipeline/clean.ts is its port to JavaScript).
PUNCTUATION = re.compile(r"('s\b)|(?!(?:\b\w+\b|\d+(?:\.\d+)?|[a-zA-Z]=\d+(?:\.\d+)?))([^\w\s'.=]|(?<!\d)\.(?!\d))")


def clean(s):
    t = PUNCTUATION.sub(" ", s)
    t = t.replace("'", "")
    t = re.sub(r"\.\s*$", "", t)
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r"(\b\w)\s*=\s*", r"\1=", t)
    return t


# Made up to reach the corners of BERT's normaliser and WordPiece; none is a corpus sentence.
TRICKY = [
    "Sjögren's", "Ménière", "naïve", "CAFÉ", "e\u0301clair", "Å", "İstanbul", "ı", "ß", "ẞ", "ǅ", "ΟΔΟΣ",
    "β-blocker", "α2-agonist", "µg/kg", "°C", "≥5", "±0.5", "5‐fluorouracil", "drug–drug", "—",
    "’s", "“quoted”", "中文", "𠀀", "💊", "ﬁbrosis", "soft\u00adhyphen", "zero\u200bwidth", "\ufeffbom",
    "(n=12)", "...", "''", "x=1.2", "0.5mg/kg/day", "2x10(9)/L", "1,000", "10^6", "-", "N-acetyl-p-benzoquinone",
    "a" * 100, "a" * 101, "pneumonoultramicroscopicsilicovolcanoconiosis" * 2, "McCune-Albright", "HbA1c", "mRNA",
    "IgG4", "DRUG", "EFFECT",
]


def corpus_sentences(corpus):
    sentences = []
    with open(os.path.join(corpus, "DRUG-AE.rel"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                sentences.append(line.strip().split("|")[1])
    with open(os.path.join(corpus, "ADE-NEG.txt"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                sentences.append(" ".join(line.strip().split(" ")[2:]))
    return sentences


def word_sets(sentences):
    raw, cleaned, lowered = set(), set(), set()
    for s in sentences:
        raw.update(s.split())
        c = clean(s.strip())
        cleaned.update(c.split())
        lowered.update(c.lower().split())
    return raw, cleaned, lowered


def utf8_key(w):
    return w.encode("utf-8")


def bucket(w):
    return hashlib.sha256(w.encode("utf-8")).digest()[0]


def pair_line(w, ids):
    return f"{w}\t{' '.join(map(str, ids))}\n".encode("utf-8")


def digests(words, ids_of):
    """SHA-256 over every pair in UTF-8 byte order of the words, and the first 16 hex digits per bucket."""
    whole = hashlib.sha256()
    buckets = [hashlib.sha256() for _ in range(256)]
    unk = 0
    pieces = 0
    for w in sorted(words, key=utf8_key):
        ids = ids_of[w]
        line = pair_line(w, ids)
        whole.update(line)
        buckets[bucket(w)].update(line)
        unk += 100 in ids
        pieces += len(ids)
    return {
        "sha256": whole.hexdigest(),
        "buckets": [b.hexdigest()[:16] for b in buckets],
        "words_with_unk": unk,
        "pieces": pieces,
    }


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument(
        "--corpus",
        default=os.environ.get("ADE_CORPUS_DIR") or os.path.join(ROOT, "..", "shared", "data", "ade-corpus-v2"),
    )
    args = ap.parse_args()
    with open(os.path.join(args.model, "tokenizer_config.json")) as f:
        tok_cfg = json.load(f)

    fast = BertTokenizer.from_pretrained(args.model)
    from_vocab = BertTokenizer(
        vocab=os.path.join(args.model, "vocab.txt"),
        do_lower_case=tok_cfg.get("do_lower_case", True),
        strip_accents=tok_cfg.get("strip_accents"),
        tokenize_chinese_chars=tok_cfg.get("tokenize_chinese_chars", True),
    )
    legacy = BertTokenizerLegacy.from_pretrained(args.model)

    sentences = corpus_sentences(args.corpus)
    raw, cleaned, lowered = word_sets(sentences)
    words = raw | cleaned | lowered | {"DRUG", "EFFECT"}

    def ids_fast(w):
        return fast.encode(w, add_special_tokens=False)

    def ids_vocab(w):
        return from_vocab.encode(w, add_special_tokens=False)

    def ids_legacy(w):
        return legacy.convert_tokens_to_ids(legacy.tokenize(w))

    results = {}
    for name, fn in (("tokenizer.json", ids_fast), ("vocab.txt", ids_vocab), ("legacy", ids_legacy)):
        ids_of = {w: fn(w) for w in words}
        results[name] = (ids_of, digests(words, ids_of))
    ref_ids = results["tokenizer.json"][0]
    disagreements = {
        name: sorted((w for w in words if results[name][0][w] != ref_ids[w]), key=utf8_key)
        for name in ("vocab.txt", "legacy")
    }

    tricky = []
    for w in TRICKY:
        entry = {"word": w, "ids": ids_fast(w)}
        for name, fn in (("vocab_txt", ids_vocab), ("legacy", ids_legacy)):
            if fn(w) != entry["ids"]:
                entry[name] = fn(w)
        tricky.append(entry)

    out = {
        "note": "generated by scripts/tokenizer_reference.py: the WordPiece ids of every whitespace word of the "
        "corpus (raw, cleaned as the study cleans, and lower-cased) for all-MiniLM-L6-v2, by transformers; "
        "pairs 'word<TAB>ids joined by spaces<LF>' in UTF-8 byte order of the words; bucket = first byte of "
        "sha256(word), digest = first 16 hex digits of sha256 over the bucket's pairs",
        "transformers_version": transformers.__version__,
        "tokenizers_version": tokenizers.__version__,
        "model": {
            "id": "sentence-transformers/all-MiniLM-L6-v2",
            "vocab_sha256": sha256_file(os.path.join(args.model, "vocab.txt")),
            "tokenizer_json_sha256": sha256_file(os.path.join(args.model, "tokenizer.json")),
            "do_lower_case": tok_cfg.get("do_lower_case"),
        },
        "corpus": {
            "DRUG-AE.rel": sha256_file(os.path.join(args.corpus, "DRUG-AE.rel")),
            "ADE-NEG.txt": sha256_file(os.path.join(args.corpus, "ADE-NEG.txt")),
            "sentences": len(sentences),
        },
        "words": {
            "raw": len(raw),
            "cleaned": len(cleaned),
            "cleaned_lowercased": len(lowered),
            "all": len(words),
        },
        "tokenizers": {name: d for name, (_, d) in results.items()},
        "python_disagreements": {name: len(ws) for name, ws in disagreements.items()},
        "tricky": tricky,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(OUT + ".tmp", OUT)
    print(
        f"wrote {OUT}: {len(words)} distinct words ({len(raw)} raw, {len(cleaned)} cleaned, {len(lowered)} lower-cased), "
        f"vocab.txt disagrees on {len(disagreements['vocab.txt'])}, legacy on {len(disagreements['legacy'])}",
        file=sys.stderr,
    )
    for name, ws in disagreements.items():
        for w in ws[:20]:
            print(f"  {name}: {w!r}: {results[name][0][w]} vs tokenizer.json {ref_ids[w]}", file=sys.stderr)


if __name__ == "__main__":
    main()
