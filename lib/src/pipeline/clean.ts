import { PY_B, PY_D, PY_S, PY_S_CHARS, PY_W } from "../text/python-regex";

/**
 * The study's text cleaning, applied alike to sentence, drug and effect (Python `re` semantics kept):
 * 1. replace with a space: a possessive `'s`, and any character that is not a word character, whitespace,
 *    a quote, `.` or `=`, and any `.` that is not between digits (decimals like `0.2` and `x=1.2` survive);
 * 2. remove the remaining quotes; 3. remove a trailing period; 4. collapse whitespace;
 * 5. write `x = 1.2` as `x=1.2`.
 * Step 1 also has a negative look-ahead in the study's pattern; it can never block a match of the second
 * alternative (that one always starts at a non-word, non-digit character), but it is kept to stay literal.
 */
const PUNCTUATION = new RegExp(
  `('s${PY_B})|(?!(?:${PY_B}${PY_W}+${PY_B}|${PY_D}+(?:\\.${PY_D}+)?|[a-zA-Z]=${PY_D}+(?:\\.${PY_D}+)?))` +
    `([^\\p{L}\\p{N}_${PY_S_CHARS}'.=]|(?<!${PY_D})\\.(?!${PY_D}))`,
  "gu",
);
const TRAILING_PERIOD = new RegExp(`\\.${PY_S}*(?=\\n?$)`, "gu");
const WHITESPACE_RUN = new RegExp(`${PY_S}+`, "gu");
const SPACED_EQUALS = new RegExp(`(${PY_B}${PY_W})${PY_S}*=${PY_S}*`, "gu");

export function cleanText(s: string): string {
  let t = s.replace(PUNCTUATION, " ");
  t = t.split("'").join("");
  t = t.replace(TRAILING_PERIOD, "");
  t = t.replace(WHITESPACE_RUN, " ");
  t = t.replace(SPACED_EQUALS, "$1=");
  return t;
}
