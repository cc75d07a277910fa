"""Writes lib/test/fixtures/nltk-treebank.json: NLTK TreebankWordTokenizer tokens and spans for tricky
sentences, so the TypeScript port is tested against NLTK without Python in CI.
Run: /usr/bin/python3 scripts/nltk_reference.py"""
import json
import nltk
from nltk.tokenize import TreebankWordTokenizer

SENTENCES = [
    "Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks.",
    "They'll save and invest more.",
    "hi, my name can't hello,",
    'He said "stop" and (then) [left] {now} <ok>.',
    "It cannot be excluded that gimme gonna gotta lemme wanna more'n d'ye happened",
    "Cannot CANNOT cannOT cannotx xcannot",
    "'Tis 'twas the night -- really... ok?!",
    "z=2.27 p=0.01 and 0.2 to 61.7 percent; 5 mg/kg @ home & 10% #1",
    "dose was 5.",
    "a: b, c:1,2 d",
    "naïve café patients with ß-thalassemia and Ångström 'quoted' and ''double''",
    "x wanna\ty",
]
t = TreebankWordTokenizer()
out = {"nltk": nltk.__version__, "cases": [{"text": s, "tokens": t.tokenize(s), "spans": [list(x) for x in t.span_tokenize(s)]} for s in SENTENCES]}
with open("lib/test/fixtures/nltk-treebank.json", "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
