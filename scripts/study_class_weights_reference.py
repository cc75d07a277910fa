"""Writes lib/test/fixtures/study-class-weights.json: the study's class-weight computation (its
`compute_weights`, numpy + scikit-learn's compute_class_weight('balanced')) on small label sequences.
Run: /usr/bin/python3 scripts/study_class_weights_reference.py"""
import json
import numpy as np
from sklearn.utils import class_weight


def compute_weights(data):
    total = np.zeros(5)
    for labels in data:
        labels = np.delete(labels, np.where(labels == -100))
        classes = np.unique(labels)
        missed = [c for c in range(5) if c not in classes]
        w = class_weight.compute_class_weight("balanced", classes=classes, y=labels)
        for m in missed:  # as the study: each fill uses the array as it stands, earlier fills included
            w = np.insert(w, m, np.max(w) + np.mean(w)) if m < len(w) else np.append(w, np.max(w) + np.mean(w))
        total += w
    return total / len(data)


cases = [[[-100, 0, 0, 0, 1, -100]], [[-100, 0, 3, 4, 4, 0, -100, -100], [0, 1, 2, 0, 0], [0, 0, 0, 0, 0, 3]], [[2, 2, 1, 0, 4, 3, 3]]]
out = [{"sequences": c, "weights": compute_weights([np.array(s) for s in c]).tolist()} for c in cases]
json.dump(out, open("lib/test/fixtures/study-class-weights.json", "w"), indent=1)
