import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  bar,
  chartDivHtml,
  chartHtml,
  figure,
  findChromium,
  inlineScriptSafe,
  jsonForScript,
  plotlySource,
  resetChartSession,
  saveChart,
  showChart,
} from "../../src/viz";
import { plotlyScriptPath } from "../../src/viz/html";
import { SHARED_PLOTLY } from "../../src/viz/save";

const fig = figure([bar(["alpha", "beta"], [3, 7], { name: "counts <b>&</b>" })], "A </script> test", "kind", "count");

const occurrences = (haystack: string, needle: string): number => haystack.split(needle).length - 1;
/** A marker from the bundle's own text: its version banner. */
const bundleMarker = (): string => plotlySource().slice(0, 200);

test("chartHtml is self-contained: plotly inlined exactly once, the data present, no remote script", () => {
  const html = chartHtml(fig);
  assert.equal(occurrences(html, bundleMarker()), 1);
  assert.ok(html.includes('"alpha","beta"'));
  assert.ok(html.includes("[3,7]"));
  assert.doesNotMatch(html, /<script[^>]*\bsrc\s*=/i);
  assert.doesNotMatch(html, /<link[^>]*\bhref\s*=\s*["']?https?:/i);
  // the title is escaped in <title>, and in the JSON the closing tag cannot end the script early
  assert.ok(html.includes("<title>A &lt;/script&gt; test</title>"));
  assert.ok(!html.includes("A </script> test"));
  assert.ok(html.includes("\\u003c/script\\u003e"));
});

test("script text and JSON are made safe for inline scripts", () => {
  assert.equal(inlineScriptSafe('x="</script>";y="</SCRIPT"'), 'x="<\\/script>";y="<\\/SCRIPT"');
  assert.equal(jsonForScript({ a: "<&>\u2028" }), '{"a":"\\u003c\\u0026\\u003e\\u2028"}');
  assert.deepEqual(JSON.parse(jsonForScript({ a: "<&>\u2028" })), { a: "<&>\u2028" });
  assert.equal(occurrences(plotlySource(), "</script"), 0);
});

test("chartDivHtml is small and carries no plotly bundle", () => {
  const div = chartDivHtml(fig, { id: "c1", fallback: "See x.png." });
  assert.ok(div.length < 5000, `fragment is ${div.length} chars`);
  assert.equal(occurrences(div, bundleMarker()), 0);
  assert.ok(div.includes('id="c1"'));
  assert.ok(div.includes("See x.png."));
  assert.ok(div.includes("window.Plotly.newPlot"));
});

test("showChart sends the plotly bundle with the first chart of a session only", () => {
  resetChartSession();
  const sent: string[] = [];
  const display = { html: (s: string) => void sent.push(s) };
  showChart(fig, { display });
  showChart(fig, { display });
  assert.equal(occurrences(sent[0], bundleMarker()), 1);
  assert.equal(occurrences(sent[1], bundleMarker()), 0);
  assert.ok(sent[1].length < 5000);
  const ids = sent.map((s) => /id="([^"]+)"/.exec(s)![1]);
  assert.notEqual(ids[0], ids[1]);
  resetChartSession();
  showChart(fig, { display });
  assert.equal(occurrences(sent[2], bundleMarker()), 1);
});

test("saveChart writes the page atomically, without temp files; PNG skipped on request; one plotly copy per folder", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-viz-"));
  try {
    const saved = saveChart(fig, path.join(dir, "sub", "chart.html"), { png: false });
    assert.equal(saved.html, path.join(dir, "sub", "chart.html"));
    assert.equal(saved.png, undefined);
    assert.ok(saved.pngSkipped);
    assert.deepEqual(fs.readdirSync(path.join(dir, "sub")).sort(), ["chart.html", SHARED_PLOTLY]);
    const page = fs.readFileSync(saved.html, "utf8");
    assert.equal(page, chartHtml(fig, { plotlySrc: SHARED_PLOTLY }));
    assert.equal(occurrences(page, bundleMarker()), 0, "the page does not carry its own plotly");
    assert.ok(page.includes(`<script src="${SHARED_PLOTLY}"></script>`));
    assert.ok(page.length < 10_000, `${page.length} bytes`);
    assert.ok(fs.readFileSync(path.join(dir, "sub", SHARED_PLOTLY)).equals(fs.readFileSync(plotlyScriptPath())));
    // saving again, and a second chart, replace and add pages; still one plotly and no leftovers
    saveChart(fig, path.join(dir, "sub", "chart"), { png: false });
    saveChart(fig, path.join(dir, "sub", "other"), { png: false });
    assert.deepEqual(fs.readdirSync(path.join(dir, "sub")).sort(), ["chart.html", "other.html", SHARED_PLOTLY]);
    // a copy that was cut short is written again
    fs.truncateSync(path.join(dir, "sub", SHARED_PLOTLY), 100);
    saveChart(fig, path.join(dir, "sub", "chart"), { png: false });
    assert.ok(fs.readFileSync(path.join(dir, "sub", SHARED_PLOTLY)).equals(fs.readFileSync(plotlyScriptPath())));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("saveChart without Chromium returns a reason instead of failing", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-viz-"));
  const before = process.env.ADEFLOW_CHROMIUM;
  process.env.ADEFLOW_CHROMIUM = path.join(dir, "no-such-chromium");
  try {
    const saved = saveChart(fig, path.join(dir, "c.html"));
    assert.equal(saved.png, undefined);
    assert.match(saved.pngSkipped ?? "", /Chromium/);
    assert.throws(() => saveChart(fig, path.join(dir, "c.html"), { png: true }), /Chromium/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ["c.html", SHARED_PLOTLY]);
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_CHROMIUM;
    else process.env.ADEFLOW_CHROMIUM = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "saveChart writes a PNG beside the page when Chromium is installed",
  { skip: findChromium() ? false : "no Chromium installed" },
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-viz-"));
    try {
      const saved = saveChart(fig, path.join(dir, "c.html"), { png: true, width: 400, height: 300 });
      assert.equal(saved.png, path.join(dir, "c.png"));
      const png = fs.readFileSync(saved.png!);
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")]);
      assert.equal(png.readUInt32BE(16), 400); // IHDR width
      assert.deepEqual(fs.readdirSync(dir).sort(), ["c.html", "c.png", SHARED_PLOTLY]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
