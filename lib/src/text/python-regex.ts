/**
 * Python's `re` classes written for JavaScript's `u` regexes. The study's pipeline ran Python regexes over
 * `str`, where `\w`, `\d`, `\s` and `\b` are Unicode-aware; JavaScript's are ASCII-only. Porting them
 * literally would give different tokens on any non-ASCII sentence, so every ported pattern uses these.
 */

/** Python `\w` on str: alphanumeric (letters and numbers of any script) or underscore. */
export const PY_W = "[\\p{L}\\p{N}_]";
/** Python `\W`. */
export const PY_NOT_W = "[^\\p{L}\\p{N}_]";
/** Python `\d` on str: decimal digits of any script (category Nd). */
export const PY_D = "\\p{Nd}";
/** The characters of Python's `str.isspace()` (JavaScript's `\s` lacks \x1c-\x1f and \x85, and adds \ufeff). */
export const PY_S_CHARS =
  "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
export const PY_S = `[${PY_S_CHARS}]`;
/** Python `\b`: a position between a word character and a non-word character (or the string's edge). */
export const PY_B = `(?:(?<=${PY_W})(?!${PY_W})|(?<!${PY_W})(?=${PY_W}))`;

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(new RegExp(`^${PY_S}+|${PY_S}+$`, "gu"), "");
}

/** Python's `str.split()` with no argument: split on runs of whitespace, no empty strings. */
export function pySplit(s: string): string[] {
  return s.split(new RegExp(`${PY_S}+`, "u")).filter((w) => w !== "");
}

/** Python's `str.replace(old, new)`: every non-overlapping occurrence, left to right, literal. */
export function pyReplaceAll(s: string, old: string, replacement: string): string {
  if (old === "") {
    // Python inserts `replacement` between every character and at both ends.
    return replacement + Array.from(s).join(replacement) + replacement;
  }
  return s.split(old).join(replacement);
}
