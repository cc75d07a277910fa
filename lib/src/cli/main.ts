import { AdeflowError } from "../errors";
import { parseFlags, type Command } from "./command";
import { dataExportCommand, dataStatsCommand } from "./data";
import { labCommand, reproduceCommand, setupCommand } from "./jupyter-commands";
import { predictCommand } from "./predict";
import { encodeCommand } from "./encode";
import { benchCommand } from "./bench";
import { resultsCommand } from "./results";
import { screenshotsCommand } from "./screenshots";
import { benchmarkRunCommand, benchmarkScoreCommand } from "./benchmark";

/** Every sub-command of `adeflow`; optional ones register themselves in `extraCommands` below. */
export const commands: Command[] = [dataStatsCommand, dataExportCommand, setupCommand, reproduceCommand, labCommand, predictCommand, encodeCommand, benchCommand, resultsCommand, screenshotsCommand, benchmarkRunCommand, benchmarkScoreCommand];

function help(): string {
  return ["usage: adeflow <command> [options]", "", ...commands.map((c) => `  ${c.usage}\n      ${c.summary}`)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(help());
    return argv.length === 0 ? 2 : 0;
  }
  const command = commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!command) {
    console.error(`adeflow: unknown command "${argv.join(" ")}"\n\n${help()}`);
    return 2;
  }
  try {
    await command.run(parseFlags(argv.slice(command.path.length)));
    return 0;
  } catch (err) {
    if (err instanceof AdeflowError) {
      console.error(`adeflow ${command.path.join(" ")}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
