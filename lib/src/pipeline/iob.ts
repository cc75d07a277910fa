import { AdeflowError } from "../errors";
import { treebankSpans } from "../text/treebank";

/**
 * The study's IOB tagging over Treebank tokens, kept literal including its quirks, because the study's
 * labels (and so its scores) are what this reproduces:
 * - an entity's span is its FIRST literal occurrence in the text (in a concatenation, possibly inside
 *   another sentence, or inside a longer word, in which case no token starts there and it gets no B tag);
 * - a token starting exactly at an entity's start is B; a token strictly inside a span is I;
 * - with several pairs, a token takes the last non-O tag over the pairs;
 * - the type of an I tag is the type of the most recent B seen anywhere before (a carried variable).
 */
export function studyIobTags(text: string, drugs: readonly string[], effects: readonly string[]): string[] {
  const locate = (entity: string, kind: string): [number, number] => {
    const start = text.indexOf(entity);
    if (start < 0)
      throw new AdeflowError(`${kind} ${JSON.stringify(entity)} does not occur in ${JSON.stringify(text)}`);
    return [start, start + entity.length];
  };
  const drugSpans = drugs.map((d) => locate(d, "drug"));
  const effectSpans = effects.map((e) => locate(e, "effect"));
  const pairs = Math.min(drugSpans.length, effectSpans.length); // Python's zip stops at the shorter list
  const entityTypes = ["Drug", "Effect"];
  let typeIndex = 0;
  const tags: string[] = [];
  for (const [start, end] of treebankSpans(text)) {
    const perPair: string[] = [];
    let tag = "O";
    for (let p = 0; p < pairs; p++) {
      const [startD, endD] = drugSpans[p];
      const [startE, endE] = effectSpans[p];
      tag = "O";
      if (start === startD || start === startE) {
        tag = "B";
        typeIndex = start === startD ? 0 : 1;
      } else if ((startD < start && end <= endD) || (startE < start && end <= endE)) {
        tag = "I";
      }
      if (tag !== "O") tag += `-${entityTypes[typeIndex]}`;
      perPair.push(tag);
    }
    for (const t of perPair) if (t.includes("B") || t.includes("I")) tag = t;
    tags.push(tag);
  }
  return tags;
}

/** @deprecated Renamed `studyIobTags`; kept for one release. */
export const seedIobTags = studyIobTags;
