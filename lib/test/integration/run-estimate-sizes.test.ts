import { test } from "node:test";
import assert from "node:assert/strict";
import { readCorpus } from "../../src/corpus/load";
import { SPLIT_ROWS } from "../../src/experiment/plan/workload";
import { leakFreeSplit } from "../../src/experiment/shared/splits";
import { runStudyPipeline } from "../../src/pipeline/study-pipeline";
import { testCorpusDir } from "../helpers";

test("the estimate's split sizes are the pipeline's, on the pinned corpus at seed 0", () => {
  const pipeline = runStudyPipeline(readCorpus(testCorpusDir()), 0);
  const size = (split: { train: number[]; val: number[]; test: number[] }) => ({
    train: split.train.length,
    val: split.val.length,
    test: split.test.length,
  });
  assert.deepEqual(size(pipeline.split), SPLIT_ROWS.study);
  assert.deepEqual(size(leakFreeSplit(pipeline).split), SPLIT_ROWS["leak-free"]);
});
