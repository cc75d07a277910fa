import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  csvField,
  formatCell,
  markdownCell,
  saveTable,
  showTable,
  tableHtml,
  toCsv,
  toMarkdown,
  toTableData,
} from "../src/viz";

const records = [
  { name: 'say "hi"', value: 1.23456, note: "a|b" },
  { name: "x, y", value: 2, note: "line1\nline2" },
  { name: "<b>", value: null, extra: true },
];

test("toTableData takes columns in first-seen order from records", () => {
  const t = toTableData(records);
  assert.deepEqual(t.columns, ["name", "value", "note", "extra"]);
  assert.deepEqual(t.rows[2], ["<b>", null, undefined, true]);
});

test("CSV quotes fields with commas, quotes and line breaks, doubling quotes", () => {
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("x, y"), '"x, y"');
  assert.equal(csvField("a|b"), "a|b");
  assert.equal(csvField(1.23456), "1.23456");
  assert.equal(csvField(null), "");
  assert.equal(
    toCsv(toTableData(records)),
    'name,value,note,extra\r\n"say ""hi""",1.23456,a|b,\r\n"x, y",2,"line1\nline2",\r\n<b>,,,true\r\n',
  );
});

test("Markdown escapes pipes and backslashes, keeps quotes, right-aligns numbers", () => {
  assert.equal(markdownCell("a|b\\c"), "a\\|b\\\\c");
  assert.equal(markdownCell("l1\nl2"), "l1<br>l2");
  const md = toMarkdown({
    columns: ["k|ey", "n"],
    rows: [
      ['q"uote', 1.23456],
      ["p|ipe", 2],
    ],
  });
  assert.equal(md, '| k\\|ey | n |\n| --- | ---: |\n| q"uote | 1.235 |\n| p\\|ipe | 2 |\n');
});

test("HTML table escapes cells and truncates long tables with a note", () => {
  const html = tableHtml(toTableData(records), { maxRows: 2, caption: "T & C" });
  assert.ok(html.includes("&lt;b&gt;") === false); // third row cut off
  assert.ok(html.includes("say &quot;hi&quot;"));
  assert.ok(html.includes("1 more rows (3 in all)"));
  assert.ok(html.includes("T &amp; C"));
  assert.ok(tableHtml(toTableData(records)).includes("&lt;b&gt;"));
  assert.equal(formatCell(1 / 3), "0.333");
  assert.equal(formatCell(Number.NaN), "");
});

test("danfojs DataFrame and Series: index kept only when meaningful", async () => {
  const dfd = await import("danfojs-node");
  const df = new dfd.DataFrame([
    { drug: "a", n: 2 },
    { drug: "b", n: 1 },
  ]);
  assert.deepEqual(toTableData(df), {
    columns: ["drug", "n"],
    rows: [
      ["a", 2],
      ["b", 1],
    ],
  });
  const counts = new dfd.Series(["x", "y", "x"]).valueCounts();
  const t = toTableData(counts, { index: "value" });
  assert.deepEqual(t.columns[0], "value");
  assert.deepEqual(t.rows, [
    ["x", 2],
    ["y", 1],
  ]);
  assert.deepEqual(toTableData(counts, { index: "value", columns: ["times"] }).columns, ["value", "times"]);
  const sent: string[] = [];
  showTable(df, { display: { html: (s) => void sent.push(s) } });
  assert.ok(sent[0].includes("<td") && sent[0].includes(">a<"));
});

test("saveTable writes CSV and Markdown atomically, no temp files left", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-table-"));
  try {
    const saved = saveTable(records, path.join(dir, "out", "t.csv"));
    assert.deepEqual(fs.readdirSync(path.join(dir, "out")).sort(), ["t.csv", "t.md"]);
    assert.equal(saved.csv, path.join(dir, "out", "t.csv"));
    assert.equal(fs.readFileSync(saved.csv, "utf8"), toCsv(toTableData(records)));
    assert.equal(fs.readFileSync(saved.markdown, "utf8"), toMarkdown(toTableData(records)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
