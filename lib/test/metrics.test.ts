import { test } from "node:test";
import assert from "node:assert/strict";
import { confusionMatrix, tokenScores } from "../src/metrics/token";
import { entitiesFromTags, entityScores, relationScores } from "../src/metrics/entity";
import { fixture, readJson } from "./helpers";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

// Values printed by scikit-learn 1.9 from PyPI (scripts/sklearn_metrics_reference.py).
for (const [i, c] of (readJson(fixture("sklearn-metrics.json")) as any[]).entries()) {
  test(`token macro P/R/F1 and normalized confusion equal scikit-learn's, case ${i}`, () => {
    const s = tokenScores(c.true, c.pred);
    close(s.macro.precision, c.macro[0], "precision");
    close(s.macro.recall, c.macro[1], "recall");
    close(s.macro.f1, c.macro[2], "f1");
    s.perClass.forEach((k, j) => close(k.f1, c.per_class_f1[j], `class ${k.label} f1`));
    confusionMatrix(c.true, c.pred, 5, "true").forEach((row, r) =>
      row.forEach((x, col) => close(x, c.confusion_true[r][col], `cm ${r},${col}`)),
    );
  });
}

test("token scores by hand: a class never predicted has precision 0 and pulls the macro average down", () => {
  const s = tokenScores([0, 0, 1, 1], [0, 0, 0, 0]);
  // class 0: P = 2/4, R = 1, F1 = 2/3; class 1: P = 0 (never predicted), R = 0, F1 = 0
  close(s.macro.precision, 0.25, "P");
  close(s.macro.recall, 0.5, "R");
  close(s.macro.f1, 1 / 3, "F1");
  assert.equal(s.positions, 4);
});

test("seqeval entities: B-I runs, I- without B- starts an entity, a type change splits", () => {
  assert.deepEqual(entitiesFromTags(["B-Drug", "I-Drug", "O", "B-Effect"]), [
    { type: "Drug", start: 0, end: 1 },
    { type: "Effect", start: 3, end: 3 },
  ]);
  assert.deepEqual(entitiesFromTags(["O", "I-Drug", "I-Drug", "I-Effect"]), [
    { type: "Drug", start: 1, end: 2 },
    { type: "Effect", start: 3, end: 3 },
  ]);
  assert.deepEqual(entitiesFromTags(["B-Drug", "B-Drug", "I-Drug"]), [
    { type: "Drug", start: 0, end: 0 },
    { type: "Drug", start: 1, end: 2 },
  ]);
  assert.deepEqual(entitiesFromTags(["O", "O"]), []);
});

test("entity scores by hand: exact span and type only; empty predictions give 0, not NaN", () => {
  const truth = [
    ["B-Drug", "I-Drug", "O", "B-Effect"],
    ["B-Effect", "O"],
  ];
  const pred = [
    ["B-Drug", "O", "O", "B-Effect"],
    ["B-Effect", "O"],
  ];
  const s = entityScores(truth, pred);
  // Drug: predicted [0,0] vs true [0,1]: 0 of 1; Effect: 2 of 2
  close(s.perType.Drug.f1, 0, "Drug f1");
  close(s.perType.Effect.f1, 1, "Effect f1");
  close(s.micro.precision, 2 / 3, "micro P");
  close(s.micro.recall, 2 / 3, "micro R");
  close(s.macro.f1, 0.5, "macro F1");
  const empty = entityScores(truth, [
    ["O", "O", "O", "O"],
    ["O", "O"],
  ]);
  assert.deepEqual([empty.micro.precision, empty.micro.recall, empty.micro.f1], [0, 0, 0]);
  assert.throws(() => entityScores(truth, [["O"], ["O", "O"]]), /sentence 0: 4 true tags but 1 predicted/);
});

// seqeval 1.2.2's own entities and classification report, both modes (scripts/seqeval_reference.py)
const seqeval = readJson(fixture("seqeval.json")) as any;
for (const c of seqeval.cases) {
  for (const mode of ["default", "strict"] as const) {
    test(`entities and entity scores equal seqeval's (${mode} mode, IOB2): ${c.name}`, () => {
      const asTuples = (tags: string[]) => entitiesFromTags(tags, mode).map((e) => [e.type, e.start, e.end]);
      assert.deepEqual(c.true.map(asTuples), c.entities[mode].true, "true entities");
      assert.deepEqual(c.pred.map(asTuples), c.entities[mode].pred, "predicted entities");
      const s = entityScores(c.true, c.pred, mode);
      const want = c.scores[mode];
      for (const k of ["precision", "recall", "f1"] as const) {
        close(s.micro[k], want.micro[k], `micro ${k}`);
        // seqeval's macro over no entity type at all is NaN (null in the file); adeflow's is 0
        close(s.macro[k], want.macro[k] ?? 0, `macro ${k}`);
      }
      assert.equal(s.micro.support, want.micro.support, "support");
      assert.deepEqual(Object.keys(s.perType).sort(), Object.keys(want.per_type).sort(), "entity types");
      for (const [type, w] of Object.entries(want.per_type) as [string, any][]) {
        for (const k of ["precision", "recall", "f1", "support"] as const)
          close(s.perType[type][k], w[k], `${type} ${k}`);
      }
    });
  }
}

test("the two modes part where an I- starts an entity: seqeval's strict-mode example", () => {
  // README of seqeval: true B-NP I-NP O, predicted I-NP I-NP O: default mode reads the prediction as an NP
  // over words 0-1 (F1 1), strict mode finds no predicted entity (F1 0)
  assert.equal(entityScores([["B-NP", "I-NP", "O"]], [["I-NP", "I-NP", "O"]]).micro.f1, 1);
  assert.equal(entityScores([["B-NP", "I-NP", "O"]], [["I-NP", "I-NP", "O"]], "strict").micro.f1, 0);
  assert.throws(() => entitiesFromTags(["B-Drug", "E-Drug"], "strict"), /tag 1 "E-Drug" is not an IOB2 tag/);
});

test("relation scores: both spans exact and paired", () => {
  const gold = [[{ drug: { start: 0, end: 1 }, effect: { start: 3, end: 3 } }]];
  close(relationScores(gold, gold).f1, 1, "same");
  close(
    relationScores(gold, [[{ drug: { start: 0, end: 0 }, effect: { start: 3, end: 3 } }]]).f1,
    0,
    "drug span off by one",
  );
  const two = relationScores(gold, [[gold[0][0], { drug: { start: 0, end: 1 }, effect: { start: 5, end: 5 } }]]);
  close(two.precision, 0.5, "P");
  close(two.recall, 1, "R");
});
