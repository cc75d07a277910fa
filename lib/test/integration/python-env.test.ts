import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AdeflowError } from "../../src/errors";
import { ensureJupyter } from "../../src/jupyter/jupyter";
import {
  chooseJupyter,
  ensureVenv,
  findBasePython,
  findJupyter,
  jupyterCandidates,
  meetsNeed,
  probeJupyter,
  projectVenvReady,
  serverUi,
  venvPython,
} from "../../src/jupyter/python-env";

/**
 * Which Python runs Jupyter and the project's own venv. The choice is tested with stand-in interpreters
 * (shell scripts that answer the probe as a Python with the given packages would), the venv with a real
 * `python -m venv` and pip on requirements that need no download.
 */
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-pyenv-"));

/** An executable that prints what the probe prints for a Python with these distributions. */
function fakePython(dir: string, name: string, dists: Record<string, string>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho '${JSON.stringify(dists)}'\n`, { mode: 0o755 });
  return file;
}

const posix = process.platform !== "win32";

test(
  "the probe reads what a Python has; a missing interpreter does not run",
  { skip: !posix && "stand-in pythons are shell scripts" },
  () => {
    const dir = scratch();
    const lab = fakePython(dir, "lab", {
      nbclient: "0.11.0",
      jupyterClient: "8.10.0",
      ipython: "9.17.1",
      jupyterlab: "4.6.4",
    });
    assert.deepEqual(probeJupyter(lab), {
      python: lab,
      nbclient: "0.11.0",
      jupyterClient: "8.10.0",
      ipython: "9.17.1",
      jupyterlab: "4.6.4",
    });
    assert.equal(probeJupyter(path.join(dir, "no-such-python")), undefined);
  },
);

test("what each need takes: nbclient for headless runs; JupyterLab 4 or Notebook 7 and IPython for a server", () => {
  const base = { python: "p", nbclient: "0.7.2", jupyterClient: "7.4.9" };
  assert.equal(meetsNeed(base, "headless"), true);
  assert.equal(
    meetsNeed({ ...base, ipython: "8.5.0", notebook: "6.4.12" }, "server"),
    false,
    "Debian 12's classic Notebook 6",
  );
  assert.equal(meetsNeed({ ...base, ipython: "8.5.0", jupyterlab: "3.6.8" }, "server"), false, "JupyterLab 3");
  assert.equal(meetsNeed({ ...base, jupyterlab: "4.6.4" }, "server"), false, "no IPython for tslab's installer");
  assert.equal(serverUi({ ...base, jupyterlab: "4.6.4", notebook: "7.6.3" }), "lab");
  assert.equal(serverUi({ ...base, notebook: "7.6.3" }), "notebook");
  assert.equal(meetsNeed({ python: "p", jupyterlab: "4.6.4", ipython: "9" }, "headless"), false, "no nbclient");
});

test(
  "the first Python that meets the need is chosen; the others are named with what they lack",
  { skip: !posix && "stand-in pythons are shell scripts" },
  () => {
    const dir = scratch();
    const debian = fakePython(dir, "debian", {
      nbclient: "0.7.2",
      jupyterClient: "7.4.9",
      ipython: "8.5.0",
      notebook: "6.4.12",
    });
    const lab = fakePython(dir, "lab", {
      nbclient: "0.11.0",
      jupyterClient: "8.10.0",
      ipython: "9.17.1",
      jupyterlab: "4.6.4",
    });
    const candidates = [
      { python: path.join(dir, "missing"), origin: "python3 on PATH" },
      { python: debian, origin: "the system's /usr/bin/python3" },
      { python: lab, origin: "the project's environment" },
    ];
    assert.equal(chooseJupyter("headless", candidates)?.python, debian, "headless runs take Debian's nbclient");
    const rejected: string[] = [];
    const server = chooseJupyter("server", candidates, rejected);
    assert.equal(server?.python, lab);
    assert.equal(server?.origin, "the project's environment");
    assert.deepEqual(rejected, [
      `${path.join(dir, "missing")} (python3 on PATH): does not run`,
      `${debian} (the system's /usr/bin/python3): no JupyterLab, Notebook 6.4.12, nbclient 0.7.2`,
    ]);
  },
);

test(
  "no Jupyter found: the error names every Python tried and says how to get one",
  { skip: !posix && "stand-in pythons are shell scripts" },
  () => {
    const dir = scratch();
    const bare = fakePython(dir, "bare", {});
    assert.throws(
      () =>
        findJupyter("server", [
          { python: bare, origin: "python3 on PATH" },
          { python: path.join(dir, "none"), origin: "ADEFLOW_PYTHON" },
        ]),
      (err: Error) => {
        assert.ok(err instanceof AdeflowError);
        assert.match(err.message, /no Python with JupyterLab 4 \(or Notebook 7\), nbclient and IPython found/);
        assert.match(err.message, /bare \(python3 on PATH\): no JupyterLab, no nbclient, no IPython/);
        assert.match(err.message, /none \(ADEFLOW_PYTHON\): does not run/);
        assert.match(err.message, /npm run setup/);
        return true;
      },
    );
  },
);

test("where to look: ADEFLOW_PYTHON alone; the project's venv only once its install finished", () => {
  const venv = scratch();
  assert.deepEqual(jupyterCandidates({ ADEFLOW_PYTHON: "/opt/py/bin/python" }), [
    { python: "/opt/py/bin/python", origin: "ADEFLOW_PYTHON" },
  ]);
  const without = jupyterCandidates({ ADEFLOW_VENV_DIR: venv }).map((c) => c.python);
  assert.ok(!without.includes(venvPython(venv)), "an unfinished venv is not a candidate");
  assert.equal(without[0], "python3");
  fs.mkdirSync(path.dirname(venvPython(venv)), { recursive: true });
  fs.writeFileSync(venvPython(venv), "");
  fs.writeFileSync(path.join(venv, "adeflow-installed.json"), JSON.stringify({ installed: {} }));
  assert.ok(projectVenvReady(venv));
  assert.equal(
    jupyterCandidates({ ADEFLOW_VENV_DIR: venv })[0].python,
    venvPython(venv),
    "the finished venv comes first",
  );
});

test("setup: an ADEFLOW_PYTHON without Jupyter is an error naming it, not a quiet fallback; a bad ADEFLOW_JUPYTER too", () => {
  const saved = { py: process.env.ADEFLOW_PYTHON, mode: process.env.ADEFLOW_JUPYTER };
  try {
    process.env.ADEFLOW_PYTHON = path.join(scratch(), "no-python-here");
    delete process.env.ADEFLOW_JUPYTER;
    assert.throws(() => ensureJupyter({ log: () => {} }), /no-python-here \(ADEFLOW_PYTHON\): does not run/);
    assert.throws(
      () => ensureJupyter({ forceVenv: true, log: () => {} }),
      /ADEFLOW_PYTHON=.* and the project's venv were both asked for/,
    );
    delete process.env.ADEFLOW_PYTHON;
    process.env.ADEFLOW_JUPYTER = "conda";
    assert.throws(() => ensureJupyter({ log: () => {} }), /ADEFLOW_JUPYTER=conda: expected "venv"/);
  } finally {
    for (const [k, v] of [
      ["ADEFLOW_PYTHON", saved.py],
      ["ADEFLOW_JUPYTER", saved.mode],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});

let basePython: string | undefined;
try {
  basePython = findBasePython();
} catch {
  basePython = undefined;
}

test(
  "a venv is made once, brought up to date when its requirements change, and left unfinished when pip fails",
  { skip: !basePython && "no Python with venv here", timeout: 180_000 },
  () => {
    const dir = path.join(scratch(), "venv");
    const reqDir = scratch();
    const requirements = path.join(reqDir, "requirements.txt");
    // nothing to download: pip reads the file and has nothing to do
    fs.writeFileSync(requirements, "# no packages\n");
    const lines: string[] = [];
    const python = ensureVenv({ dir, requirements: [requirements], log: (l) => lines.push(l) });
    assert.equal(python, venvPython(dir));
    assert.ok(fs.existsSync(python));
    assert.ok(projectVenvReady(dir));
    assert.match(lines.join("\n"), /creating .*venv/);

    lines.length = 0;
    ensureVenv({ dir, requirements: [requirements], log: (l) => lines.push(l) });
    assert.equal(lines.join("\n"), "", "already installed from the same file: nothing to do");

    fs.writeFileSync(requirements, "# still no packages, but a different file\n");
    ensureVenv({ dir, requirements: [requirements], log: (l) => lines.push(l) });
    assert.ok(
      lines.some((l: string) => /installing .*requirements\.txt/.test(l)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l: string) => /creating/.test(l)), "the venv itself is kept");

    fs.writeFileSync(requirements, "this is not a requirement!!\n");
    assert.throws(
      () => ensureVenv({ dir, requirements: [requirements], log: () => {} }),
      /pip could not install .*requirements\.txt/,
    );
    assert.equal(projectVenvReady(dir), false, "a failed install leaves the venv marked unfinished");
    assert.throws(
      () => ensureVenv({ dir, requirements: [path.join(reqDir, "missing.txt")] }),
      /missing\.txt: requirements file not found/,
    );
  },
);
