/**
 * One `adeflow` sub-command. `path` is the words that select it (`["data", "stats"]`),
 * `run` receives the remaining arguments already parsed by `parseFlags`.
 */
export interface Command {
  path: string[];
  summary: string;
  usage: string;
  run(flags: Flags): Promise<void>;
}

/** `--name value` pairs and bare `--switch`es; positional words are kept in order. */
export interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  positional: string[];
  /** The arguments as given, for a command that declares its own flags (`util.parseArgs`). */
  args: string[];
}

export function parseFlags(args: string[], booleanFlags: readonly string[] = []): Flags {
  const flags: Flags = { values: new Map(), switches: new Set(), positional: [], args: [...args] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      flags.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags.values.set(arg.slice(2, eq), arg.slice(eq + 1));
    } else if (booleanFlags.includes(arg.slice(2)) || i + 1 >= args.length || args[i + 1].startsWith("--")) {
      flags.switches.add(arg.slice(2));
    } else {
      flags.values.set(arg.slice(2), args[++i]);
    }
  }
  return flags;
}
