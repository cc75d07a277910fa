import { test } from "node:test";
import assert from "node:assert/strict";
import type { PreprocessedRow } from "../src/pipeline/rows";
import {
  conflictExample,
  labelConflicts,
  relationsPerSentenceChart,
  rowsBySentence,
  sentenceLengthChart,
  topEntitiesChart,
} from "../src/eda";

const row = (sentence: string, text: string, drug: string, effect: string, line: number): PreprocessedRow => ({
  sentence,
  text,
  drug,
  effect,
  pmid: "1",
  line,
});

// One sentence with two relations: cleaning lower-cased each row's own entities, so the texts differ in case.
const rows = [
  row("Aspirin caused Rash and Nausea.", "aspirin caused rash and Nausea", "aspirin", "rash", 1),
  row("Aspirin caused Rash and Nausea.", "aspirin caused Rash and nausea", "aspirin", "nausea", 2),
  row("Lithium gave tremor.", "lithium gave tremor", "lithium", "tremor", 3),
];

test("rowsBySentence groups the rows of one sentence, whose texts differ in letter case", () => {
  const groups = rowsBySentence(rows);
  assert.equal(groups.size, 2);
  assert.deepEqual(
    [...groups.values()].map((g) => g.length),
    [2, 1],
  );
});

test("labelConflicts counts tokens tagged differently in rows of the same sentence", () => {
  assert.deepEqual(labelConflicts(rows), {
    rows: 3,
    sentences: 2,
    sentencesWithSeveralRows: 1,
    rowsSharingSentence: 2,
    // rash: B-Effect vs O; nausea: O vs B-Effect; aspirin is B-Drug in both
    conflictingTokens: 2,
    entityTokensInSharedTexts: 3,
  });
});

test("conflictExample shows token-by-row tags", () => {
  const ex = conflictExample(rows);
  assert.deepEqual(
    ex.map((r) => r.token),
    ["aspirin", "caused", "rash", "and", "Nausea"],
  );
  const cols = Object.keys(ex[0]);
  assert.deepEqual(cols, ["token", "row 1: aspirin → rash", "row 2: aspirin → nausea"]);
  assert.deepEqual(
    ex.map((r) => r[cols[1]]),
    ["B-Drug", "O", "B-Effect", "O", "O"],
  );
  assert.deepEqual(
    ex.map((r) => r[cols[2]]),
    ["B-Drug", "O", "O", "O", "B-Effect"],
  );
  assert.deepEqual(conflictExample(rows, 3), []);
});

test("EDA charts carry their data", () => {
  const f = relationsPerSentenceChart([
    { value: 1, count: 5 },
    { value: 2, count: 2 },
  ]);
  assert.deepEqual(f.data[0].type, "bar");
  assert.deepEqual((f.data[0] as { y: unknown }).y, [5, 2]);
  assert.equal(f.layout.yaxis?.type, "log");
  const top = topEntitiesChart(
    [
      { name: "a", sentences: 3, relations: 4 },
      { name: "b", sentences: 1, relations: 1 },
    ],
    "drug",
    1,
  );
  assert.deepEqual((top.data[0] as { y: unknown }).y, ["a"]);
  const len = sentenceLengthChart({ positive: [1, 2], negative: [3] });
  assert.equal(len.data.length, 2);
  assert.equal(len.layout.barmode, "overlay");
});
