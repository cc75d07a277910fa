#!/usr/bin/env python3
"""Independent PyTorch reference for the TypeScript BERT encoder (step 2 of the cross-check).

Builds BERT from torch.nn modules (no `transformers`), loads the tiny checkpoint's
model.safetensors (parsed by hand: json + struct + torch.frombuffer), runs the inputs written
by scripts/make-torch-inputs.js and writes lib/test/fixtures/torch-reference/reference.json:
  - every hidden state (embeddings + each layer) for every position, padding included;
  - logits, and the loss: weighted CE of a fixed linear head on the last hidden state,
    summed over non-ignored positions and divided by their COUNT (adeflow's reduction);
  - gradients of that loss w.r.t. the named encoder weights (word-embedding gradient only
    for the rows of ids that occur).
Computed in float64 so that the reference is (near) exact and the test measures the
float32 error of the TypeScript side. Eval mode: no dropout.

Run with the project environment: "$(node scripts/reference-env.js)" scripts/torch_reference.py
(--checkpoint DIR --inputs FILE --out FILE to use another checkpoint, as
scripts/check-deep-vs-torch.js does for a 12-layer bert-base-sized model).
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "lib", "test", "fixtures")
DTYPES = {"F32": (torch.float32, 4), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def load_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt, _ = DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(buf[base + b : base + e]), dtype=dt).reshape(info["shape"])
        out[name] = t.to(torch.float64)
    return out


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        H, I = c["hidden_size"], c["intermediate_size"]
        self.nh = c["num_attention_heads"]
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1 = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.inter = nn.Linear(H, I)
        self.out = nn.Linear(I, H)
        self.ln2 = nn.LayerNorm(H, eps=c["layer_norm_eps"])

    def forward(self, x, mask_add):
        B, T, H = x.shape
        d = H // self.nh
        sh = lambda t: t.view(B, T, self.nh, d).transpose(1, 2)
        q, k, v = sh(self.q(x)), sh(self.k(x)), sh(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + mask_add
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H)
        a = self.ln1(self.o(ctx) + x)
        return self.ln2(self.out(F.gelu(self.inter(a))) + a)  # F.gelu default = exact erf


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hidden_size"]
        self.word = nn.Embedding(c["vocab_size"], H)
        self.pos = nn.Embedding(c["max_position_embeddings"], H)
        self.typ = nn.Embedding(c["type_vocab_size"], H)
        self.ln = nn.LayerNorm(H, eps=c["layer_norm_eps"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))

    def forward(self, ids, mask):
        B, T = ids.shape
        pos = torch.arange(T).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids)))
        mask_add = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(torch.float32).min
        hs = [x]
        for layer in self.layers:
            x = layer(x, mask_add)
            hs.append(x)
        return hs

    def param_by_hub_name(self):
        m = {
            "embeddings.word_embeddings.weight": self.word.weight,
            "embeddings.position_embeddings.weight": self.pos.weight,
            "embeddings.token_type_embeddings.weight": self.typ.weight,
            "embeddings.LayerNorm.weight": self.ln.weight,
            "embeddings.LayerNorm.bias": self.ln.bias,
        }
        for i, L in enumerate(self.layers):
            p = f"encoder.layer.{i}."
            for n, mod in [("attention.self.query", L.q), ("attention.self.key", L.k), ("attention.self.value", L.v),
                           ("attention.output.dense", L.o), ("attention.output.LayerNorm", L.ln1),
                           ("intermediate.dense", L.inter), ("output.dense", L.out), ("output.LayerNorm", L.ln2)]:
                m[p + n + ".weight"] = mod.weight
                m[p + n + ".bias"] = mod.bias
        return m


def r(xs):
    """Round to 10 significant digits (keeps the fixture small; far below float32 precision)."""
    return [float(f"{x:.10g}") for x in xs]


def main():
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=os.path.join(FIX, "tiny-bert"))
    ap.add_argument("--inputs", default=os.path.join(FIX, "torch-reference", "inputs.json"))
    ap.add_argument("--out", default=os.path.join(FIX, "torch-reference", "reference.json"))
    args = ap.parse_args()
    ckpt = args.checkpoint
    with open(os.path.join(ckpt, "config.json")) as f:
        cfg = json.load(f)
    with open(args.inputs) as f:
        inp = json.load(f)
    torch.manual_seed(0)
    model = Bert(cfg).to(torch.float64).eval()
    weights = load_safetensors(os.path.join(ckpt, "model.safetensors"))
    params = model.param_by_hub_name()
    with torch.no_grad():
        for name, p in params.items():
            src = weights["bert." + name]
            assert tuple(src.shape) == tuple(p.shape), (name, src.shape, p.shape)
            p.copy_(src)
    ids = torch.tensor(inp["input_ids"], dtype=torch.long)
    mask = torch.tensor(inp["attention_mask"], dtype=torch.long)
    labels = torch.tensor(inp["labels"], dtype=torch.long)
    hw = torch.tensor(inp["head_weight"], dtype=torch.float64)
    hb = torch.tensor(inp["head_bias"], dtype=torch.float64)
    cw = torch.tensor(inp["class_weights"], dtype=torch.float64)

    hs = model(ids, mask)
    logits = hs[-1] @ hw.T + hb
    flat_logits, flat_labels = logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)
    valid = flat_labels != -100
    per_pos = F.cross_entropy(flat_logits, flat_labels.clamp(min=0), reduction="none") * cw[flat_labels.clamp(min=0)]
    loss = (per_pos * valid).sum() / valid.sum().clamp(min=1)  # divide by COUNT, not by sum of weights
    loss.backward()

    used = sorted(set(ids.reshape(-1).tolist()))
    grads = {}
    for name in inp["grad_names"]:
        g = params[name].grad
        if name == "embeddings.word_embeddings.weight":
            grads[name] = {"rows": used, "shape": [len(used), g.shape[1]], "data": r(g[used].reshape(-1).tolist())}
        else:
            grads[name] = {"shape": list(g.shape), "data": r(g.reshape(-1).tolist())}
    out = {
        "note": "generated by scripts/torch_reference.py (float64, eval mode) from inputs.json and tiny-bert/model.safetensors",
        "torch_version": torch.__version__,
        "hidden_states": [r(h.detach().reshape(-1).tolist()) for h in hs],
        "hidden_shape": list(hs[0].shape),
        "logits": r(logits.detach().reshape(-1).tolist()),
        "loss": loss.item(),
        "grads": grads,
    }
    path = args.out
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {path}: loss {loss.item():.6f}, {len(hs)} hidden states {list(hs[0].shape)}", file=sys.stderr)


if __name__ == "__main__":
    main()
