import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDrugDoseRelations, parseDrugEffectRelations, parseNegativeSentences } from "../../src/corpus/parse";
import { locateCorpus, verifyCorpusFile, downloadCorpusFile } from "../../src/corpus/locate";
import { readCorpus } from "../../src/corpus/load";
import { InputFileError } from "../../src/errors";
import { testCorpusDir } from "../helpers";

const good = "10030778|Intravenous azithromycin-induced ototoxicity.|ototoxicity|43|54|azithromycin|22|34";

test("a well-formed DRUG-AE line becomes a typed record with its source line", () => {
  const { records, skippedBlankLines } = parseDrugEffectRelations(`${good}\n\n${good}\r\n`, "x.rel");
  assert.equal(records.length, 2);
  assert.equal(skippedBlankLines, 1);
  assert.deepEqual(records[1], {
    pmid: "10030778",
    sentence: "Intravenous azithromycin-induced ototoxicity.",
    effect: "ototoxicity",
    effectBegin: 43,
    effectEnd: 54,
    drug: "azithromycin",
    drugBegin: 22,
    drugEnd: 34,
    source: { file: "x.rel", line: 3 },
  });
});

const bad: [string, string, RegExp][] = [
  ["wrong number of fields", "1|a b|a|0|1|b|2", /x\.rel:2: expected 8 pipe-separated fields .* found 7/],
  [
    "non-numeric offset",
    "1|a b|a|zero|1|b|2|3",
    /x\.rel:2: field "effect begin" must be a non-negative integer offset, got "zero"/,
  ],
  ["inverted offsets", "1|a b|a|5|1|b|2|3", /x\.rel:2: effect end offset 1 is before its begin 5/],
  ["entity not in sentence", "1|a b|c|0|1|b|2|3", /x\.rel:2: effect "c" does not occur in its sentence/],
  ["drug not in sentence", "1|a b|a|0|1|z|2|3", /x\.rel:2: drug "z" does not occur in its sentence/],
  ["empty sentence", "1| |a|0|1|b|2|3", /x\.rel:2: field "sentence" is empty/],
  ["non-numeric PMID", "P1|a b|a|0|1|b|2|3", /x\.rel:2: field "PMID" must be numeric/],
];
for (const [what, line, message] of bad) {
  test(`DRUG-AE: ${what} fails naming file and line`, () => {
    assert.throws(
      () => parseDrugEffectRelations(`${good}\n${line}\n`, "x.rel"),
      (err: unknown) => {
        assert.ok(err instanceof InputFileError);
        assert.equal(err.line, 2);
        assert.match(err.message, message);
        return true;
      },
    );
  });
}

test("DRUG-DOSE names the dose field in its errors", () => {
  assert.throws(() => parseDrugDoseRelations("1|a b|a|x|1|b|2|3\n", "d.rel"), /d\.rel:1: field "dose begin"/);
  assert.equal(parseDrugDoseRelations("1|take 5 mg of b|5 mg|5|9|b|10|11\n").records[0].dose, "5 mg");
});

test("ADE-NEG lines need a PMID, the NEG marker and a sentence", () => {
  const ok = parseNegativeSentences("123 NEG A plain sentence.\n");
  assert.deepEqual(ok.records[0].sentence, "A plain sentence.");
  assert.throws(
    () => parseNegativeSentences("123 POS A sentence.\n", "n.txt"),
    /n\.txt:1: second field must be the marker "NEG"/,
  );
  assert.throws(() => parseNegativeSentences("123 NEG\n", "n.txt"), /n\.txt:1: expected "PMID NEG sentence"/);
  assert.throws(() => parseNegativeSentences("abc NEG x y\n", "n.txt"), /n\.txt:1: field "PMID" must be numeric/);
});

test("the shared corpus parses completely with the published counts", () => {
  const corpus = readCorpus(testCorpusDir());
  assert.equal(corpus.relations.length, 6821);
  assert.equal(corpus.negatives.length, 16695);
  assert.equal(corpus.doses.length, 279);
});

function tempCopyOfCorpus(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-corpus-"));
  for (const f of ["DRUG-AE.rel", "ADE-NEG.txt", "DRUG-DOSE.rel"])
    fs.copyFileSync(path.join(testCorpusDir(), f), path.join(dir, f));
  return dir;
}

test("a checksum mismatch names the file and both digests", () => {
  const dir = tempCopyOfCorpus();
  fs.appendFileSync(path.join(dir, "ADE-NEG.txt"), "1 NEG extra line\n");
  assert.throws(
    () => verifyCorpusFile(dir, "ADE-NEG.txt"),
    /ADE-NEG\.txt: SHA-256 checksum mismatch \(expected 8f506c15.*found /,
  );
});

test("a corpus file with Windows line endings is named as such, with the command that converts it back", () => {
  const dir = tempCopyOfCorpus();
  const file = path.join(dir, "DRUG-AE.rel");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/\n/g, "\r\n"));
  assert.throws(
    () => verifyCorpusFile(dir, "DRUG-AE.rel"),
    (err: Error) => {
      assert.match(err.message, /DRUG-AE\.rel: SHA-256 checksum mismatch \(expected 542cdc48/);
      assert.match(
        err.message,
        /because the file has Windows line endings \(CRLF\).*with LF endings it is the right file/,
      );
      assert.ok(err.message.includes(`dos2unix ${file}`));
      return true;
    },
  );
});

test("a missing file says how to get it", async () => {
  const dir = tempCopyOfCorpus();
  fs.rmSync(path.join(dir, "DRUG-DOSE.rel"));
  await assert.rejects(
    locateCorpus({ corpusDir: dir }),
    /DRUG-DOSE\.rel: missing corpus file\. Get the files from https:\/\/.*ADE_CORPUS_DIR/,
  );
});

test("a download that fails its checksum saves nothing; a good one is written whole", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-dl-"));
  const serve = (body: Uint8Array) => (async () => new Response(body)) as unknown as typeof fetch;
  await assert.rejects(
    downloadCorpusFile("DRUG-DOSE.rel", dir, {
      fetchImpl: serve(new TextEncoder().encode("not the corpus")),
      log: () => {},
    }),
    /fails its SHA-256 check.*nothing was saved/,
  );
  assert.deepEqual(fs.readdirSync(dir), []);
  const real = fs.readFileSync(path.join(testCorpusDir(), "DRUG-DOSE.rel"));
  await downloadCorpusFile("DRUG-DOSE.rel", dir, { fetchImpl: serve(real), log: () => {} });
  assert.deepEqual(fs.readdirSync(dir), ["DRUG-DOSE.rel"]);
  const offline = (async () => {
    throw new Error("getaddrinfo ENOTFOUND");
  }) as unknown as typeof fetch;
  await assert.rejects(
    downloadCorpusFile("ADE-NEG.txt", dir, { fetchImpl: offline, log: () => {} }),
    /Offline\? Set ADE_CORPUS_DIR/,
  );
});

test("a download shows bytes received with its size, and the file is still written whole", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-dl-progress-"));
  const real = fs.readFileSync(path.join(testCorpusDir(), "DRUG-DOSE.rel"));
  // served in four chunks, with its size announced as a server does
  const quarter = Math.ceil(real.length / 4);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < real.length; at += quarter)
        controller.enqueue(new Uint8Array(real.subarray(at, at + quarter)));
      controller.close();
    },
  });
  const serve = (async () =>
    new Response(stream, { headers: { "content-length": String(real.length) } })) as unknown as typeof fetch;
  const lines: string[] = [];
  await downloadCorpusFile("DRUG-DOSE.rel", dir, { fetchImpl: serve, log: (l) => lines.push(l), progress: "lines" });
  assert.deepEqual(fs.readFileSync(path.join(dir, "DRUG-DOSE.rel")), real);
  const bars = lines.filter((l) => l.startsWith("DRUG-DOSE.rel ["));
  assert.deepEqual(
    bars.map((l) => / (\d+)% /.exec(l)![1]),
    ["25", "50", "75", "100"],
  );
  assert.match(bars[3], / 100% \d+(\.\d)? kB\/\d+(\.\d)? kB · /);
});
