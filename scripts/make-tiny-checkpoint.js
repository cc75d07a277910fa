#!/usr/bin/env node
// Regenerates lib/test/fixtures/tiny-bert (deterministic). Build first: `npx tsc -b`.
// Usage: node scripts/make-tiny-checkpoint.js [OUT_DIR]   (corpus from env ADE_CORPUS_DIR)
const path = require("node:path");
const { writeTinyCheckpoint } = require("../lib/dist/test/support/tiny.js");

const out = path.resolve(process.argv[2] ?? path.join(__dirname, "..", "lib", "test", "fixtures", "tiny-bert"));
const files = writeTinyCheckpoint(out);
for (const [name, data] of Object.entries(files))
  console.log(`${path.join(out, name)}  ${Buffer.byteLength(data)} bytes`);
