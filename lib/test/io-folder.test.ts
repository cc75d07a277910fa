/** A folder written whole: created, replaced with nothing of the old one left, refused for names that are not plain. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFolderAtomic } from "../src/io/folder";

test("writeFolderAtomic creates a folder, then replaces it whole, leaving no temporary beside it", () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-folder-"));
  const dir = path.join(parent, "out");
  writeFolderAtomic(
    dir,
    new Map<string, string | Uint8Array>([
      ["a.txt", "one"],
      ["b.bin", Uint8Array.from([1, 2, 3])],
    ]),
  );
  assert.deepEqual(fs.readdirSync(dir).sort(), ["a.txt", "b.bin"]);
  assert.deepEqual([...fs.readFileSync(path.join(dir, "b.bin"))], [1, 2, 3]);
  writeFolderAtomic(dir, new Map([["c.txt", "two"]]));
  assert.deepEqual(fs.readdirSync(dir), ["c.txt"], "the previous folder's files are gone with it");
  assert.deepEqual(fs.readdirSync(parent), ["out"]);
});

test("writeFolderAtomic refuses a name that is not a plain file name, before writing anything", () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-folder-"));
  for (const bad of ["../x", "sub/x", "", ".."])
    assert.throws(
      () => writeFolderAtomic(path.join(parent, "out"), new Map([[bad, "x"]])),
      /is not a plain file name/,
      bad,
    );
  assert.deepEqual(fs.readdirSync(parent), []);
});
