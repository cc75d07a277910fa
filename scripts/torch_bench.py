#!/usr/bin/env python3
"""PyTorch peer for `adeflow bench`: same BERT (scripts/torch_reference.py modules, float32),
same token-classification training step (linear head, weighted CE, AdamW, clip 1.0).

Usage: python3 scripts/torch_bench.py --model tiny|minilm|base --batch B --seq T
                                               [--iters N] [--train-iters N] [--threads K] [--dropout P]
With --dropout P the training step drops out where BertForTokenClassification does (and adeflow's TokenClassifier):
after the embeddings, on the attention probabilities, on each layer's two outputs and before the head.
Prints one JSON object: forward/train tokens per second (forward null with --iters 0), the seconds of each
timed training step, their CPU seconds (all threads; user and system apart too) and the process's peak RSS.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import Bert, Layer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = dict(vocab_size=28996, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12)
# all-MiniLM-L6-v2's shape (the default model): 6 layers of 384, 12 heads, uncased vocabulary
MINILM = dict(BASE, vocab_size=30522, hidden_size=384, num_hidden_layers=6, intermediate_size=1536)


class DropoutLayer(Layer):
    """torch_reference's layer with BertForTokenClassification's dropout sites (attention probabilities, the
    attention output and the feed-forward output, each before its residual), active in training mode."""

    def __init__(self, c, p):
        super().__init__(c)
        self.p = p

    def forward(self, x, mask_add):
        B, T, H = x.shape
        d = H // self.nh
        sh = lambda t: t.view(B, T, self.nh, d).transpose(1, 2)
        q, k, v = sh(self.q(x)), sh(self.k(x)), sh(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + mask_add
        probs = F.dropout(scores.softmax(-1), self.p, self.training)
        ctx = (probs @ v).transpose(1, 2).reshape(B, T, H)
        a = self.ln1(F.dropout(self.o(ctx), self.p, self.training) + x)
        return self.ln2(F.dropout(self.out(F.gelu(self.inter(a))), self.p, self.training) + a)


class DropoutBert(Bert):
    """torch_reference's BERT with dropout after the embeddings' LayerNorm and in every layer (built without
    torch_reference's own layers, so no memory is allocated twice)."""

    def __init__(self, c, p):
        torch.nn.Module.__init__(self)
        H = c["hidden_size"]
        self.p = p
        self.word = torch.nn.Embedding(c["vocab_size"], H)
        self.pos = torch.nn.Embedding(c["max_position_embeddings"], H)
        self.typ = torch.nn.Embedding(c["type_vocab_size"], H)
        self.ln = torch.nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.layers = torch.nn.ModuleList(DropoutLayer(c, p) for _ in range(c["num_hidden_layers"]))

    def forward(self, ids, mask):
        B, T = ids.shape
        pos = torch.arange(T).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids)))
        x = F.dropout(x, self.p, self.training)
        mask_add = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(torch.float32).min
        hs = [x]
        for layer in self.layers:
            x = layer(x, mask_add)
            hs.append(x)
        return hs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["tiny", "minilm", "base"], required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--train-iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--dropout", type=float, default=0.0,
                    help="dropout in training at BertForTokenClassification's sites (default 0: none)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.model == "tiny":
        with open(os.path.join(ROOT, "lib", "test", "fixtures", "tiny-bert", "config.json")) as f:
            cfg = json.load(f)
    else:
        cfg = MINILM if a.model == "minilm" else BASE
    model = DropoutBert(cfg, a.dropout) if a.dropout > 0 else Bert(cfg)
    head = torch.nn.Linear(cfg["hidden_size"], 5)
    ids = torch.randint(0, cfg["vocab_size"], (a.batch, a.seq))
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, 5, (a.batch, a.seq))
    tokens = a.batch * a.seq

    fwd = None
    if a.iters > 0:  # --iters 0: training only
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
        last = model(ids, mask)[-1]
        logits = head(F.dropout(last, a.dropout, True) if a.dropout > 0 else last)
        loss = (F.cross_entropy(logits.reshape(-1, 5), labels.reshape(-1), reduction="none") * w[labels.reshape(-1)]).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()

    step()  # warm-up (allocates AdamW state)
    t = time.perf_counter()
    cpu = time.process_time()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    steps = []
    for _ in range(a.train_iters):
        s = time.perf_counter()
        step()
        steps.append(time.perf_counter() - s)
    tr = time.perf_counter() - t
    train_cpu = time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_SELF)
    dropout = f", dropout {a.dropout:g}" if a.dropout > 0 else ""
    print(json.dumps({
        "engine": f"pytorch {torch.__version__} ({a.threads} threads{dropout})",
        "model": a.model, "batch": a.batch, "seq": a.seq,
        "forward_tokens_per_s": None if fwd is None else tokens * a.iters / fwd,
        "train_tokens_per_s": tokens * a.train_iters / tr,
        "train_step_s": steps,
        "train_cpu_s": train_cpu,
        "train_user_s": after.ru_utime - usage.ru_utime,
        "train_system_s": after.ru_stime - usage.ru_stime,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
