import type { Entity } from "../metrics/entity";
import type { NerLabel } from "../pipeline/rows";
import { wordsWithOffsets, type Word } from "../experiment/e2e/predictor";
import { RELATION_TYPE, type BenchmarkEntity, type BenchmarkEntityType, type BenchmarkSentence } from "./dataset";

/**
 * Between the benchmark's tokens and the study's words. A benchmark sentence becomes text by joining its tokens
 * with single spaces; the study's cleaning and tokenisation then cut that text into words with character offsets
 * (`wordsWithOffsets`: punctuation dropped, decimals and `x=1.2` kept whole). Because tokens are separated by
 * spaces a word never spans two tokens, but one token can hold several words (`5-FU` is one token in some
 * sentences and the words `5`, `FU`) or none (`(`, `-`). A predicted entity (a run of words) goes back to the
 * tokens whose characters its first and last words start and end; when it starts or ends inside a token the
 * benchmark has no such span and the prediction cannot be mapped.
 */
export interface SentenceText {
  text: string;
  /** Character span of each token in `text` (end exclusive). */
  tokenSpans: { start: number; end: number }[];
  words: Word[];
}

export function sentenceText(tokens: readonly string[]): SentenceText {
  const tokenSpans: SentenceText["tokenSpans"] = [];
  let at = 0;
  for (const t of tokens) {
    tokenSpans.push({ start: at, end: at + t.length });
    at += t.length + 1;
  }
  const text = tokens.join(" ");
  return { text, tokenSpans, words: wordsWithOffsets(text) };
}

export const toBenchmarkType = (type: string): BenchmarkEntityType => (type === "Drug" ? "Drug" : "Adverse-Effect");
export const toStudyType = (type: BenchmarkEntityType): "Drug" | "Effect" => (type === "Drug" ? "Drug" : "Effect");

export type UnmappedReason = "starts inside a token" | "ends inside a token";

/** A predicted entity over words (inclusive word span) as a benchmark entity, or why it has none. */
export function wordEntityToTokens(
  st: SentenceText,
  e: Entity,
): { entity: BenchmarkEntity } | { reason: UnmappedReason } {
  const charStart = st.words[e.start].start;
  const charEnd = st.words[e.end].end;
  const start = st.tokenSpans.findIndex((t) => t.start === charStart);
  if (start < 0) return { reason: "starts inside a token" };
  const last = st.tokenSpans.findIndex((t) => t.end === charEnd);
  if (last < 0) return { reason: "ends inside a token" };
  return { entity: { type: toBenchmarkType(e.type), start, end: last + 1 } };
}

/** The words inside a benchmark entity's characters. */
export function wordsOfEntity(st: SentenceText, e: BenchmarkEntity): number[] {
  const from = st.tokenSpans[e.start].start;
  const to = st.tokenSpans[e.end - 1].end;
  return st.words.flatMap((w, i) => (w.start >= from && w.end <= to ? [i] : []));
}

/** True when some run of the study's words covers exactly the entity's tokens (else no prediction can match it). */
export function reachableByWords(st: SentenceText, e: BenchmarkEntity): boolean {
  const inside = wordsOfEntity(st, e);
  return (
    inside.length > 0 &&
    st.words[inside[0]].start === st.tokenSpans[e.start].start &&
    st.words[inside[inside.length - 1]].end === st.tokenSpans[e.end - 1].end
  );
}

/**
 * Gold IOB tags over the study's words, for the study's token-level metric on benchmark sentences: the words
 * inside an entity get B- then I- of its type. Where gold entities overlap, the one listed later wins on the
 * words they share (one tag per word cannot say both).
 */
export function goldWordTags(st: SentenceText, sentence: Pick<BenchmarkSentence, "entities">): NerLabel[] {
  const tags: NerLabel[] = st.words.map(() => "O");
  for (const e of sentence.entities) {
    const type = toStudyType(e.type);
    wordsOfEntity(st, e).forEach((w, k) => (tags[w] = `${k === 0 ? "B" : "I"}-${type}` as NerLabel));
  }
  return tags;
}

export interface MappedPrediction {
  sentence: BenchmarkSentence;
  /** Predicted entities that could not be mapped, with the reason. */
  unmapped: { text: string; type: string; reason: UnmappedReason }[];
  /** Predicted relations lost because one of their entities could not be mapped. */
  lostRelations: number;
}

/**
 * The chain's output on one benchmark sentence (entities over words, relations between them) in the benchmark's
 * format: entities on its tokens, each relation with the effect as `head` and the drug as `tail`.
 */
export function predictionOnTokens(
  gold: Pick<BenchmarkSentence, "tokens" | "orig_id">,
  st: SentenceText,
  entities: readonly Entity[],
  relations: readonly { drug: Pick<Entity, "start" | "end">; effect: Pick<Entity, "start" | "end"> }[],
): MappedPrediction {
  const out: BenchmarkEntity[] = [];
  const indexOf = new Map<string, number | UnmappedReason>();
  const unmapped: MappedPrediction["unmapped"] = [];
  const wordKey = (type: string, e: Pick<Entity, "start" | "end">) => `${type}:${e.start}:${e.end}`;
  for (const e of entities) {
    const key = wordKey(e.type, e);
    if (indexOf.has(key)) continue;
    const mapped = wordEntityToTokens(st, e);
    if ("reason" in mapped) {
      indexOf.set(key, mapped.reason);
      unmapped.push({
        text: st.text.slice(st.words[e.start].start, st.words[e.end].end),
        type: e.type,
        reason: mapped.reason,
      });
      continue;
    }
    const same = out.findIndex(
      (o) => o.start === mapped.entity.start && o.end === mapped.entity.end && o.type === mapped.entity.type,
    );
    indexOf.set(key, same >= 0 ? same : out.push(mapped.entity) - 1);
  }
  const seen = new Set<string>();
  const rels: BenchmarkSentence["relations"] = [];
  let lostRelations = 0;
  for (const r of relations) {
    const head = indexOf.get(wordKey("Effect", r.effect));
    const tail = indexOf.get(wordKey("Drug", r.drug));
    if (typeof head !== "number" || typeof tail !== "number") {
      lostRelations++;
      continue;
    }
    const key = `${head}>${tail}`;
    if (!seen.has(key)) rels.push({ type: RELATION_TYPE, head, tail });
    seen.add(key);
  }
  return {
    sentence: { tokens: [...gold.tokens], entities: out, relations: rels, orig_id: gold.orig_id },
    unmapped,
    lostRelations,
  };
}
