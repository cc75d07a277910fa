"""Writes lib/test/fixtures/numpy-legacy.json: sequences NumPy's legacy RandomState and scikit-learn's
train_test_split produce, so the TypeScript port is tested against them without Python in CI.
Run with the system Python that has numpy and scikit-learn: /usr/bin/python3 scripts/numpy_reference.py"""
import json
import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

out = {"numpy": np.__version__, "sklearn": sklearn.__version__}
for seed in (0, 1, 42, 4294967295):
    rs = np.random.RandomState(seed)
    out[f"uint32_seed{seed}"] = [int(x) for x in rs.randint(0, 2**32, size=8, dtype=np.uint64)]
np.random.seed(0)
out["randint_0_6507_seed0"] = [int(np.random.randint(low=0, high=6507)) for _ in range(50)]
np.random.seed(3)
out["randint_mixed_seed3"] = [[hi, int(np.random.randint(low=0, high=hi))] for hi in (1, 2, 3, 7, 100, 2**31, 2**32 - 1) for _ in range(3)]
out["random_sample_seed0"] = np.random.RandomState(0).random_sample(5).tolist()
out["permutation_10_seed0"] = np.random.RandomState(0).permutation(10).tolist()
out["permutation_1000_seed7_head"] = np.random.RandomState(7).permutation(1000)[:30].tolist()
for n, ts, rs in ((10, 0.2, 0), (12951, 0.2, 0), (2591, 0.5, 0), (101, 0.33, 5)):
    tr, te = train_test_split(np.arange(n), test_size=ts, random_state=rs)
    out[f"tts_{n}_{ts}_{rs}"] = {"train_len": len(tr), "test_len": len(te), "train_head": tr[:15].tolist(), "test_head": te[:15].tolist(), "train_sum": int(tr.sum())}
with open("lib/test/fixtures/numpy-legacy.json", "w") as f:
    json.dump(out, f, indent=1)
