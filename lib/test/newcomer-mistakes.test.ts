import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checksumProblem, crlfToLf, locateCorpus, sha256 } from "../src/corpus/locate";
import { AdeflowError } from "../src/errors";
import { repoRoot } from "../src/paths";

const LINES = "10030778|Intravenous azithromycin-induced ototoxicity.|ototoxicity|43|54|azithromycin|22|34\n1 NEG x\n";
const crlf = (s: string) => Buffer.from(s.replace(/\n/g, "\r\n"));

test("a checksum mismatch caused by CRLF line endings says so and how to convert the file back", () => {
  const expected = sha256(Buffer.from(LINES));
  assert.equal(checksumProblem(Buffer.from(LINES), expected, "/c/DRUG-AE.rel"), undefined);
  assert.deepEqual(crlfToLf(crlf(LINES)), new Uint8Array(Buffer.from(LINES)));
  const windows = checksumProblem(crlf(LINES), expected, "/c/DRUG-AE.rel")!;
  assert.match(
    windows,
    /^SHA-256 checksum mismatch \(expected [0-9a-f]{64}, found [0-9a-f]{64}\) because the file has Windows line endings \(CRLF\)/,
  );
  assert.match(windows, /with LF endings it is the right file/);
  assert.match(windows, /`dos2unix \/c\/DRUG-AE\.rel`/);
  assert.match(windows, /git config core\.autocrlf false/);
  assert.ok(!windows.includes("\n"), "one line");
  // CRLF, and other bytes too: the line endings are named, and that they are not the whole story
  const edited = checksumProblem(crlf(LINES + "1 NEG y\n"), expected, "/c/DRUG-AE.rel")!;
  assert.match(edited, /Windows line endings \(CRLF\), but with LF endings it still differs/);
  // LF and other bytes: no word of line endings
  const other = checksumProblem(Buffer.from(LINES + "more\n"), expected, "/c/DRUG-AE.rel")!;
  assert.doesNotMatch(other, /CRLF/);
  assert.match(other, /not the public ADE Corpus V2 file/);
});

test("a corpus setting that names a file says it is a file, not that a corpus file is missing inside it", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-corpus-file-"));
  const file = path.join(dir, "DRUG-AE.rel");
  fs.writeFileSync(file, LINES);
  await assert.rejects(locateCorpus({ corpusDir: file }), (err: unknown) => {
    assert.ok(err instanceof AdeflowError);
    assert.equal(
      err.message,
      `${file} (from --corpus-dir) is a file, not a folder; DRUG-AE.rel is one of the corpus files, so --corpus-dir should name its folder, ${dir}`,
    );
    return true;
  });
  const other = path.join(dir, "corpus.zip");
  fs.writeFileSync(other, "PK");
  const before = process.env.ADE_CORPUS_DIR;
  process.env.ADE_CORPUS_DIR = other;
  try {
    await assert.rejects(
      locateCorpus(),
      new RegExp(
        `^AdeflowError: ${other.replace(/[.]/g, "\\.")} \\(from ADE_CORPUS_DIR\\) is a file, not a folder; it should name the folder that holds DRUG-AE\\.rel, ADE-NEG\\.txt, DRUG-DOSE\\.rel$`,
      ),
    );
  } finally {
    if (before === undefined) delete process.env.ADE_CORPUS_DIR;
    else process.env.ADE_CORPUS_DIR = before;
  }
  // through the command: one line, exit status 1, no stack trace
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot(), "lib", "bin", "adeflow.js"), "data", "stats", "--corpus-dir", file],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /is a file, not a folder/);
});

const CHECK = path.join(repoRoot(), "scripts", "check-node.js");
const checkNode = (version?: string) =>
  spawnSync(process.execPath, [CHECK, ...(version ? ["--node", version] : [])], { encoding: "utf8" });

test("a Node outside package.json's engines is told which versions work, in one line, before anything runs", () => {
  const range = JSON.parse(fs.readFileSync(path.join(repoRoot(), "package.json"), "utf8")).engines.node;
  assert.equal(range, ">=20 <23");
  for (const old of ["18.19.0", "19.9.0", "v16.20.2", "23.0.0", "24.1.0"]) {
    const r = checkNode(old);
    assert.equal(r.status, 1, old);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `adeflow needs Node.js 20, 21 or 22 (package.json "engines": ">=20 <23"), and this is Node.js ${old.replace(/^v/, "")} ` +
        `(${process.execPath}); stopped before anything was built or run. Install a supported Node.js (e.g. \`nvm install 22\`, or https://nodejs.org/), then run the command again.\n`,
    );
  }
  for (const ok of ["20.0.0", "20.19.1", "21.7.3", "22.12.0"]) assert.equal(checkNode(ok).status, 0, ok);
  // this Node is a supported one (the tests run on it)
  assert.equal(checkNode().status, 0);
});

test("the range reader: comparators, partial versions, caret, tilde and alternatives", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const check = require(CHECK) as {
    satisfies(v: string, r: string): boolean;
    majorsIn(r: string): number[];
    describeMajors(m: number[]): string;
  };
  assert.equal(check.satisfies("20.0.0", ">=20 <23"), true);
  assert.equal(check.satisfies("22.99.1", ">=20 <23"), true);
  assert.equal(check.satisfies("23.0.0", ">=20 <23"), false);
  assert.equal(check.satisfies("20.18.9", "^20.19.0 || ^22.13.0"), false);
  assert.equal(check.satisfies("22.13.0", "^20.19.0 || ^22.13.0"), true);
  assert.equal(check.satisfies("20.9.5", "~20.9"), true);
  assert.equal(check.satisfies("20.10.0", "~20.9"), false);
  assert.equal(check.satisfies("20.3.0", "20.x"), true);
  assert.equal(check.satisfies("21.0.0", ">20"), true);
  assert.equal(check.satisfies("20.5.0", ">20"), false);
  assert.equal(check.satisfies("20.5.0", "<=20"), true);
  assert.equal(check.describeMajors(check.majorsIn(">=20 <23")), "20, 21 or 22");
  assert.equal(check.describeMajors(check.majorsIn(">= 20")), "20 or later");
});

test("npm start, setup, test and ci run the check first", () => {
  const scripts = JSON.parse(fs.readFileSync(path.join(repoRoot(), "package.json"), "utf8")).scripts as Record<
    string,
    string
  >;
  for (const name of ["start", "setup", "test", "test:unit", "test:integration", "reproduce", "lab", "bench"])
    assert.match(scripts[name], /^node scripts\/check-node\.js && /, name);
  // npm ci and npm install run the root's preinstall once the packages are unpacked
  assert.equal(scripts.preinstall, "node scripts/check-node.js");
  // no syntax an old Node cannot read (it must be able to run the check to be told it is too old)
  const source = fs
    .readFileSync(CHECK, "utf8")
    .replace(/\/\/.*$/gm, "")
    .replace(/\/\*[\s\S]*?\*\//g, "");
  assert.doesNotMatch(source, /\?\?|\?\.|require\("node:/);
});
