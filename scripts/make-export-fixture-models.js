#!/usr/bin/env node
// Writes the small deterministic NER and RE models of lib/test/support/export-models.ts and exports them to
// OUT/export/ner and OUT/export/re, for scripts/hf_export_reference.py (which runs it). Build first: `npm run build`.
// Usage: node scripts/make-export-fixture-models.js OUT
const path = require("node:path");
const { writeFixtureModels } = require("../lib/dist/test/support/export-models.js");

const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/make-export-fixture-models.js OUT");
  process.exit(2);
}
writeFixtureModels(path.resolve(out)).then(
  (r) => console.log(JSON.stringify({ ner: r.ner.dir, re: r.re.dir })),
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
