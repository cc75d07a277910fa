#!/usr/bin/env node
// The Python for the fixture scripts (scripts/*.py): the project's .venv/ with requirements/jupyter.txt and
// requirements/references.txt installed (PyTorch's CPU build, transformers, seqeval, scikit-learn, NumPy,
// NLTK). Installs what is missing or changed, then prints the interpreter's path, so that
//   "$(node scripts/reference-env.js)" scripts/seqeval_reference.py
// runs a script with the real libraries. The tests never need this: they read the committed fixtures.
// Build first: `npm run build`.
const { ensureVenv, jupyterRequirements, referenceRequirements } = require("../lib/dist/src/jupyter/python-env");
const { AdeflowError } = require("../lib/dist/src/errors");

try {
  const python = ensureVenv({
    requirements: [jupyterRequirements(), referenceRequirements()],
    log: (line) => console.error(line),
  });
  console.log(python);
} catch (err) {
  if (!(err instanceof AdeflowError)) throw err;
  console.error(`reference-env: ${err.message}`);
  process.exit(1);
}
