import { InputFileError } from "../errors";
import { pyStrip } from "../text/python-regex";
import type { DrugDoseRelation, DrugEffectRelation, NegativeSentence } from "./records";

/**
 * Parsers for the corpus files. Policy (documented in the README):
 * - blank lines are skipped and counted (a trailing newline or an editor's empty line is harmless);
 * - anything else malformed fails with the file and line: a wrong number of fields, a non-numeric or
 *   inverted offset, an empty sentence or entity, an entity that does not occur in its sentence, a NEG line
 *   without the `NEG` marker. Such a line means the file is not the corpus the method was run on, and
 *   skipping it would silently change every count downstream.
 *
 * Fields are kept exactly as the study's code read them (Python's `line.strip().split("|")`), because exact
 * duplicate detection later compares the raw strings.
 */

export interface Parsed<T> {
  records: T[];
  skippedBlankLines: number;
}

/** Python's universal-newline iteration: `\r\n`, `\r` and `\n` all end a line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function parseOffset(file: string, line: number, field: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InputFileError(
      file,
      line,
      `field "${field}" must be a non-negative integer offset, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value.trim());
}

interface PairFields {
  pmid: string;
  sentence: string;
  other: string;
  otherBegin: number;
  otherEnd: number;
  drug: string;
  drugBegin: number;
  drugEnd: number;
}

const PAIR_FIELD_NAMES = ["PMID", "sentence", "entity", "entity begin", "entity end", "drug", "drug begin", "drug end"];

function parsePairLine(file: string, lineNo: number, raw: string, otherName: string): PairFields {
  const fields = pyStrip(raw).split("|");
  if (fields.length !== 8) {
    throw new InputFileError(
      file,
      lineNo,
      `expected 8 pipe-separated fields (PMID|sentence|${otherName}|begin|end|drug|begin|end), found ${fields.length}`,
    );
  }
  const names = PAIR_FIELD_NAMES.map((n) => n.replace("entity", otherName));
  const [pmid, sentence, other, ob, oe, drug, db, de] = fields;
  if (!/^\d+$/.test(pmid.trim()))
    throw new InputFileError(file, lineNo, `field "PMID" must be numeric, got ${JSON.stringify(pmid)}`);
  const otherBegin = parseOffset(file, lineNo, names[3], ob);
  const otherEnd = parseOffset(file, lineNo, names[4], oe);
  const drugBegin = parseOffset(file, lineNo, names[6], db);
  const drugEnd = parseOffset(file, lineNo, names[7], de);
  if (otherEnd < otherBegin)
    throw new InputFileError(file, lineNo, `${otherName} end offset ${otherEnd} is before its begin ${otherBegin}`);
  if (drugEnd < drugBegin)
    throw new InputFileError(file, lineNo, `drug end offset ${drugEnd} is before its begin ${drugBegin}`);
  for (const [name, value] of [
    ["sentence", sentence],
    [otherName, other],
    ["drug", drug],
  ] as const) {
    if (value.trim() === "") throw new InputFileError(file, lineNo, `field "${name}" is empty`);
  }
  if (!sentence.includes(other)) {
    throw new InputFileError(file, lineNo, `${otherName} ${JSON.stringify(other)} does not occur in its sentence`);
  }
  if (!sentence.includes(drug)) {
    throw new InputFileError(file, lineNo, `drug ${JSON.stringify(drug)} does not occur in its sentence`);
  }
  return { pmid: pmid.trim(), sentence, other, otherBegin, otherEnd, drug, drugBegin, drugEnd };
}

function forEachLine(text: string, visit: (line: string, lineNo: number) => void): number {
  let blank = 0;
  splitLines(text).forEach((line, i) => {
    if (line.trim() === "") blank++;
    else visit(line, i + 1);
  });
  return blank;
}

/** `DRUG-AE.rel`: `PMID | sentence | effect | begin | end | drug | begin | end`. */
export function parseDrugEffectRelations(text: string, file = "DRUG-AE.rel"): Parsed<DrugEffectRelation> {
  const records: DrugEffectRelation[] = [];
  const skippedBlankLines = forEachLine(text, (raw, line) => {
    const f = parsePairLine(file, line, raw, "effect");
    records.push({
      pmid: f.pmid,
      sentence: f.sentence,
      effect: f.other,
      effectBegin: f.otherBegin,
      effectEnd: f.otherEnd,
      drug: f.drug,
      drugBegin: f.drugBegin,
      drugEnd: f.drugEnd,
      source: { file, line },
    });
  });
  return { records, skippedBlankLines };
}

/** `DRUG-DOSE.rel`: same layout as DRUG-AE.rel with a dose in place of the effect. */
export function parseDrugDoseRelations(text: string, file = "DRUG-DOSE.rel"): Parsed<DrugDoseRelation> {
  const records: DrugDoseRelation[] = [];
  const skippedBlankLines = forEachLine(text, (raw, line) => {
    const f = parsePairLine(file, line, raw, "dose");
    records.push({
      pmid: f.pmid,
      sentence: f.sentence,
      dose: f.other,
      doseBegin: f.otherBegin,
      doseEnd: f.otherEnd,
      drug: f.drug,
      drugBegin: f.drugBegin,
      drugEnd: f.drugEnd,
      source: { file, line },
    });
  });
  return { records, skippedBlankLines };
}

/** `ADE-NEG.txt`: `PMID NEG sentence` (single spaces, as the study's loader splits them). */
export function parseNegativeSentences(text: string, file = "ADE-NEG.txt"): Parsed<NegativeSentence> {
  const records: NegativeSentence[] = [];
  const skippedBlankLines = forEachLine(text, (raw, line) => {
    const parts = pyStrip(raw).split(" ");
    if (parts.length < 3)
      throw new InputFileError(file, line, `expected "PMID NEG sentence", found ${parts.length} space-separated parts`);
    const [pmid, marker] = parts;
    if (!/^\d+$/.test(pmid))
      throw new InputFileError(file, line, `field "PMID" must be numeric, got ${JSON.stringify(pmid)}`);
    if (marker !== "NEG")
      throw new InputFileError(file, line, `second field must be the marker "NEG", got ${JSON.stringify(marker)}`);
    const sentence = parts.slice(2).join(" ");
    if (sentence.trim() === "") throw new InputFileError(file, line, `field "sentence" is empty`);
    records.push({ pmid, sentence, source: { file, line } });
  });
  return { records, skippedBlankLines };
}
