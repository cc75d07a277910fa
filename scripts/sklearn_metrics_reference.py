"""Writes lib/test/fixtures/sklearn-metrics.json: scikit-learn's macro precision/recall/F1 and normalized
confusion matrices on cases where its conventions matter (a class never predicted, a class never true, ignored
positions), so the TypeScript metric is tested against it without Python in CI.
Run with the project environment: "$(node scripts/reference-env.js)" scripts/sklearn_metrics_reference.py"""
import json
import warnings
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

warnings.filterwarnings("ignore")
rng = np.random.RandomState(0)
cases = [
    {"true": [0, 0, 1, 2, 2, 3, 4, 0], "pred": [0, 1, 1, 2, 0, 3, 3, 0]},                 # class 4 never predicted
    {"true": [0, 0, 1, 1, 0, 0], "pred": [0, 3, 1, 0, 0, 4]},                             # classes 3, 4 never true
    {"true": [0, -100, 1, 2, -100, 2], "pred": [0, 4, 1, 1, 3, 2]},                       # ignored positions
    {"true": [0, 0, 0], "pred": [0, 0, 0]},
    {"true": rng.randint(0, 5, 300).tolist(), "pred": rng.randint(0, 5, 300).tolist()},
]
out = []
for c in cases:
    t = np.array(c["true"]); p = np.array(c["pred"]); keep = t != -100
    pr, rc, f1, _ = precision_recall_fscore_support(t[keep], p[keep], average="macro", zero_division=0)
    per = precision_recall_fscore_support(t[keep], p[keep], average=None, zero_division=0)
    cm = confusion_matrix(t[keep], p[keep], labels=list(range(5)), normalize="true")
    out.append({**c, "macro": [pr, rc, f1], "per_class_f1": per[2].tolist(), "confusion_true": np.nan_to_num(cm).tolist()})
json.dump(out, open("lib/test/fixtures/sklearn-metrics.json", "w"), indent=1)
