import * as path from "node:path";
import { loadCorpus } from "../corpus/load";
import { writeJsonAtomic, writeJsonlAtomic } from "../io";
import { runStudyPipeline, type StudyPipelineOutput } from "../pipeline/study-pipeline";
import { UsageError, type Command, type FlagSpec, type Flags } from "./command";

/** The corpus folder flag every corpus-reading command takes. */
export const CORPUS_DIR_FLAG: FlagSpec = {
  type: "string",
  value: "DIR",
  description: "the corpus folder (instead of ADE_CORPUS_DIR or the downloaded copy)",
};

/** The counts `adeflow data stats` prints, named as the study's README and the reference sample name them. */
export function statsObject(
  out: StudyPipelineOutput,
  negatives: number,
  doses: number,
  corpusDir: string,
  seconds: number,
) {
  const c = out.counts;
  return {
    relations: c.relations,
    after_dedup: c.afterDedup,
    unique_sentences_after_dedup: c.uniqueSentencesAfterDedup,
    after_drop_ambiguous: c.afterDropAmbiguous,
    ner_rows: c.nerRows,
    re_rows: c.reRows,
    concatenations_per_k: c.concatenationsPerK,
    split: c.split,
    negative_sentences: negatives,
    dose_relations: doses,
    seed: out.seed,
    corpus_dir: corpusDir,
    seconds: Number(seconds.toFixed(3)),
  };
}

async function pipelineFrom(flags: Flags) {
  const started = performance.now();
  const corpus = await loadCorpus({ corpusDir: flags.values.get("corpus-dir") });
  const out = runStudyPipeline(corpus);
  return { corpus, out, seconds: (performance.now() - started) / 1000 };
}

export const dataStatsCommand: Command = {
  path: ["data", "stats"],
  summary: "corpus and pipeline counts as one JSON object",
  flags: { "corpus-dir": CORPUS_DIR_FLAG },
  async run(flags) {
    const { corpus, out, seconds } = await pipelineFrom(flags);
    process.stdout.write(
      JSON.stringify(statsObject(out, corpus.negatives.length, corpus.doses.length, corpus.dir, seconds)) + "\n",
    );
  },
};

export const dataExportCommand: Command = {
  path: ["data", "export"],
  summary: "write ner.jsonl, re.jsonl and split.json (the study's rows and split) to a folder",
  flags: {
    out: { type: "string", value: "DIR", description: "folder to write into (required)" },
    "corpus-dir": CORPUS_DIR_FLAG,
  },
  async run(flags) {
    const outDir = flags.values.get("out");
    if (!outDir) throw new UsageError("data export needs --out DIR");
    const { corpus, out, seconds } = await pipelineFrom(flags);
    const dir = path.resolve(outDir);
    writeJsonlAtomic(
      path.join(dir, "ner.jsonl"),
      out.ner.map((r) => ({ text: r.text, drug: r.drug, effect: r.effect, iob: r.iob })),
    );
    writeJsonlAtomic(
      path.join(dir, "re.jsonl"),
      out.re.map((r) => ({ masked_text: r.maskedText, annotated_text: r.annotatedText })),
    );
    writeJsonAtomic(path.join(dir, "split.json"), {
      train: out.split.train,
      val: out.split.val,
      test: out.split.test,
      seed: out.seed,
    });
    process.stderr.write(
      `wrote ${out.ner.length} NER rows, ${out.re.length} RE rows and the split to ${dir} (${seconds.toFixed(1)} s, corpus ${corpus.dir})\n`,
    );
  },
};
