import { pySplit } from "../text/python-regex";
import { DRUG_MASK, EFFECT_MASK } from "./rows";

export interface MaskedSentence {
  maskedText: string;
  annotations: number[];
}

/**
 * The study's `mask_texts`, literal. Per word of each sentence: a word that belongs to the drug becomes one
 * `DRUG` mask (further words of the same drug are dropped; a word already masked earlier in the pass stays
 * as itself with label 0); likewise `EFFECT`. The label of a mask is the pair's number: 1 for a single
 * sentence; in a concatenation, the position (1..k) of the first sentence whose drug has that word.
 * The sets of masked words live for the whole call, which is what makes later rows keep plain words.
 */
export function maskSentences(
  texts: readonly string[],
  drugs: readonly string[],
  effects: readonly string[],
  concatenation: boolean,
): MaskedSentence[] {
  const drugAssociation = new Map<string, number>();
  const effectAssociation = new Map<string, number>();
  if (concatenation) {
    drugs.forEach((drug, idx) => {
      for (const w of pySplit(drug)) if (!drugAssociation.has(w)) drugAssociation.set(w, idx + 1);
      const firstDrugWord = pySplit(drug)[0];
      for (const w of pySplit(effects[idx])) {
        if (!effectAssociation.has(w)) effectAssociation.set(w, drugAssociation.get(firstDrugWord) as number);
      }
    });
  }
  const foundDrugs = new Set<string>();
  const foundEffects = new Set<string>();
  return texts.map((text, s) => {
    const drugWords = pySplit(drugs[s]);
    const effectWords = pySplit(effects[s]);
    const words: string[] = [];
    const annotations: number[] = [];
    for (const w of pySplit(text)) {
      if (drugWords.includes(w)) {
        if (foundDrugs.has(w)) {
          words.push(w);
          annotations.push(0);
        } else if (!words.includes(DRUG_MASK)) {
          words.push(DRUG_MASK);
          annotations.push(concatenation ? (drugAssociation.get(w) as number) : 1);
        }
        foundDrugs.add(w);
      } else if (effectWords.includes(w)) {
        if (foundEffects.has(w)) {
          words.push(w);
          annotations.push(0);
        } else if (!words.includes(EFFECT_MASK)) {
          words.push(EFFECT_MASK);
          annotations.push(concatenation ? (effectAssociation.get(w) as number) : 1);
        }
        foundEffects.add(w);
      } else {
        words.push(w);
        annotations.push(0);
      }
    }
    return { maskedText: words.join(" "), annotations };
  });
}
