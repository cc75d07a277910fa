#!/usr/bin/env python3
"""Python's view of adeflow's exported folders: transformers for NER, the model card's own PyTorch module for RE.

1. Runs `node scripts/make-export-fixture-models.js TMP` (build first: npm run build), which saves the small
   deterministic models of lib/test/support/export-models.ts on the tiny checkpoint and exports them with
   `adeflow export`'s code to TMP/export/ner and TMP/export/re.
2. NER: `AutoModelForTokenClassification.from_pretrained` (with its loading report: missing, unexpected and
   mismatched keys), the logits of every fixture text in float64 (and their distance to float32), the entities of
   `pipeline("token-classification", aggregation_strategy=...)` for "first" and "simple", and whether the pieces of
   every word agree on a label. Then `save_pretrained` into a fresh folder: which config fields and tensors differ
   from the export's.
3. RE: runs the ```python block of the exported README.md (the card's module, as a reader would copy it),
   `AdeRelationModel.from_folder` (strict loading), `encode_words` and the logits of every fixture row in float64,
   and `associations`.
4. Writes lib/test/fixtures/hf-export/reference.json with the SHA-256 of every exported file; the test
   (lib/test/hf-export.test.ts) exports the same models again, checks the bytes by those hashes, and compares.

Run by hand, not by CI: /work/refvenv/bin/python scripts/hf_export_reference.py
(or the project's environment: "$(node scripts/reference-env.js)" scripts/hf_export_reference.py)
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import safetensors
import torch
import transformers
from safetensors.torch import load_file
from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "lib", "test", "fixtures", "hf-export", "reference.json")
FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]


def r(xs):
    """10 significant digits: far below float32's precision, and a small fixture."""
    return [float(f"{x:.10g}") for x in xs]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fixture_inputs():
    """The texts and RE rows of lib/test/support/export-models.ts (read from its compiled module by node)."""
    code = (
        "const m = require('./lib/dist/test/support/export-models.js');"
        "console.log(JSON.stringify({ texts: m.NER_FIXTURE_TEXTS, words: m.RE_FIXTURE_WORDS }))"
    )
    return json.loads(subprocess.check_output(["node", "-e", code], cwd=ROOT, text=True))


def entities(found):
    return [
        {"type": e["entity_group"], "start": int(e["start"]), "end": int(e["end"]), "word": e["word"]}
        for e in found
    ]


def ner_reference(folder, texts):
    model, info = AutoModelForTokenClassification.from_pretrained(folder, output_loading_info=True)
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model64 = AutoModelForTokenClassification.from_pretrained(folder).to(torch.float64).eval()
    first = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first")
    simple = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple")
    rows, f32_vs_f64 = [], 0.0
    for text in texts:
        enc = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            logits = model64(**enc).logits[0]
            logits32 = model(**enc).logits[0]
        f32_vs_f64 = max(f32_vs_f64, (logits32.double() - logits).abs().max().item())
        best = logits.argmax(-1).tolist()
        words = enc.word_ids(0)
        by_word = {}
        for position, w in enumerate(words):
            if w is not None:
                by_word.setdefault(w, []).append(model.config.id2label[best[position]])
        # a word's pieces agree when the pieces after its first continue the first's entity (I- of its type, or O
        # after O): then "simple", which groups pieces, groups exactly as "first", which labels whole words
        agree = all(
            all(label == ("O" if labels[0] == "O" else "I-" + labels[0].split("-")[-1]) for label in labels[1:])
            for labels in by_word.values()
        )
        rows.append(
            {
                "text": text,
                "input_ids": enc["input_ids"][0].tolist(),
                "logits": r(logits.reshape(-1).tolist()),
                "labels": [model.config.id2label[k] for k in best],
                "first": entities(first(text)),
                "simple": entities(simple(text)),
                "word_pieces_agree": agree,
            }
        )
    # what save_pretrained writes for the same model, against the export
    with tempfile.TemporaryDirectory() as saved:
        model.save_pretrained(saved)
        with open(os.path.join(folder, "config.json")) as f:
            ours = json.load(f)
        with open(os.path.join(saved, "config.json")) as f:
            theirs = json.load(f)
        a, b = load_file(os.path.join(folder, "model.safetensors")), load_file(os.path.join(saved, "model.safetensors"))
        tensors_equal = sorted(a) == sorted(b) and all(torch.equal(a[k], b[k]) for k in a)
    save_pretrained = {
        "fields_only_in_save_pretrained": {k: theirs[k] for k in sorted(set(theirs) - set(ours))},
        "fields_only_in_export": sorted(set(ours) - set(theirs)),
        "fields_that_differ": {k: [ours[k], theirs[k]] for k in sorted(set(ours) & set(theirs)) if ours[k] != theirs[k]},
        "same_tensor_names_and_values": tensors_equal,
        "tensors": len(a),
    }
    return {
        "loading_info": {k: sorted(map(str, v)) for k, v in info.items()},
        "tokenizer_class": type(tokenizer).__name__,
        "logits_float32_vs_float64_max_abs": f32_vs_f64,
        "texts": rows,
        "save_pretrained": save_pretrained,
    }


def card_module(folder):
    """The card's first ```python block that defines AdeRelationModel, run as a reader would run it."""
    with open(os.path.join(folder, "README.md")) as f:
        card = f.read()
    blocks = re.findall(r"```python\n(.*?)```", card, flags=re.S)
    source = next(b for b in blocks if "class AdeRelationModel" in b)
    scope = {}
    exec(compile(source, f"{folder}/README.md", "exec"), scope)
    return scope, source


def re_reference(folder, rows):
    scope, source = card_module(folder)
    with open(os.path.join(ROOT, "lib", "python", "ade_relation_model.py")) as f:
        module_is_the_file = f.read().strip() == source.strip()
    model = scope["AdeRelationModel"].from_folder(folder)  # strict load_state_dict: raises on any missing or extra
    model64 = scope["AdeRelationModel"].from_folder(folder).double()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    max_length = model.head["max_length"]
    out, f32_vs_f64 = [], 0.0
    for words in rows:
        ids, mask, word_of = scope["encode_words"](tokenizer, words, max_length)
        with torch.no_grad():
            logits = model64(ids, mask)[0]
            logits32 = model(ids, mask)[0]
        f32_vs_f64 = max(f32_vs_f64, (logits32.double() - logits).abs().max().item())
        out.append(
            {
                "words": words,
                "input_ids": ids[0].tolist(),
                "attention_mask": mask[0].tolist(),
                "logits": r(logits.reshape(-1).tolist()),
                "associations": scope["associations"](model, tokenizer, words),
            }
        )
    return {
        "card_module_is_lib_python_ade_relation_model_py": module_is_the_file,
        "state_dict_tensors": len(model.state_dict()),
        "head": model.head,
        "logits_float32_vs_float64_max_abs": f32_vs_f64,
        "rows": out,
    }


def main():
    torch.manual_seed(0)  # nothing random runs in eval mode; seeded all the same
    inputs = fixture_inputs()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", os.path.join(ROOT, "scripts", "make-export-fixture-models.js"), tmp], check=True, cwd=ROOT)
        ner_dir, re_dir = os.path.join(tmp, "export", "ner"), os.path.join(tmp, "export", "re")
        ref = {
            "note": "generated by scripts/hf_export_reference.py from the folders adeflow exported for the models of "
            "lib/test/support/export-models.ts; logits in float64",
            "torch_version": torch.__version__,
            "transformers_version": transformers.__version__,
            "safetensors_version": safetensors.__version__,
            "files": {
                "ner": {f: sha256(os.path.join(ner_dir, f)) for f in FILES},
                "re": {f: sha256(os.path.join(re_dir, f)) for f in FILES},
            },
            "ner": ner_reference(ner_dir, inputs["texts"]),
            "re": re_reference(re_dir, inputs["words"]),
        }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + ".tmp", "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    os.replace(OUT + ".tmp", OUT)
    ner, rel = ref["ner"], ref["re"]
    print(
        f"wrote {OUT}: NER loading {ner['loading_info']}, {sum(len(t['first']) for t in ner['texts'])} entities "
        f"(first), pieces agree in {sum(t['word_pieces_agree'] for t in ner['texts'])}/{len(ner['texts'])} texts; "
        f"save_pretrained adds {sorted(ner['save_pretrained']['fields_only_in_save_pretrained'])}, differs in "
        f"{ner['save_pretrained']['fields_that_differ']}, tensors equal {ner['save_pretrained']['same_tensor_names_and_values']}; "
        f"RE card module loads {rel['state_dict_tensors']} tensors strictly; float32 vs float64: NER "
        f"{ner['logits_float32_vs_float64_max_abs']:.1e}, RE {rel['logits_float32_vs_float64_max_abs']:.1e}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
