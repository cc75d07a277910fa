/** One settings module: every environment variable in one table, folders made absolute once and handed to the kernel. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { kernelEnvironment, pageWithSettings, setting, SETTINGS, settingsMarkdown } from "../../src/settings";
import { findJupyterPython } from "../../src/jupyter/jupyter";
import { repoRoot } from "../../src/paths";
import { testCorpusDir } from "../helpers";

const SRC = path.join(repoRoot(), "lib", "src");

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
    );
}

test("the library reads the environment only through the settings module, and every variable it names is in the table", () => {
  const names = new Set<string>(SETTINGS.map((s) => s.name));
  for (const file of sourceFiles(SRC)) {
    if (file.endsWith(path.join("src", "settings.ts"))) continue;
    const text = fs.readFileSync(file, "utf8");
    assert.doesNotMatch(
      text,
      /process\.env\.[A-Z_]|process\.env\[/,
      `${path.relative(SRC, file)} reads process.env itself`,
    );
    for (const m of text.matchAll(/\b(ADEFLOW_[A-Z_]+|ADE_CORPUS_DIR)\b/g))
      assert.ok(names.has(m[1]), `${path.relative(SRC, file)} names ${m[1]}, which is not in SETTINGS`);
  }
});

test("docs/settings.md's table is the one settings.ts makes", () => {
  const page = fs.readFileSync(path.join(repoRoot(), "docs", "settings.md"), "utf8");
  const updated = pageWithSettings(page);
  assert.ok(updated !== undefined, "docs/settings.md needs the adeflow:settings markers");
  assert.equal(page, updated, "docs/settings.md's settings table is stale: run `node scripts/write-settings-doc.js`");
  assert.ok(page.includes(settingsMarkdown()));
});

test("every variable the README, the docs and the notebooks name is one the library reads", () => {
  const names = new Set<string>(SETTINGS.map((s) => s.name));
  const root = repoRoot();
  const pages = [
    "README.md",
    ...fs.readdirSync(path.join(root, "docs")).flatMap((f) => (f.endsWith(".md") ? [path.join("docs", f)] : [])),
    ...fs
      .readdirSync(path.join(root, "notebooks"))
      .flatMap((f) => (f.endsWith(".ipynb") ? [path.join("notebooks", f)] : [])),
  ];
  for (const page of pages) {
    const text = fs.readFileSync(path.join(root, page), "utf8");
    for (const m of text.matchAll(/\b(ADEFLOW_[A-Z_]*[A-Z]|ADE_CORPUS_DIR)\b/g))
      assert.ok(names.has(m[1]), `${page} names ${m[1]}, which the library does not read (lib/src/settings.ts)`);
  }
});

test("folders are absolute, resolved once against the starting folder; empty means unset", () => {
  const env = {
    ADEFLOW_RESULTS_DIR: "out/results",
    ADE_CORPUS_DIR: "  ",
    ADEFLOW_PROFILE: " smoke ",
    ADEFLOW_MODELS_DIR: "~/models",
    HOME: "/home/someone",
  };
  assert.equal(setting("ADEFLOW_RESULTS_DIR", env), path.join(process.cwd(), "out", "results"));
  assert.equal(setting("ADE_CORPUS_DIR", env), undefined);
  assert.equal(setting("ADEFLOW_PROFILE", env), "smoke");
  assert.equal(setting("ADEFLOW_MODELS_DIR", env), "/home/someone/models");
  const kernel = kernelEnvironment({ ADE_CORPUS_DIR: "corpus" }, env);
  assert.equal(kernel.ADE_CORPUS_DIR, path.join(process.cwd(), "corpus"));
  assert.equal(kernel.ADEFLOW_RESULTS_DIR, path.join(process.cwd(), "out", "results"));
  assert.equal(kernel.ADEFLOW_PROFILE, " smoke ", "values that are not folders pass through as given");
});

function jupyterMissing(): string | undefined {
  try {
    findJupyterPython();
    return undefined;
  } catch (err) {
    if (process.env.CI) throw err;
    return (err as Error).message;
  }
}

test(
  "reproduce hands the kernel the corpus it checked and the absolute results folder, from relative ones",
  { skip: jupyterMissing() },
  () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-reproduce-"));
    fs.symlinkSync(path.resolve(testCorpusDir()), path.join(work, "corpus"));
    const seen = path.join(work, "kernel-env.json");
    const fake = path.join(work, "python3");
    // the real Python for everything (finding Jupyter, registering the kernel) except running the notebook,
    // where it records the environment the kernel would get and reports success as the runner does
    fs.writeFileSync(
      fake,
      `#!/bin/sh
case "$1" in
  *execute_notebook.py)
    "${process.execPath}" -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env)); require("fs").writeFileSync(process.argv[2], "{}")' "${seen}" "$3"
    echo '{"event": "done", "cells": 0}'; exit 0;;
  *) exec ${findJupyterPython()} "$@";;
esac
`,
      { mode: 0o755 },
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ADEFLOW_PYTHON: fake,
      ADEFLOW_RESULTS_DIR: "rel-results",
      ADEFLOW_MODELS_DIR: "rel-models",
    };
    delete env.ADE_CORPUS_DIR;
    const r = spawnSync(
      process.execPath,
      [path.join(repoRoot(), "lib", "bin", "adeflow.js"), "reproduce", "--only", "02", "--corpus-dir", "corpus"],
      { cwd: work, env, encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const kernel = JSON.parse(fs.readFileSync(seen, "utf8"));
    assert.equal(kernel.ADE_CORPUS_DIR, path.join(work, "corpus"));
    assert.equal(kernel.ADEFLOW_RESULTS_DIR, path.join(work, "rel-results"));
    assert.equal(kernel.ADEFLOW_MODELS_DIR, path.join(work, "rel-models"));
    assert.ok(
      fs.existsSync(path.join(work, "rel-results", "02-preprocessing", "02-preprocessing.ipynb")),
      "the executed copy lands in the same folder",
    );
  },
);
