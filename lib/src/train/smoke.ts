/**
 * Small labelled examples for smoke tests and benchmarks: the first sentences of
 * DRUG-AE.rel with simple IOB labels (O, B-DRUG, I-DRUG, B-AE, I-AE) found by locating the
 * drug and effect strings in the sentence and labelling the whitespace words they overlap.
 * This is NOT the study's preprocessing (the lead's pipeline owns that).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tinyCorpusDir } from "../bert/tiny";

export const SMOKE_LABELS = ["O", "B-DRUG", "I-DRUG", "B-AE", "I-AE"] as const;

export interface SmokeExample {
  words: string[];
  labels: number[];
}

export function smokeExamples(n: number, dir = tinyCorpusDir()): SmokeExample[] {
  const bySentence = new Map<string, { drug: string; effect: string }[]>();
  for (const line of fs.readFileSync(path.join(dir, "DRUG-AE.rel"), "utf8").split("\n")) {
    const p = line.split("|");
    if (p.length < 8) continue;
    const list = bySentence.get(p[1]) ?? [];
    list.push({ effect: p[2], drug: p[5] });
    bySentence.set(p[1], list);
    if (bySentence.size > n) break;
  }
  const out: SmokeExample[] = [];
  for (const [sentence, rels] of bySentence) {
    if (out.length >= n) break;
    const spans: { start: number; end: number; word: string }[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(sentence))) spans.push({ start: m.index, end: m.index + m[0].length, word: m[0] });
    const labels = spans.map(() => 0);
    const mark = (text: string, b: number, i: number) => {
      const at = sentence.indexOf(text);
      if (at < 0) return;
      let first = true;
      spans.forEach((s, k) => {
        if (s.end > at && s.start < at + text.length) {
          labels[k] = first ? b : i;
          first = false;
        }
      });
    };
    for (const r of rels) {
      mark(r.effect, 3, 4);
      mark(r.drug, 1, 2);
    }
    out.push({ words: spans.map((s) => s.word), labels });
  }
  return out;
}
