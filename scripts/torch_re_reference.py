#!/usr/bin/env python3
"""PyTorch reference for the relation-extraction head (lib/src/re/head.ts).

Builds the study's head from torch.nn with small sizes, in float64:

    features [B, T, F] -> nn.LSTM(F, H, bidirectional=True, batch_first=True) (h0 = c0 = 0,
    no packing) -> flatten [B, T*2H] -> nn.Linear(T*2H, D) -> nn.Linear(D, T*C)
    -> exact (erf) GELU -> reshape [B, T, C]

(dropout is the identity in eval mode), then the project's weighted cross-entropy
(sum_i valid_i * w[y_i] * nll_i / #valid, labels -100 ignored) and its gradients with respect
to every head parameter and to the input features.

Weights and features are drawn here (seeded) and rounded to float32 so that the TypeScript
side loads exactly the same numbers; everything is written to
lib/test/fixtures/torch-re/reference.json, which the TS test (lib/test/re-torch.test.ts)
compares against. Run with the project's environment (PyTorch's CPU build from PyPI):

    "$(node scripts/reference-env.js)" scripts/torch_re_reference.py
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as Fn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "lib", "test", "fixtures", "torch-re", "reference.json")

B, T, F, H, D, C = 3, 16, 12, 6, 10, 5
IGNORE = -100


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(F, H, num_layers=1, bidirectional=True, batch_first=True)
        self.dense = nn.Linear(T * 2 * H, D)
        self.classifier = nn.Linear(D, T * C)

    def forward(self, x):
        seq, _ = self.lstm(x)  # [B, T, 2H], forward then reverse
        flat = seq.reshape(seq.shape[0], -1)
        out = Fn.gelu(self.classifier(self.dense(flat)), approximate="none")
        return out.reshape(-1, T, C)


def weighted_ce(logits, labels, weights):
    flat = logits.reshape(-1, C)
    y = labels.reshape(-1)
    valid = (y != IGNORE).double()
    safe = y.clamp(min=0)
    nll = -Fn.log_softmax(flat, dim=-1).gather(1, safe[:, None])[:, 0]
    return (nll * weights[safe] * valid).sum() / valid.sum().clamp(min=1)


def f32(t):
    return t.float().double()


def main():
    torch.manual_seed(1234)
    head = Head().double()
    with torch.no_grad():
        for name, p in head.named_parameters():
            # Larger classifier weights so that the logits spread over O(1).
            scale = 4.0 if name.startswith("classifier") else 1.0
            p.copy_(f32(p * scale))
    feats = f32(torch.randn(B, T, F, dtype=torch.float64) * 1.5).requires_grad_(True)
    labels = torch.randint(0, C, (B, T))
    labels[0, 12:] = IGNORE  # padding-like tail
    labels[2, 9:] = IGNORE
    weights = torch.tensor([0.3, 1.5, 2.0, 2.5, 3.0], dtype=torch.float64)

    head.eval()
    logits = head(feats)
    loss = weighted_ce(logits, labels, weights)
    loss.backward()

    flat = lambda t: [float(v) for v in t.detach().reshape(-1).tolist()]
    ref = {
        "sizes": {"batch": B, "seqLen": T, "features": F, "lstmUnits": H, "denseUnits": D, "numClasses": C},
        "torch_version": torch.__version__,
        "features": flat(feats),
        "labels": [int(v) for v in labels.reshape(-1).tolist()],
        "class_weights": flat(weights),
        "state": {name: flat(p) for name, p in head.named_parameters()},
        "shapes": {name: list(p.shape) for name, p in head.named_parameters()},
        "logits": flat(logits),
        "loss": float(loss),
        "grads": {name: flat(p.grad) for name, p in head.named_parameters()},
        "features_grad": flat(feats.grad),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as fh:
        json.dump(ref, fh)
        fh.write("\n")
    print(f"wrote {OUT}: loss {float(loss):.6f}, |logits| max {logits.abs().max().item():.3f}")


if __name__ == "__main__":
    main()
