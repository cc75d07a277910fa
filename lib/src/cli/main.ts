import { AdeflowError, describeFault } from "../errors";
import { settingsText } from "../settings";
import { commandHelp, parseFlags, UsageError, usageLine, type Command } from "./command";
import { dataExportCommand, dataStatsCommand } from "./data";
import { labCommand, reproduceCommand, setupCommand } from "./jupyter-commands";
import { predictCommand } from "./predict";
import { exportCommand } from "./export";
import { encodeCommand } from "./encode";
import { benchCommand } from "./bench";
import { resultsCommand } from "./results";
import { screenshotsCommand } from "./screenshots";
import { benchmarkRunCommand, benchmarkScoreCommand } from "./benchmark";

/** Every sub-command of `adeflow`. */
export const commands: Command[] = [
  dataStatsCommand,
  dataExportCommand,
  setupCommand,
  reproduceCommand,
  labCommand,
  predictCommand,
  exportCommand,
  encodeCommand,
  benchCommand,
  resultsCommand,
  screenshotsCommand,
  benchmarkRunCommand,
  benchmarkScoreCommand,
];

export function help(): string {
  return [
    "usage: adeflow <command> [options]   (adeflow <command> --help for its flags)",
    "",
    ...commands.map((c) => `  ${usageLine(c)}\n      ${c.summary}`),
    "",
    "environment (folders relative to the current folder; commands hand them to the kernel absolute):",
    settingsText(),
  ].join("\n");
}

/** The command selected by the leading words of `argv` (the longest match), if any. */
export function findCommand(argv: string[]): Command | undefined {
  return commands
    .filter((c) => c.path.every((word, i) => argv[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
}

/**
 * Run `adeflow` with these arguments; resolves to the exit status: 0 done, 1 a failure the message explains,
 * 2 a mistake on the command line. Only a bug in adeflow itself rejects (with its stack trace).
 */
export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    console.log(help());
    return argv.length === 0 ? 2 : 0;
  }
  const command = findCommand(argv);
  if (!command) {
    console.error(`adeflow: unknown command "${argv.join(" ")}"\n\n${help()}`);
    return 2;
  }
  const name = `adeflow ${command.path.join(" ")}`;
  try {
    const flags = parseFlags(command, argv.slice(command.path.length));
    if (!flags) {
      console.log(commandHelp(command));
      return 0;
    }
    await command.run(flags);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${name}: ${err.message}\nusage: ${usageLine(command)}`);
      return 2;
    }
    if (err instanceof AdeflowError) {
      console.error(`${name}: ${err.message}`);
      return 1;
    }
    const fault = describeFault(err);
    if (fault) {
      console.error(`${name}: ${fault}`);
      return 1;
    }
    throw err;
  }
}
