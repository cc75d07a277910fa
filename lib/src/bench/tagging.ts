/**
 * Part-of-speech tagging throughput (`adeflow bench`, model `tagging`): the wink-nlp tagger of notebook 07 over
 * every RE row of the corpus, against a peer run on the same words in the same process: the BERT WordPiece
 * tokenizer (the tiny checkpoint's vocabulary) that every row goes through anyway. The ratio says what tagging
 * adds to preparing the data.
 */
import { loadBert } from "../bert/checkpoint";
import { loadCorpus } from "../corpus/load";
import { TINY_CHECKPOINT } from "../experiment/shared/profile";
import { runStudyPipeline } from "../pipeline/study-pipeline";
import { WordTagger } from "../pos/tagger";
import { fmt, textTable } from "./text-table";

export interface TaggingBenchRow {
  engine: string;
  rows: number;
  words: number;
  seconds: number;
  words_per_s: number;
  /** Throughput against the WordPiece row. */
  ratio: number;
}

function seconds(step: () => void): number {
  const t0 = performance.now();
  step();
  return (performance.now() - t0) / 1000;
}

export async function benchTagging(log: (s: string) => void = () => {}): Promise<TaggingBenchRow[]> {
  const rows = runStudyPipeline(await loadCorpus()).re.map((r) => r.maskedText.split(" "));
  const words = rows.reduce((n, r) => n + r.length, 0);
  const { tokenizer } = await loadBert(TINY_CHECKPOINT());
  const tagger = new WordTagger();
  tagger.tagWords(rows[0]); // warm-up: the model's lazy set-up is not throughput
  const timed: [string, number][] = [
    ["WordPiece tokenizer (peer)", seconds(() => rows.forEach((r) => tokenizer.encodeWords(r, undefined, 128)))],
    ["wink-nlp POS tagger", seconds(() => rows.forEach((r) => tagger.tagWords(r)))],
  ];
  const peer = words / timed[0][1];
  return timed.map(([engine, s]) => {
    log(`  ${engine}: ${rows.length} rows, ${words} words in ${s.toFixed(2)} s`);
    return { engine, rows: rows.length, words, seconds: s, words_per_s: words / s, ratio: words / s / peer };
  });
}

export function taggingTable(rows: TaggingBenchRow[]): string {
  const head = ["engine (RE rows of the corpus)", "rows", "words", "seconds", "words/s", "ratio"];
  return textTable(
    head,
    rows.map((r) => [
      r.engine,
      String(r.rows),
      String(r.words),
      fmt(r.seconds, 2),
      fmt(r.words_per_s, 0),
      fmt(r.ratio, 3),
    ]),
  );
}
