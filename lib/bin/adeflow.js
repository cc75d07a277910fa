#!/usr/bin/env node
// The `adeflow` command. The library is TypeScript compiled to lib/dist by `npm run build`.
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!fs.existsSync(entry)) {
  console.error(`adeflow: ${entry} is missing; build the library first with \`npm run build\``);
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
