/**
 * Small labelled examples for smoke tests and benchmarks: the first distinct sentences of DRUG-AE.rel, read with
 * the corpus's own parser, labelled with the study's NER label set by locating each relation's drug and effect
 * strings in the sentence and tagging the whitespace words they overlap. This is deliberately not the study's
 * preprocessing (no cleaning, no Treebank tokens): the examples only have to be realistic and fixed, because the
 * PyTorch fixtures were made from them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDrugEffectRelations } from "../../src/corpus/parse";
import { NER_LABEL_ID } from "../../src/pipeline/rows";
import { tinyCorpusDir } from "./tiny";

export interface SmokeExample {
  words: string[];
  /** Ids of the study's NER labels (`NER_LABELS`). */
  labels: number[];
}

export function smokeExamples(n: number, dir = tinyCorpusDir()): SmokeExample[] {
  const text = fs.readFileSync(path.join(dir, "DRUG-AE.rel"), "utf8");
  const bySentence = new Map<string, { drug: string; effect: string }[]>();
  for (const r of parseDrugEffectRelations(text, "DRUG-AE.rel").records) {
    const list = bySentence.get(r.sentence) ?? [];
    if (list.length === 0 && bySentence.size >= n) break;
    list.push({ effect: r.effect, drug: r.drug });
    bySentence.set(r.sentence, list);
  }
  const out: SmokeExample[] = [];
  for (const [sentence, rels] of bySentence) {
    const spans: { start: number; end: number; word: string }[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(sentence))) spans.push({ start: m.index, end: m.index + m[0].length, word: m[0] });
    const labels = spans.map(() => NER_LABEL_ID.O);
    const mark = (entity: string, begin: number, inside: number) => {
      const at = sentence.indexOf(entity);
      if (at < 0) return;
      let first = true;
      spans.forEach((s, k) => {
        if (s.end > at && s.start < at + entity.length) {
          labels[k] = first ? begin : inside;
          first = false;
        }
      });
    };
    for (const r of rels) {
      mark(r.effect, NER_LABEL_ID["B-Effect"], NER_LABEL_ID["I-Effect"]);
      mark(r.drug, NER_LABEL_ID["B-Drug"], NER_LABEL_ID["I-Drug"]);
    }
    out.push({ words: spans.map((s) => s.word), labels });
  }
  return out;
}
