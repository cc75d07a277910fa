import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadBenchmark } from "../benchmark/dataset";
import { pairWithGold, readPredictions } from "../benchmark/predictions-file";
import { scoreBenchmark, scoreRows } from "../benchmark/score";
import { AdeflowError } from "../errors";
import { prepareBenchmark, runBenchmark } from "../benchmark/protocol";
import { writeBenchmarkResults } from "../benchmark/report";
import { currentProfile } from "../experiment/shared/profile";
import { resultsDir } from "../paths";
import { toMarkdown, toTableData } from "../viz/table";
import type { Command } from "./command";

/** util.parseArgs, strict, with its errors (unknown flag, missing value) as messages a user can act on. */
function flagsOf<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T, usage: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new AdeflowError(`${(err as Error).message}\nusage: ${usage}`);
  }
}

function parseFolds(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const folds = text.split(",").map((s) => s.trim());
  if (!folds.every((f) => /^\d+$/.test(f)))
    throw new AdeflowError(`--folds ${text}: expected fold numbers separated by commas, e.g. 0,1,2`);
  return folds.map(Number);
}

const RUN_USAGE = "adeflow benchmark run [--profile full|quick|smoke] [--folds 0,1,2] [--spert-dir DIR] [--out DIR]";

export const benchmarkRunCommand: Command = {
  path: ["benchmark", "run"],
  summary:
    "the field's protocol: SpERT's ADE folds, the study's models trained per fold, scored as SpERT scores (notebook 08's run)",
  usage: RUN_USAGE,
  async run(flags) {
    const values = flagsOf(
      flags.args,
      {
        profile: { type: "string" },
        folds: { type: "string" },
        "spert-dir": { type: "string" },
        out: { type: "string" },
      },
      RUN_USAGE,
    );
    const env = { ...process.env, ...(values.profile ? { ADEFLOW_PROFILE: values.profile } : {}) };
    const profile = currentProfile(env);
    const out = path.resolve(values.out ?? path.join(resultsDir(), "08-benchmark"));
    const started = Date.now();
    const setup = await prepareBenchmark(profile, { spertDir: values["spert-dir"] });
    const folds = parseFolds(values.folds);
    for (const k of folds ?? [])
      if (k >= setup.data.folds.length)
        throw new AdeflowError(`--folds: fold ${k} does not exist (folds 0..${setup.data.folds.length - 1})`);
    const results = runBenchmark(setup, { folds, outDir: out, log: (l) => console.error(l) });
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
  usage: SCORE_USAGE,
  async run(flags) {
    const values = flagsOf(
      flags.args,
      {
        predictions: { type: "string" },
        fold: { type: "string" },
        "spert-dir": { type: "string" },
        json: { type: "boolean" },
      },
      SCORE_USAGE,
    );
    if (!values.predictions) throw new AdeflowError(`--predictions FILE is required\nusage: ${SCORE_USAGE}`);
    if (values.fold !== undefined && !/^\d+$/.test(values.fold))
      throw new AdeflowError(`--fold ${values.fold}: expected a fold number`);
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
