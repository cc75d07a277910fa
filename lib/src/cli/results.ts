import * as path from "node:path";
import { lastRunReport, writeLastRunIntoReadme } from "../experiment/report/last-run";
import { repoRoot, resultsDir } from "../paths";
import type { Command } from "./command";

export const resultsCommand: Command = {
  path: ["results"],
  summary:
    "the test scores of the last run in results/, with date, profile, model, backend and seed (--readme writes them into README.md)",
  flags: { readme: { type: "boolean", description: "write the table between the markers in README.md" } },
  async run(flags) {
    const dir = resultsDir();
    if (flags.switches.has("readme")) {
      const readme = path.join(repoRoot(), "README.md");
      console.log(writeLastRunIntoReadme(readme, dir));
      console.log(`\nwritten into ${readme}`);
    } else {
      console.log(lastRunReport(dir));
    }
  },
};
