"""Writes lib/test/fixtures/spert-scores.json: SpERT's evaluator (spert/evaluator.py, `_score` and
`_compute_metrics`: items flattened over the union of gold and predicted tuples per sentence, then scikit-learn's
precision_recall_fscore_support with the types that occur as labels) on real benchmark sentences and seeded,
perturbed predictions of them (spans shifted by one token, types flipped, entities dropped or added, relation
arguments re-pointed), with and without the sentences holding overlapping entities, so the TypeScript scorer is
checked against it without Python in CI.
Run: python3 scripts/spert_score_reference.py [SPERT_DIR]   (default ../shared/reference/spert-ade)"""
import json
import os
import sys
import warnings

import numpy as np
from sklearn.metrics import precision_recall_fscore_support as prfs

warnings.filterwarnings("ignore")
here = os.path.dirname(os.path.abspath(__file__))
spert_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "reference", "spert-ade")
sentences = json.load(open(os.path.join(spert_dir, "ade_full.json")))
rng = np.random.RandomState(0)
TYPES = ["Adverse-Effect", "Drug"]


def overlaps(s):
    es = s["entities"]
    return any(a["start"] < b["end"] and b["start"] < a["end"] for i, a in enumerate(es) for b in es[i + 1:])


def perturb(s):
    n = len(s["tokens"])
    ents, index = [], {}
    for i, e in enumerate(s["entities"]):
        e = dict(e)
        r = rng.rand()
        if r < 0.1:
            continue  # dropped
        if r < 0.2:
            e["start"] = max(0, e["start"] - 1)
        elif r < 0.3:
            if e["end"] < n:
                e["end"] += 1
            elif e["end"] - 1 > e["start"]:
                e["end"] -= 1
        elif r < 0.4:
            e["type"] = TYPES[1 - TYPES.index(e["type"])]
        index[i] = len(ents)
        ents.append(e)
    if rng.rand() < 0.3:
        start = int(rng.randint(0, n))
        ents.append({"type": TYPES[int(rng.randint(0, 2))], "start": start, "end": start + 1})
    order = rng.permutation(len(ents)).tolist()  # entities listed in another order than the gold's
    shuffled = [ents[k] for k in order]
    where = {k: order.index(k) for k in range(len(ents))}
    rels = []
    for r in s["relations"]:
        if r["head"] not in index or r["tail"] not in index or rng.rand() < 0.1:
            continue
        head, tail = where[index[r["head"]]], where[index[r["tail"]]]
        if rng.rand() < 0.15:
            tail = int(rng.randint(0, len(shuffled)))  # one wrong argument
        rels.append({"type": "Adverse-Effect", "head": head, "tail": tail})
    return {"tokens": s["tokens"], "entities": shuffled, "relations": rels, "orig_id": s["orig_id"]}


def entity_tuples(s):
    return [(e["start"], e["end"], e["type"]) for e in s["entities"]]


def relation_tuples(s, with_types):
    def ent(i):
        e = s["entities"][i]
        return (e["start"], e["end"], e["type"] if with_types else "pseudo")
    return [(ent(r["head"]), ent(r["tail"]), r["type"]) for r in s["relations"]]


def spert_score(gt, pred):
    # spert/evaluator.py: Evaluator._score + _compute_metrics (label 0 = "no item")
    index = {}
    gt_flat, pred_flat, types = [], [], set()
    for sample_gt, sample_pred in zip(gt, pred):
        union = set(sample_gt) | set(sample_pred)
        for s in sorted(union, key=repr):
            t = s[2]
            idx = index.setdefault(t, len(index) + 1)
            if s in sample_gt:
                gt_flat.append(idx)
                types.add(t)
            else:
                gt_flat.append(0)
            if s in sample_pred:
                pred_flat.append(idx)
                types.add(t)
            else:
                pred_flat.append(0)
    names = sorted(types)
    labels = [index[t] for t in names]
    if not labels:
        return {"per_type": {}, "micro": [0, 0, 0], "macro": [0, 0, 0]}
    per = prfs(gt_flat, pred_flat, labels=labels, average=None, zero_division=0)
    micro = prfs(gt_flat, pred_flat, labels=labels, average="micro", zero_division=0)[:-1]
    macro = prfs(gt_flat, pred_flat, labels=labels, average="macro", zero_division=0)[:-1]
    return {
        "per_type": {t: [float(per[0][k]), float(per[1][k]), float(per[2][k]), int(per[3][k])] for k, t in enumerate(names)},
        "micro": [float(x) for x in micro],
        "macro": [float(x) for x in macro],
    }


def score_all(gold, pred):
    return {
        "sentences": len(gold),
        "ner": spert_score([entity_tuples(g) for g in gold], [entity_tuples(p) for p in pred]),
        "relationStrict": spert_score([relation_tuples(g, True) for g in gold], [relation_tuples(p, True) for p in pred]),
        "relationBoundaries": spert_score([relation_tuples(g, False) for g in gold], [relation_tuples(p, False) for p in pred]),
    }


with_overlap = [s for s in sentences if overlaps(s)]
picked = [sentences[i] for i in rng.choice(len(sentences), 60, replace=False)] + [with_overlap[i] for i in rng.choice(len(with_overlap), 15, replace=False)]
predicted = [perturb(s) for s in picked]
keep = [not overlaps(g) for g in picked]
out = {
    "gold": picked,
    "predicted": predicted,
    "all": score_all(picked, predicted),
    "withoutOverlap": score_all([g for g, k in zip(picked, keep) if k], [p for p, k in zip(predicted, keep) if k]),
}
json.dump(out, open(os.path.join(here, "..", "lib", "test", "fixtures", "spert-scores.json"), "w"))
print(json.dumps({k: out[k] for k in ("all", "withoutOverlap")})[:600])
