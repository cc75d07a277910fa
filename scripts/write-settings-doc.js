#!/usr/bin/env node
// Writes the table of environment variables (lib/src/settings.ts) into docs/settings.md between its markers.
// Run after `npm run build`; `lib/test/integration/settings.test.ts` fails while the page's copy is out of date.
const fs = require("node:fs");
const path = require("node:path");
const { pageWithSettings, SETTINGS_DOC_START, SETTINGS_DOC_END } = require("../lib/dist/src/settings.js");
const { writeFileAtomic } = require("../lib/dist/src/io");

const file = path.join(__dirname, "..", "docs", "settings.md");
const updated = pageWithSettings(fs.readFileSync(file, "utf8"));
if (updated === undefined) {
  console.error(`${file}: needs the markers ${SETTINGS_DOC_START} and ${SETTINGS_DOC_END}, in that order`);
  process.exit(1);
}
writeFileAtomic(file, updated);
console.log(`settings table written into ${file}`);
