import { PY_B, PY_D, PY_S } from "./python-regex";

/**
 * NLTK's `TreebankWordTokenizer` (NLTK 3.8), ported rule for rule, with its `span_tokenize`.
 *
 * The study's pipeline draws its IOB tags over these tokens, not over whitespace words, so the port has to be
 * exact: "cannot" becomes two tokens ("can", "not"), which shifts the labels of every later word when the
 * study pairs tags with `text.split()`. Reproducing that quirk is what makes the tags equal the study's.
 */

type Rule = [RegExp, string];
const re = (source: string, flags = "") => new RegExp(source, `gu${flags}`);
/** Python's `$` (without MULTILINE) also matches before one trailing newline. */
const PY_END = "(?=\\n?$)";

const STARTING_QUOTES: Rule[] = [
  [re('^"'), "``"],
  [re("(``)"), " $1 "],
  [re("([ \\(\\[{<])(\"|'{2})"), "$1 `` "],
];

const PUNCTUATION: Rule[] = [
  [re(`([:,])([^${PY_D}])`), " $1 $2"],
  [re(`([:,])${PY_END}`), " $1 "],
  [re("\\.\\.\\."), " ... "],
  [re("[;@#$%&]"), " $& "],
  // the final period
  [re(`([^\\.])(\\.)([\\]\\)}>"']*)${PY_S}*${PY_END}`), "$1 $2$3 "],
  [re("[?!]"), " $& "],
  [re("([^'])' "), "$1 ' "],
];

const PARENS_BRACKETS: Rule = [re("[\\]\\[(){}<>]"), " $& "];
const DOUBLE_DASHES: Rule = [re("--"), " -- "];

const ENDING_QUOTES: Rule[] = [
  [re("''"), " '' "],
  [re('"'), " '' "],
  [re("([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "],
  [re("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "],
];

// MacIntyre's contractions, case-insensitive like NLTK's (?i) patterns.
const CONTRACTIONS2: RegExp[] = [
  re(`${PY_B}(can)(not)${PY_B}`, "i"),
  re(`${PY_B}(d)('ye)${PY_B}`, "i"),
  re(`${PY_B}(gim)(me)${PY_B}`, "i"),
  re(`${PY_B}(gon)(na)${PY_B}`, "i"),
  re(`${PY_B}(got)(ta)${PY_B}`, "i"),
  re(`${PY_B}(lem)(me)${PY_B}`, "i"),
  re(`${PY_B}(more)('n)${PY_B}`, "i"),
  re(`${PY_B}(wan)(na)(?=${PY_S})`, "i"),
];
const CONTRACTIONS3: RegExp[] = [re(` ('t)(is)${PY_B}`, "i"), re(` ('t)(was)${PY_B}`, "i")];

const applyRules = (text: string, rules: Rule[]): string =>
  rules.reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);

/** Python's `str.split()`. */
const splitWhitespace = (s: string): string[] => s.split(new RegExp(`${PY_S}+`, "u")).filter((w) => w !== "");

export function treebankTokenize(input: string): string[] {
  let text = applyRules(input, STARTING_QUOTES);
  text = applyRules(text, PUNCTUATION);
  text = applyRules(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = ` ${text} `;
  text = applyRules(text, ENDING_QUOTES);
  for (const pattern of CONTRACTIONS2) text = text.replace(pattern, " $1 $2 ");
  for (const pattern of CONTRACTIONS3) text = text.replace(pattern, " $1 $2 ");
  return splitWhitespace(text);
}

export type Span = [start: number, end: number];

/** NLTK's `align_tokens`: find each token in order, starting where the previous one ended. */
export function alignTokens(tokens: readonly string[], sentence: string): Span[] {
  let point = 0;
  return tokens.map((token) => {
    const start = sentence.indexOf(token, point);
    if (start < 0) throw new Error(`substring ${JSON.stringify(token)} not found in ${JSON.stringify(sentence)}`);
    point = start + token.length;
    return [start, point] as Span;
  });
}

/** `TreebankWordTokenizer.span_tokenize`: character spans of the tokens in the original text. */
export function treebankSpans(text: string): Span[] {
  const raw = treebankTokenize(text);
  let tokens = raw;
  if (text.includes('"') || text.includes("''")) {
    // Quotes were rewritten to `` and ''; put back the original characters before aligning.
    const matched = Array.from(text.matchAll(/``|'{2}|"/g), (m) => m[0]);
    tokens = raw.map((tok) => (tok === '"' || tok === "``" || tok === "''" ? (matched.shift() as string) : tok));
  }
  return alignTokens(tokens, text);
}
