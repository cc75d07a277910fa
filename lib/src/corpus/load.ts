import * as fs from "node:fs";
import * as path from "node:path";
import { locateCorpus, type LocateOptions } from "./locate";
import { parseDrugDoseRelations, parseDrugEffectRelations, parseNegativeSentences } from "./parse";
import type { Corpus } from "./records";

/** Read the corpus from a folder already verified (or chosen by `locateCorpus`). */
export function readCorpus(dir: string): Corpus {
  const read = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
  const ae = parseDrugEffectRelations(read("DRUG-AE.rel"), path.join(dir, "DRUG-AE.rel"));
  const neg = parseNegativeSentences(read("ADE-NEG.txt"), path.join(dir, "ADE-NEG.txt"));
  const dose = parseDrugDoseRelations(read("DRUG-DOSE.rel"), path.join(dir, "DRUG-DOSE.rel"));
  return {
    dir,
    relations: ae.records,
    negatives: neg.records,
    doses: dose.records,
    skippedBlankLines: {
      "DRUG-AE.rel": ae.skippedBlankLines,
      "ADE-NEG.txt": neg.skippedBlankLines,
      "DRUG-DOSE.rel": dose.skippedBlankLines,
    },
  };
}

/** Locate (download if needed), verify and parse the corpus. */
export async function loadCorpus(options: LocateOptions = {}): Promise<Corpus> {
  const location = await locateCorpus(options);
  return readCorpus(location.dir);
}
