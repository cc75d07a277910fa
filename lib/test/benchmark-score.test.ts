import { test } from "node:test";
import assert from "node:assert/strict";
import { scoreBenchmark, scoreSentences } from "../src/benchmark/score";
import { checkSentence, overlappingEntities, type BenchmarkSentence } from "../src/benchmark/dataset";
import { fixture, readJson } from "./helpers";

/**
 * SpERT's scorer on hand-made sentences; every expected value is counted out in the comments
 * (tp = true positives, pred = predicted items, gold = gold items; F1 = 2PR / (P + R)).
 */
const AE = "Adverse-Effect" as const;
const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual}, expected ${expected}`);

// "aspirin caused severe rash ." : Drug [0,1), effect [2,4), one relation
const aspirin: BenchmarkSentence = {
  tokens: ["aspirin", "caused", "severe", "rash", "."],
  entities: [
    { type: "Drug", start: 0, end: 1 },
    { type: AE, start: 2, end: 4 },
  ],
  relations: [{ type: AE, head: 1, tail: 0 }],
  orig_id: 0,
};
const withEntities = (
  s: BenchmarkSentence,
  entities: BenchmarkSentence["entities"],
  relations: BenchmarkSentence["relations"],
): BenchmarkSentence => ({ ...s, entities, relations });

test("an exact prediction scores 1 everywhere", () => {
  const s = scoreSentences([aspirin], [aspirin]);
  for (const scores of [s.ner, s.relationStrict, s.relationBoundaries]) {
    close(scores.micro.f1, 1, "micro F1");
    close(scores.macro.f1, 1, "macro F1");
  }
  assert.deepEqual(Object.keys(s.ner.perType), [AE, "Drug"]);
  assert.equal(s.ner.perType.Drug.support, 1);
});

test("an effect off by one token is wrong, and so is its relation", () => {
  // effect predicted as [3,4) "rash" instead of [2,4) "severe rash"
  const pred = withEntities(
    aspirin,
    [
      { type: "Drug", start: 0, end: 1 },
      { type: AE, start: 3, end: 4 },
    ],
    [{ type: AE, head: 1, tail: 0 }],
  );
  const s = scoreSentences([aspirin], [pred]);
  // Drug: tp 1, pred 1, gold 1 -> F1 1; effect: tp 0, pred 1, gold 1 -> 0
  close(s.ner.perType.Drug.f1, 1, "Drug F1");
  close(s.ner.perType[AE].f1, 0, "effect F1");
  close(s.ner.macro.f1, 0.5, "macro F1 = (1 + 0) / 2");
  // micro: tp 1, pred 2, gold 2 -> P = R = F1 = 0.5
  close(s.ner.micro.precision, 0.5, "micro P");
  close(s.ner.micro.f1, 0.5, "micro F1");
  // the relation's head span differs: tp 0, pred 1, gold 1, in both settings
  close(s.relationStrict.micro.f1, 0, "strict");
  close(s.relationBoundaries.micro.f1, 0, "boundaries");
});

test("a right span with the wrong type: a false positive of one type, a false negative of the other; only the boundaries setting forgives it", () => {
  // the drug's span predicted as an effect
  const pred = withEntities(
    aspirin,
    [
      { type: AE, start: 0, end: 1 },
      { type: AE, start: 2, end: 4 },
    ],
    [{ type: AE, head: 1, tail: 0 }],
  );
  const s = scoreSentences([aspirin], [pred]);
  // effect: tp 1, pred 2, gold 1 -> P 0.5, R 1, F1 2/3; Drug: tp 0, pred 0, gold 1 -> P 0, R 0, F1 0
  close(s.ner.perType[AE].precision, 0.5, "effect P");
  close(s.ner.perType[AE].recall, 1, "effect R");
  close(s.ner.perType[AE].f1, 2 / 3, "effect F1");
  close(s.ner.perType.Drug.f1, 0, "Drug F1");
  close(s.ner.macro.f1, 1 / 3, "macro F1 = (2/3 + 0) / 2");
  // micro: tp 1, pred 2, gold 2 -> 0.5
  close(s.ner.micro.f1, 0.5, "micro F1");
  // strict needs the tail's type: tp 0; boundaries only its span: tp 1 of 1
  close(s.relationStrict.micro.f1, 0, "strict");
  close(s.relationBoundaries.micro.f1, 1, "boundaries");
});

// "heparin - induced thrombocytopenia": the drug [0,1) lies inside the effect [0,4)
const heparin: BenchmarkSentence = {
  tokens: ["heparin", "-", "induced", "thrombocytopenia"],
  entities: [
    { type: "Drug", start: 0, end: 1 },
    { type: AE, start: 0, end: 4 },
  ],
  relations: [{ type: AE, head: 1, tail: 0 }],
  orig_id: 1,
};

test("overlapping entities: found by their spans, and left out with their sentence in the no-overlap view", () => {
  assert.deepEqual([...overlappingEntities(heparin)].sort(), [0, 1]);
  assert.equal(overlappingEntities(aspirin).size, 0);
  // a tagger with one label per token can give the drug and only part of the effect
  const pred = withEntities(
    heparin,
    [
      { type: "Drug", start: 0, end: 1 },
      { type: AE, start: 3, end: 4 },
    ],
    [{ type: AE, head: 1, tail: 0 }],
  );
  const { all, withoutOverlap } = scoreBenchmark([aspirin, heparin], [aspirin, pred]);
  assert.equal(all.sentences, 2);
  assert.equal(withoutOverlap.sentences, 1);
  // all: Drug tp 2 / pred 2 / gold 2 -> 1; effect tp 1 / pred 2 / gold 2 -> 0.5; macro 0.75; micro tp 3 / 4 -> 0.75
  close(all.ner.perType.Drug.f1, 1, "Drug F1");
  close(all.ner.perType[AE].f1, 0.5, "effect F1");
  close(all.ner.macro.f1, 0.75, "macro");
  close(all.ner.micro.f1, 0.75, "micro");
  // relations: tp 1, pred 2, gold 2 -> 0.5
  close(all.relationStrict.micro.f1, 0.5, "strict");
  // without the heparin sentence only the exact one is left
  close(withoutOverlap.ner.macro.f1, 1, "macro without overlap");
  close(withoutOverlap.relationStrict.macro.f1, 1, "strict without overlap");
});

// "naproxen and oxaprozin caused pseudoporphyria": two drugs, one effect, two relations
const naproxen: BenchmarkSentence = {
  tokens: ["naproxen", "and", "oxaprozin", "caused", "pseudoporphyria"],
  entities: [
    { type: "Drug", start: 0, end: 1 },
    { type: "Drug", start: 2, end: 3 },
    { type: AE, start: 4, end: 5 },
  ],
  relations: [
    { type: AE, head: 2, tail: 0 },
    { type: AE, head: 2, tail: 1 },
  ],
  orig_id: 2,
};

test("a relation with one wrong argument is wrong; entities are compared by span, not by their index in the list", () => {
  // listed in another order; the second drug predicted as "and oxaprozin" [1,3)
  const pred = withEntities(
    naproxen,
    [
      { type: AE, start: 4, end: 5 },
      { type: "Drug", start: 1, end: 3 },
      { type: "Drug", start: 0, end: 1 },
    ],
    [
      { type: AE, head: 0, tail: 2 },
      { type: AE, head: 0, tail: 1 },
    ],
  );
  const s = scoreSentences([naproxen], [pred]);
  // Drug: tp 1, pred 2, gold 2 -> 0.5; effect: 1 of 1 -> 1; macro 0.75; micro tp 2 / pred 3 / gold 3 -> 2/3
  close(s.ner.perType.Drug.f1, 0.5, "Drug F1");
  close(s.ner.macro.f1, 0.75, "macro");
  close(s.ner.micro.f1, 2 / 3, "micro");
  // relations: (effect, naproxen) right, (effect, "and oxaprozin") wrong: tp 1, pred 2, gold 2 -> P = R = 0.5
  close(s.relationStrict.micro.precision, 0.5, "strict P");
  close(s.relationStrict.micro.recall, 0.5, "strict R");
  close(s.relationBoundaries.micro.f1, 0.5, "boundaries F1");
  // a single relation type: macro equals micro
  close(s.relationStrict.macro.f1, s.relationStrict.micro.f1, "macro = micro");
});

test("duplicates count once, and the macro average runs over the types that occur (as SpERT passes them to scikit-learn)", () => {
  const drugOnly: BenchmarkSentence = {
    tokens: ["aspirin"],
    entities: [{ type: "Drug", start: 0, end: 1 }],
    relations: [],
    orig_id: 3,
  };
  const twice = { ...drugOnly, entities: [drugOnly.entities[0], { ...drugOnly.entities[0] }] };
  const s = scoreSentences([drugOnly], [twice]);
  assert.deepEqual(Object.keys(s.ner.perType), ["Drug"]);
  close(s.ner.macro.f1, 1, "only Drug occurs: macro = its F1");
  assert.equal(s.relationStrict.micro.support, 0);
  close(s.relationStrict.macro.f1, 0, "no relation type occurs: macro 0");
  assert.throws(() => scoreSentences([drugOnly], []), /1 gold sentences but 0 predicted/);
});

test("equal to SpERT's evaluator (scikit-learn over the union of tuples) on perturbed predictions of 75 benchmark sentences", () => {
  // scripts/spert_score_reference.py
  const ref = readJson(fixture("spert-scores.json"));
  const gold = ref.gold.map((s: unknown, i: number) => checkSentence(s, "spert-scores.json gold", i));
  const predicted = ref.predicted.map((s: unknown, i: number) => checkSentence(s, "spert-scores.json predicted", i));
  const ours = scoreBenchmark(gold, predicted);
  let compared = 0;
  for (const view of ["all", "withoutOverlap"] as const) {
    assert.equal(ours[view].sentences, ref[view].sentences, `${view} sentences`);
    for (const setting of ["ner", "relationStrict", "relationBoundaries"] as const) {
      const a = ours[view][setting];
      const b = ref[view][setting];
      assert.deepEqual(Object.keys(a.perType), Object.keys(b.per_type), `${view} ${setting} types`);
      for (const [type, [p, r, f, support]] of Object.entries(b.per_type) as [string, number[]][]) {
        close(a.perType[type].precision, p, `${view} ${setting} ${type} P`);
        close(a.perType[type].recall, r, `${view} ${setting} ${type} R`);
        close(a.perType[type].f1, f, `${view} ${setting} ${type} F1`);
        assert.equal(a.perType[type].support, support);
        compared++;
      }
      (["precision", "recall", "f1"] as const).forEach((k, i) => {
        close(a.micro[k], b.micro[i], `${view} ${setting} micro ${k}`);
        close(a.macro[k], b.macro[i], `${view} ${setting} macro ${k}`);
      });
    }
  }
  assert.equal(compared, 8, "2 views x (2 entity types + 1 relation type in each of 2 settings)");
  // the perturbations make the case non-trivial: neither perfect nor empty
  assert.ok(ours.all.ner.macro.f1 > 0.3 && ours.all.ner.macro.f1 < 0.9);
  assert.ok(ours.all.sentences > ours.withoutOverlap.sentences, "some sentences hold overlapping entities");
});
