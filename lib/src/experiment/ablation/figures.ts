/** The ablation's charts: tag shares inside and outside entities, and each arm's mean with one standard deviation. */
import { bar, COLORS, figure, type Figure } from "../../viz/figure";
import type { TagDistribution } from "../../pos/stats";
import type { ArmSummaryRow } from "./report";

export function tagDistributionFigure(d: TagDistribution): Figure {
  const rows = d.rows.filter((r) => r.inside + r.outside > 0);
  const tags = rows.map((r) => r.tag);
  return figure(
    [
      bar(
        tags,
        rows.map((r) => r.outside_share),
        { name: `outside entities (${d.outsideWords} words)`, marker: { color: COLORS.negative } },
      ),
      bar(
        tags,
        rows.map((r) => r.inside_share),
        { name: `entity masks DRUG / EFFECT (${d.insideWords} words)`, marker: { color: COLORS.effect } },
      ),
    ],
    "Part-of-speech tags of the RE input words, inside and outside entities",
    "tag (Universal Dependencies, wink-nlp)",
    "share of the words",
    { barmode: "group" },
  );
}

/** Grouped bars per measure, one bar per arm, error bars of one seed-to-seed standard deviation. */
export function ablationFigure(
  summary: readonly ArmSummaryRow[],
  measures: readonly string[],
  title: string,
  yTitle: string,
): Figure {
  const arms = [...new Set(summary.map((r) => r.arm))];
  const color = (arm: string) => (arm === "with POS" ? COLORS.drug : COLORS.negative);
  return figure(
    arms.map((arm) => {
      const rows = measures.map((m) => summary.find((r) => r.arm === arm && r.measure === m));
      return bar(
        [...measures],
        rows.map((r) => r?.mean ?? null),
        {
          name: `${arm} (${rows[0]?.n ?? 0} seeds)`,
          marker: { color: color(arm) },
          error_y: { type: "data", array: rows.map((r) => (r && Number.isFinite(r.std) ? r.std : 0)), visible: true },
        },
      );
    }),
    title,
    undefined,
    yTitle,
    { barmode: "group" },
  );
}
