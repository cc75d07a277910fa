#!/usr/bin/env python3
"""Writes lib/test/fixtures/seqeval.json: seqeval's own entities and scores, in its default mode
(conlleval's reading: an I- without a B- still starts an entity) and in strict mode with the IOB2 scheme
(an entity is B- followed by I- of its type; a stray I- is no entity), on the cases lib/test/metrics.test.ts
works out by hand, seqeval's documented examples (its README and docstrings) and the edge cases where the
two modes part. The TypeScript metric (lib/src/metrics/entity.ts) is tested against this file, without
Python in CI.
Run with the project's environment: "$(node scripts/reference-env.js)" scripts/seqeval_reference.py
"""
import json
import os
import warnings
from importlib import metadata

from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2, Entities

warnings.filterwarnings("ignore")  # seqeval warns where a score divides by zero; it is 0, as adeflow's
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

cases = [
    # lib/test/metrics.test.ts, worked out by hand there
    ("by hand: a drug span cut short", [["B-Drug", "I-Drug", "O", "B-Effect"], ["B-Effect", "O"]], [["B-Drug", "O", "O", "B-Effect"], ["B-Effect", "O"]]),
    ("by hand: nothing predicted", [["B-Drug", "I-Drug", "O", "B-Effect"], ["B-Effect", "O"]], [["O", "O", "O", "O"], ["O", "O"]]),
    ("I- without B-, and a type change", [["O", "I-Drug", "I-Drug", "I-Effect"]], [["O", "B-Drug", "I-Drug", "B-Effect"]]),
    ("B- after B- of the same type", [["B-Drug", "B-Drug", "I-Drug"]], [["B-Drug", "I-Drug", "I-Drug"]]),
    # seqeval's README (https://github.com/chakki-works/seqeval#usage)
    ("seqeval README", [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]], [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]),
    # the docstrings of f1_score, precision_score and recall_score
    ("seqeval docstrings", [["O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"], ["B-PER", "I-PER", "O"]], [["O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]),
    # seqeval's README on strict mode: the prediction's I-MISC I-MISC is an entity only in default mode
    ("seqeval README, strict mode", [["B-NP", "I-NP", "O"]], [["I-NP", "I-NP", "O"]]),
    ("stray I- in truth and prediction", [["O", "I-Effect", "O", "B-Drug", "I-Effect"]], [["I-Effect", "I-Effect", "O", "B-Drug", "I-Drug"]]),
    ("a type only predicted", [["B-Drug", "O", "O"]], [["B-Drug", "O", "B-Effect"]]),
    ("all outside", [["O", "O"]], [["O", "O"]]),
]


def entities(tags, mode):
    if mode == "strict":
        return [[e.tag, e.start, e.end - 1] for e in Entities([tags], IOB2).entities[0]]
    return [[t, s, e] for t, s, e in get_entities(tags)]


def report(y_true, y_pred, mode):
    kwargs = {"mode": "strict", "scheme": IOB2} if mode == "strict" else {}
    r = classification_report(y_true, y_pred, output_dict=True, zero_division=0, **kwargs)
    # with no entity at all, seqeval's macro average is the mean of nothing: NaN, written as null
    num = lambda x: None if x != x else x
    pick = lambda d: {"precision": num(d["precision"]), "recall": num(d["recall"]), "f1": num(d["f1-score"]), "support": int(d["support"])}
    out = {"micro": pick(r["micro avg"]), "macro": pick(r["macro avg"])}
    out["per_type"] = {k: pick(v) for k, v in r.items() if not k.endswith(" avg")}
    return out


out = {"seqeval": metadata.version("seqeval"), "scheme": "IOB2", "cases": []}
for name, y_true, y_pred in cases:
    out["cases"].append({
        "name": name,
        "true": y_true,
        "pred": y_pred,
        "entities": {m: {"true": [entities(s, m) for s in y_true], "pred": [entities(s, m) for s in y_pred]} for m in ("default", "strict")},
        "scores": {m: report(y_true, y_pred, m) for m in ("default", "strict")},
    })
path = os.path.join(ROOT, "lib", "test", "fixtures", "seqeval.json")
with open(path + ".tmp", "w") as f:
    json.dump(out, f, indent=1, allow_nan=False)
    f.write("\n")
os.replace(path + ".tmp", path)
print(f"wrote {path}: {len(cases)} cases, seqeval {out['seqeval']}")
