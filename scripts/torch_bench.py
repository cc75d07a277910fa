#!/usr/bin/env python3
"""PyTorch peer for `adeflow bench`: same BERT (scripts/torch_reference.py modules, float32),
same token-classification training step (linear head, weighted CE, AdamW, clip 1.0).

Usage: python3 scripts/torch_bench.py --model tiny|minilm|base --batch B --seq T
                                               [--iters N] [--train-iters N] [--threads K]
Prints one JSON object: forward/train tokens per second, the CPU seconds of the timed training steps (all
threads) and the process's peak RSS.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import Bert  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = dict(vocab_size=28996, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)
# all-MiniLM-L6-v2's shape (the default model): 6 layers of 384, 12 heads, uncased vocabulary
MINILM = dict(BASE, vocab_size=30522, hidden_size=384, num_hidden_layers=6, intermediate_size=1536)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["tiny", "minilm", "base"], required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--train-iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model == "tiny":
        with open(os.path.join(ROOT, "lib", "test", "fixtures", "tiny-bert", "config.json")) as f:
            cfg = json.load(f)
    else:
        cfg = MINILM if a.model == "minilm" else BASE
    model = Bert(cfg)
    head = torch.nn.Linear(cfg["hidden_size"], 5)
    ids = torch.randint(0, cfg["vocab_size"], (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, 5, (a.batch, a.seq))
    tokens = a.batch * a.seq

    model.eval()
    with torch.no_grad():
        model(ids, mask)  # warm-up
        t = time.perf_counter()
        for _ in range(a.iters):
            model(ids, mask)
        fwd = time.perf_counter() - t

    model.train()
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)
    w = torch.ones(5)

    def step():
        logits = head(model(ids, mask)[-1])
        loss = (F.cross_entropy(logits.reshape(-1, 5), labels.reshape(-1), reduction="none") * w[labels.reshape(-1)]).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()

    step()  # warm-up (allocates AdamW state)
    t = time.perf_counter()
    cpu = time.process_time()
    for _ in range(a.train_iters):
        step()
    tr = time.perf_counter() - t
    train_cpu = time.process_time() - cpu
    print(json.dumps({
        "engine": f"pytorch {torch.__version__} ({a.threads} threads)",
        "model": a.model, "batch": a.batch, "seq": a.seq,
        "forward_tokens_per_s": tokens * a.iters / fwd,
        "train_tokens_per_s": tokens * a.train_iters / tr,
        "train_cpu_s": train_cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
