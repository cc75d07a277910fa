import { bar, COLORS, figure, histogram, scatter, type Figure } from "../viz/figure";
import { round, type ValueCount } from "./describe";
import type { EntityFrequency, EntityMention, LongTail } from "./entities";
import type { SentenceLengths } from "./sentences";

/** The EDA notebook's figures, built from the statistics above (data in, plotly figure out; no I/O). */

export function relationsPerSentenceChart(histogram: readonly ValueCount[]): Figure {
  return figure(
    [
      bar(
        histogram.map((h) => h.value),
        histogram.map((h) => h.count),
        { marker: { color: COLORS.positive }, text: histogram.map((h) => h.count), textposition: "outside" },
      ),
    ],
    "Distinct drug-effect pairs per positive sentence",
    "pairs in the sentence",
    "sentences (log scale)",
    { xaxis: { dtick: 1 }, yaxis: { type: "log" } },
  );
}

/** Mentions by length in words, drugs beside effects, as shares of each kind's mentions. */
export function entityWordLengthChart(mentions: readonly EntityMention[], maxWords = 10): Figure {
  const traces = (["drug", "effect"] as const).map((kind) => {
    const m = mentions.filter((x) => x.kind === kind);
    const xs = Array.from({ length: maxWords }, (_, i) => i + 1);
    const share = xs.map(
      (w) => (w < maxWords ? m.filter((x) => x.words === w) : m.filter((x) => x.words >= w)).length / (m.length || 1),
    );
    return bar(
      xs.map((w) => (w < maxWords ? String(w) : `${w}+`)),
      share,
      { name: `${kind} (${m.length} mentions)`, marker: { color: COLORS[kind] } },
    );
  });
  return figure(
    traces,
    "Entity length in words: drugs are short, effects are phrases",
    "words in the mention",
    "share of mentions",
    {
      barmode: "group",
      xaxis: { type: "category" },
      yaxis: { tickformat: ".0%" },
    },
  );
}

/** The most frequent names, as horizontal bars (most frequent on top). */
export function topEntitiesChart(freqs: readonly EntityFrequency[], kind: "drug" | "effect", top = 20): Figure {
  const rows = freqs.slice(0, top).reverse();
  return figure(
    [
      bar(
        rows.map((f) => f.sentences),
        rows.map((f) => f.name),
        { orientation: "h", marker: { color: COLORS[kind] } },
      ),
    ],
    `The ${top} most frequent ${kind}s (case-folded)`,
    "sentences mentioning it",
    undefined,
    { height: 120 + 22 * rows.length, margin: { l: 10 } },
  );
}

/** Cumulative share of mentions covered by the k most frequent names: the long tail, drugs vs effects. */
export function longTailChart(tails: readonly LongTail[]): Figure {
  return figure(
    tails.map((t) =>
      scatter(
        t.coverage.map((_, i) => i + 1),
        t.coverage.map((c) => round(c, 4)),
        { name: `${t.kind} (${t.distinct} distinct names)`, line: { color: COLORS[t.kind] } },
      ),
    ),
    "Long tail: share of mentions covered by the k most frequent names",
    "k most frequent names (log scale)",
    "share of mentions covered",
    { xaxis: { type: "log" }, yaxis: { tickformat: ".0%", range: [0, 1] } },
  );
}

/** Sentence length in words, positive vs negative sentences, each normalized to a distribution. */
export function sentenceLengthChart(lengths: SentenceLengths): Figure {
  const trace = (xs: number[], name: string, color: string) =>
    histogram(xs, {
      name: `${name} (${xs.length} sentences)`,
      histnorm: "probability",
      xbins: { start: 0, size: 2 },
      opacity: 0.6,
      marker: { color },
    });
  return figure(
    [
      trace(lengths.positive, "positive (DRUG-AE)", COLORS.positive),
      trace(lengths.negative, "negative (ADE-NEG)", COLORS.negative),
    ],
    "Sentence length in words: positive vs negative sentences",
    "words in the sentence",
    "share of sentences",
    { barmode: "overlay", yaxis: { tickformat: ".0%" } },
  );
}
