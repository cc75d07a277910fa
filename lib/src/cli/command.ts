import { parseArgs } from "node:util";
import { AdeflowError } from "../errors";
import { PROFILES } from "../experiment/shared/profile";

/** One flag of a command: a string that takes a value (`--out DIR`) or a boolean switch (`--full`). */
export interface FlagSpec {
  type: "string" | "boolean";
  description: string;
  /** The value's placeholder in the usage line (`DIR`, `NAME`); strings only. */
  value?: string;
}

/**
 * One `adeflow` sub-command. `path` is the words that select it (`["data", "stats"]`); `flags` declares every
 * flag it accepts, and `run` receives the remaining arguments parsed strictly against them.
 */
export interface Command {
  path: string[];
  summary: string;
  flags: Record<string, FlagSpec>;
  /** What positional words mean (`TEXT`); a command without it accepts none. */
  positionals?: string;
  run(flags: Flags): Promise<void>;
}

/** `--name value` pairs and `--switch`es that were given; positional words in order. */
export interface Flags {
  values: Map<string, string>;
  switches: Set<string>;
  positional: string[];
}

/** A mistake on the command line: printed with the command's usage, exit status 2. */
export class UsageError extends AdeflowError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function usageLine(command: Command): string {
  const flags = Object.entries(command.flags).map(([name, spec]) =>
    spec.type === "string" ? `[--${name} ${spec.value ?? "VALUE"}]` : `[--${name}]`,
  );
  return ["adeflow", ...command.path, ...(command.positionals ? [`[${command.positionals}]`] : []), ...flags].join(" ");
}

/** `adeflow <command> --help`: the usage line, the summary and every flag with its meaning. */
export function commandHelp(command: Command): string {
  const entries = Object.entries(command.flags).map(([name, spec]) => [
    `--${name}${spec.type === "string" ? ` ${spec.value ?? "VALUE"}` : ""}`,
    spec.description,
  ]);
  entries.push(["--help", "this text"]);
  const width = Math.max(...entries.map(([f]) => f.length));
  return [
    `usage: ${usageLine(command)}`,
    "",
    command.summary,
    "",
    ...entries.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
  ].join("\n");
}

const knownFlags = (command: Command) => [...Object.keys(command.flags), "help"].map((f) => `--${f}`).join(", ");

/**
 * Parse a command's arguments with Node's `util.parseArgs` in strict mode: an unknown flag, a flag that needs a
 * value and has none, a value given to a switch or an unexpected positional word is a `UsageError` naming the
 * flags the command knows. Returns undefined when `--help` was asked for.
 */
export function parseFlags(command: Command, args: string[]): Flags | undefined {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [name, spec] of Object.entries(command.flags)) options[name] = { type: spec.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: command.positionals !== undefined });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(`${(err as Error).message.replace(/\.?\s*$/, "")}. Known flags: ${knownFlags(command)}`);
    }
    throw err;
  }
  if (parsed.values.help) return undefined;
  const flags: Flags = { values: new Map(), switches: new Set(), positional: [...parsed.positionals] };
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === "string") {
      if (value.trim() === "") throw new UsageError(`--${name} needs a value, got an empty one`);
      flags.values.set(name, value);
    } else if (value === true) flags.switches.add(name);
  }
  return flags;
}

/**
 * A numeric flag: absent gives `fallback`; present, it must be a finite number (an integer when asked) within
 * [min, max], or the error says which flag, what was given and what is allowed.
 */
export function numberFlag(
  flags: Flags,
  name: string,
  fallback: number,
  rule: { integer?: boolean; min?: number; max?: number } = {},
): number {
  const raw = flags.values.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = rule.integer ? "an integer" : "a number";
  const range = [rule.min !== undefined ? `>= ${rule.min}` : "", rule.max !== undefined ? `<= ${rule.max}` : ""]
    .filter(Boolean)
    .join(" and ");
  const ok =
    raw.trim() !== "" &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) throw new UsageError(`--${name} ${raw}: expected ${kind}${range ? ` ${range}` : ""}`);
  return value;
}

/** A comma-separated list flag whose items must each be one of `allowed`. */
export function listFlag<T extends string>(
  flags: Flags,
  name: string,
  fallback: readonly T[],
  allowed: readonly T[],
): T[] {
  const raw = flags.values.get(name);
  if (raw === undefined) return [...fallback];
  const items = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
  if (bad.length || items.length === 0)
    throw new UsageError(
      `--${name} ${raw}: ${bad.length ? `unknown ${bad.join(", ")}; ` : ""}expected a comma-separated list of ${allowed.join(", ")}`,
    );
  return items as T[];
}

/** A `--profile` flag: its value lists the profiles, and `profileFlag` checks it. */
export function profileFlagSpec(description: string): FlagSpec {
  return { type: "string", value: Object.keys(PROFILES).join("|"), description };
}

/** The `--profile` value, checked against the profiles (a usage error, exit 2, names them); undefined if unset. */
export function profileFlag(flags: Flags): string | undefined {
  const value = flags.values.get("profile");
  if (value !== undefined && !(value in PROFILES))
    throw new UsageError(`--profile ${value}: expected one of ${Object.keys(PROFILES).join(", ")}`);
  return value;
}
