/** The benchmark's chart: each fold's scores side by side, the field's measures next to the study's. */
import { bar, COLORS, figure, type Figure } from "../viz/figure";
import type { FoldResult } from "./protocol";
import { foldHasRelations } from "./report";

const SHOWN: { name: string; of: (r: FoldResult) => number; color: string }[] = [
  { name: "NER macro F1 (field, strict)", of: (r) => r.scores.all.ner.macro.f1, color: COLORS.drug },
  { name: "RE macro F1 (field, strict)", of: (r) => r.scores.all.relationStrict.macro.f1, color: COLORS.effect },
  { name: "NER token macro F1 (study)", of: (r) => r.study_token.f1, color: COLORS.negative },
];

export function benchmarkFoldFigure(results: readonly FoldResult[]): Figure {
  const folds = results.map((r) => `fold ${r.fold}`);
  // a NER-only run has no relation scores to show
  const shown = results.some(foldHasRelations) ? SHOWN : SHOWN.filter((m) => !m.name.startsWith("RE"));
  return figure(
    shown.map((m) =>
      bar(
        folds,
        results.map((r) => 100 * m.of(r)),
        { name: m.name, marker: { color: m.color } },
      ),
    ),
    `Scores per fold (${results.length} of SpERT's 10 folds run)`,
    undefined,
    "F1 (%)",
    { barmode: "group" },
  );
}
