import * as path from "node:path";
import { loadBenchmark } from "../benchmark/dataset";
import { pairWithGold, readPredictions } from "../benchmark/predictions-file";
import { scoreBenchmark, scoreRows } from "../benchmark/score";
import { AdeflowError } from "../errors";
import { prepareBenchmark, runBenchmark } from "../benchmark/protocol";
import { writeBenchmarkResults } from "../benchmark/report";
import { currentProfile } from "../experiment/shared/profile";
import { resultsDir } from "../paths";
import { kernelEnvironment } from "../settings";
import { toMarkdown, toTableData } from "../viz/table";
import { profileFlag, profileFlagSpec, UsageError, type Command } from "./command";

function parseFolds(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const folds = text.split(",").map((s) => s.trim());
  if (!folds.every((f) => /^\d+$/.test(f)))
    throw new UsageError(`--folds ${text}: expected fold numbers separated by commas, e.g. 0,1,2`);
  return folds.map(Number);
}

export const benchmarkRunCommand: Command = {
  path: ["benchmark", "run"],
  summary:
    "the field's protocol: SpERT's ADE folds, the study's models trained per fold, scored as SpERT scores (notebook 08's run)",
  flags: {
    profile: profileFlagSpec("the profile whose models and fold counts run (default ADEFLOW_PROFILE)"),
    folds: { type: "string", value: "0,1,2", description: "which of the ten folds (default the profile's)" },
    "spert-dir": {
      type: "string",
      value: "DIR",
      description:
        "folder of ade_full.json and folds.json (default ADEFLOW_SPERT_DIR, else ../shared/reference/spert-ade)",
    },
    out: {
      type: "string",
      value: "DIR",
      description: "where predictions and scores go (default results/08-benchmark)",
    },
  },
  async run(flags) {
    const values = {
      profile: profileFlag(flags),
      folds: flags.values.get("folds"),
      "spert-dir": flags.values.get("spert-dir"),
      out: flags.values.get("out"),
    };
    const profile = currentProfile(kernelEnvironment({ ADEFLOW_PROFILE: values.profile }));
    const out = path.resolve(values.out ?? path.join(resultsDir(), "08-benchmark"));
    const started = Date.now();
    const setup = await prepareBenchmark(profile, { spertDir: values["spert-dir"] });
    const folds = parseFolds(values.folds);
    for (const k of folds ?? [])
      if (k >= setup.data.folds.length)
        throw new AdeflowError(`--folds: fold ${k} does not exist (folds 0..${setup.data.folds.length - 1})`);
    const results = await runBenchmark(setup, { folds, outDir: out, log: (l) => console.error(l) });
    const { comparison, summary, file } = writeBenchmarkResults(
      out,
      setup,
      results,
      (Date.now() - started) / 1000,
      "adeflow benchmark run",
    );
    console.log(toMarkdown(toTableData(summary)) + "\n");
    console.log(toMarkdown(toTableData(comparison)));
    console.error(
      `\n${results.length} fold(s), profile ${profile.name}; predictions and scores per fold in ${path.join(out, "folds")}; summary in ${file}`,
    );
  },
};

const SCORE_USAGE = "adeflow benchmark score --predictions FILE [--fold K] [--spert-dir DIR] [--json]";

export const benchmarkScoreCommand: Command = {
  path: ["benchmark", "score"],
  summary:
    "score a predictions file in the benchmark's JSON format against the gold sentences, as SpERT's evaluator does",
  flags: {
    predictions: {
      type: "string",
      value: "FILE",
      description: "predictions in the benchmark's JSON format (required)",
    },
    fold: {
      type: "string",
      value: "K",
      description: "the fold they are of (files without orig_id are matched by position in it)",
    },
    "spert-dir": { type: "string", value: "DIR", description: "folder of ade_full.json and folds.json" },
    json: { type: "boolean", description: "print the scores as JSON" },
  },
  async run(flags) {
    const values = {
      predictions: flags.values.get("predictions"),
      fold: flags.values.get("fold"),
      "spert-dir": flags.values.get("spert-dir"),
      json: flags.switches.has("json"),
    };
    if (!values.predictions) throw new UsageError(`--predictions FILE is required\nusage: ${SCORE_USAGE}`);
    if (values.fold !== undefined && !/^\d+$/.test(values.fold))
      throw new UsageError(`--fold ${values.fold}: expected a fold number`);
    const file = path.resolve(values.predictions);
    const data = loadBenchmark(values["spert-dir"]);
    const paired = pairWithGold(
      file,
      readPredictions(file),
      data,
      values.fold === undefined ? undefined : Number(values.fold),
    );
    const scores = scoreBenchmark(paired.gold, paired.predicted);
    if (values.json) {
      process.stdout.write(
        JSON.stringify(
          {
            predictions: file,
            fold: values.fold === undefined ? null : Number(values.fold),
            benchmark_dir: data.dir,
            ...scores,
          },
          null,
          2,
        ) + "\n",
      );
      return;
    }
    console.log(
      `${file}: ${scores.all.sentences} sentences (${scores.withoutOverlap.sentences} without overlapping entities); F1 etc. in %\n`,
    );
    console.log(toMarkdown(toTableData(scoreRows(scores)), 2));
  },
};
