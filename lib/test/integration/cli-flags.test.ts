/** The command line: strict flags per command, own --help, numbers checked, dispatch, children that fail. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { numberFlag, parseFlags, UsageError, type Command } from "../../src/cli/command";
import { commands, findCommand, main } from "../../src/cli/main";
import { dataStatsCommand } from "../../src/cli/data";
import { labCommand } from "../../src/cli/jupyter-commands";
import { repoRoot } from "../../src/paths";
import { testCorpusDir } from "../helpers";

const ADEFLOW = path.join(repoRoot(), "lib", "bin", "adeflow.js");

/** Run the real `adeflow` binary; nothing it is asked here may start a benchmark, Jupyter or a download. */
function adeflow(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [ADEFLOW, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const probe: Command = {
  path: ["probe"],
  summary: "a command for the tests",
  flags: {
    out: { type: "string", value: "DIR", description: "a folder" },
    full: { type: "boolean", description: "a switch" },
    n: { type: "string", value: "N", description: "a count" },
  },
  async run() {},
};

test("flags are parsed strictly: values, switches, and every mistake names the known flags", () => {
  const f = parseFlags(probe, ["--out", "x", "--full", "--n=3"])!;
  assert.equal(f.values.get("out"), "x");
  assert.ok(f.switches.has("full"));
  assert.equal(f.values.get("n"), "3");
  const mistake = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => parseFlags(probe, args),
      (e: Error) =>
        e instanceof UsageError && pattern.test(e.message) && /Known flags: --out, --full, --n, --help/.test(e.message),
      args.join(" "),
    );
  mistake(["--out"], /--out <value>' argument missing/); // a value flag at the end is not a switch
  mistake(["--out", "--full"], /ambiguous/); // nor when the next word is a flag
  mistake(["--outt", "x"], /Unknown option '--outt'/);
  mistake(["--full=yes"], /does not take an argument/);
  mistake(["stray"], /Unexpected argument 'stray'/);
  assert.throws(() => parseFlags(probe, ["--out="]), /--out needs a value/);
  assert.equal(parseFlags(probe, ["--help"]), undefined);
});

test("numbers are checked: integer, range, and what was given", () => {
  const f = (n: string) => parseFlags(probe, [`--n=${n}`])!; // "--n -1" reads -1 as a flag; parseArgs says to write --n=-1
  assert.equal(numberFlag(parseFlags(probe, [])!, "n", 7, { integer: true, min: 1 }), 7);
  assert.equal(numberFlag(f("12"), "n", 7, { integer: true, min: 1 }), 12);
  for (const bad of ["0", "-1", "1.5", "abc", "1e400", "NaN"]) {
    assert.throws(
      () => numberFlag(f(bad), "n", 7, { integer: true, min: 1 }),
      (e: Error) => e instanceof UsageError && e.message === `--n ${bad}: expected an integer >= 1`,
      bad,
    );
  }
  assert.throws(() => numberFlag(f("600"), "n", 1, { max: 512 }), /--n 600: expected a number <= 512/);
});

test("dispatch picks the longest matching command; every command has its own --help and declares its flags", async () => {
  assert.equal(findCommand(["data", "stats", "--corpus-dir", "x"]), dataStatsCommand);
  assert.equal(findCommand(["data"]), undefined);
  for (const c of commands) {
    assert.ok(
      Object.keys(c.flags).every((f) => /^[a-z][a-z-]*$/.test(f)),
      c.path.join(" "),
    );
    const out = adeflow([...c.path, "--help"]);
    assert.equal(out.status, 0, `${c.path.join(" ")} --help: ${out.stderr}`);
    assert.match(out.stdout, new RegExp(`^usage: adeflow ${c.path.join(" ")}`));
    for (const f of Object.keys(c.flags))
      assert.ok(out.stdout.includes(`--${f}`), `${c.path.join(" ")} --help lacks --${f}`);
  }
  assert.equal(await main(["no-such-command"]), 2);
});

test("adeflow itself: usage mistakes exit 2 before doing anything; --help lists the environment", () => {
  const cases: [string[], RegExp][] = [
    [["reproduce", "--only"], /adeflow reproduce: Option '--only <value>' argument missing/],
    [["data", "stats", "--corpus-dir"], /adeflow data stats: Option '--corpus-dir <value>' argument missing/],
    [["data", "stats", "--corpus-dri", "x"], /Unknown option '--corpus-dri'\. Known flags: --corpus-dir, --help/],
    [["bench", "--iters", "0"], /--iters 0: expected an integer >= 1/],
    [["bench", "--models", "tiny,huge"], /--models tiny,huge: unknown huge/],
    [["bench", "--native-models", "minilm,large"], /--native-models minilm,large: unknown large; .*tiny, minilm, base/],
    [["bench", "--native-threads", "0"], /--native-threads 0: expected an integer >= 1/],
    [["bench", "--native-seq", "1024"], /--native-seq 1024: expected an integer >= 2 and <= 512/],
    [["bench", "--worker-models", "huge"], /--worker-models huge: unknown huge/],
    [["screenshots", "--timeout", "soon"], /--timeout soon: expected a number >= 1/],
    [["encode", "--text", "x", "--max-length", "1"], /--max-length 1: expected an integer >= 2/],
    [["data", "export"], /data export needs --out DIR/],
    [["reproduce", "--only", "99"], /no notebook matches --only 99; there are: 01-eda, /],
    [["screenshots", "--only", "99"], /no notebook matches --only 99/],
    [["screenshots", "--profile", "fast"], /--profile fast: expected one of full, quick, local, smoke/],
    [["benchmark", "run", "--profile", "fast"], /--profile fast: expected one of full, quick, local, smoke/],
  ];
  for (const [args, pattern] of cases) {
    const r = adeflow(args, { ADE_CORPUS_DIR: "/nonexistent-corpus" });
    assert.equal(r.status, 2, `${args.join(" ")}: status ${r.status}, ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.match(r.stderr, /\nusage: adeflow /);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace"); // a user's mistake is not a crash
  }
  // a bad setting is named before the corpus is looked for (it would otherwise surface after Jupyter started)
  const badLimit = adeflow(["reproduce", "--only", "02"], {
    ADE_CORPUS_DIR: "/nonexistent-corpus",
    ADEFLOW_CELL_TIMEOUT: "soon",
  });
  assert.equal(badLimit.status, 1, badLimit.stderr);
  assert.match(badLimit.stderr, /ADEFLOW_CELL_TIMEOUT=soon: expected whole seconds/);
  assert.doesNotMatch(badLimit.stderr, /nonexistent-corpus|\n\s+at /);
  const help = adeflow(["--help"]);
  assert.equal(help.status, 0);
  for (const name of ["ADE_CORPUS_DIR", "ADEFLOW_RESULTS_DIR", "ADEFLOW_MODELS_DIR", "ADEFLOW_PROFILE"])
    assert.ok(help.stdout.includes(name), name);
});

test("data stats prints exactly its keys, with the corpus counts", async () => {
  const r = adeflow(["data", "stats", "--corpus-dir", testCorpusDir()]);
  assert.equal(r.status, 0, r.stderr);
  const stats = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(stats), [
    "relations",
    "after_dedup",
    "unique_sentences_after_dedup",
    "after_drop_ambiguous",
    "ner_rows",
    "re_rows",
    "concatenations_per_k",
    "split",
    "negative_sentences",
    "dose_relations",
    "seed",
    "corpus_dir",
    "seconds",
  ]);
  // the method's counts (shared/METHOD.md): 6,821 relations, 16,695 negatives, 279 doses, 12,951 rows
  assert.equal(stats.relations, 6821);
  assert.equal(stats.after_dedup, 6632);
  assert.equal(stats.after_drop_ambiguous, 6507);
  assert.equal(stats.ner_rows, 12951);
  assert.equal(stats.negative_sentences, 16695);
  assert.equal(stats.dose_relations, 279);
  assert.equal(stats.corpus_dir, path.resolve(testCorpusDir()));
});

test("a failed write on data export is one line naming the file and the reason, with no temporary left", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-export-"));
  // a file size limit of 100 kB makes the 2 MB ner.jsonl fail mid-write, as a full disk does
  const r = spawnSync(
    "bash",
    [
      "-c",
      `ulimit -f 100; exec "${process.execPath}" "${ADEFLOW}" data export --out "${out}" --corpus-dir "${testCorpusDir()}"`,
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr.trim(),
    new RegExp(
      `^adeflow data export: writing ${out}/ner\\.jsonl failed, nothing was changed: could not write: EFBIG \\(`,
    ),
  );
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.deepEqual(fs.readdirSync(out), []);
});

test("adeflow lab fails when Jupyter refuses to start", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-fake-python-"));
  const fake = path.join(dir, "python3");
  // the probe finds JupyterLab 4 and nbclient; the server itself refuses, as Jupyter does on a taken port or a bad config
  fs.writeFileSync(
    fake,
    '#!/bin/sh\ncase "$*" in\n  "-c "*) echo \'{"jupyterlab": "4.6.4", "nbclient": "0.11.0", "jupyterClient": "8.10.0", "ipython": "9.17.1"}\'; exit 0;;\n  *--version*) echo 4.0; exit 0;;\n  *) echo "jupyter: refusing to start" >&2; exit 3;;\nesac\n',
    { mode: 0o755 },
  );
  const before = process.env.ADEFLOW_PYTHON;
  process.env.ADEFLOW_PYTHON = fake;
  try {
    await assert.rejects(
      labCommand.run(parseFlags(labCommand, ["--no-browser"])!),
      /jupyter lab .* exited with status 3/,
    );
  } finally {
    if (before === undefined) delete process.env.ADEFLOW_PYTHON;
    else process.env.ADEFLOW_PYTHON = before;
  }
});
