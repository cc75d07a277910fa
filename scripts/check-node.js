#!/usr/bin/env node
/**
 * Stops `npm start`, `npm run setup`, `npm test` and `npm ci` (its preinstall step) on a Node.js outside the range
 * package.json's "engines" gives, before anything is built or run, with one line saying which versions work.
 * Plain JavaScript with no dependency, so that it runs before `npm ci` has installed anything and before the
 * TypeScript build, on any Node old or new enough to start it.
 *
 *   node scripts/check-node.js                 checks this Node
 *   node scripts/check-node.js --node 18.19.0  checks that version instead (the tests fake one this way)
 *
 * The range grammar is the part of npm's that engines ranges use: comparators (>=, >, <=, <, =, ^, ~ or none)
 * on full or partial versions (20, 20.9, 20.9.0, 20.x), joined by spaces (all must hold) and "||" (any set).
 * Outside the range `npm ci` only warns (EBADENGINE); `engine-strict` would make it refuse, but it applies to
 * every dependency too, and several dev tools declare narrower ranges than ours (docs/faults-and-inputs.md).
 */
"use strict";
// no "node:" prefixes, ?? or ?.: an old Node must be able to read this file to be told it is too old
const fs = require("fs");
const path = require("path");

/** [major, minor, patch] of "v20.11.1", "20.11.1-pre" or "20.11.1". */
function parseVersion(text) {
  const m = /^\s*v?(\d+)\.(\d+)\.(\d+)/.exec(String(text));
  if (!m) throw new Error(`"${text}" is not a version (expected major.minor.patch)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** One comparator as [lower bound inclusive, upper bound exclusive] (undefined: open). */
function bounds(comparator) {
  const m = /^(>=|<=|>|<|=|\^|~)?v?(\d+|x|\*)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(comparator);
  if (!m) throw new Error(`cannot read "${comparator}" in package.json's engines.node`);
  const op = m[1] || "=";
  const parts = [m[2], m[3], m[4]].filter((p) => p !== undefined && p !== "x" && p !== "*").map(Number);
  if (m[2] === "x" || m[2] === "*") return [undefined, undefined];
  const [major, minor = 0, patch = 0] = parts;
  const low = [major, minor, patch];
  // the first version past what a partial version names: 20 -> 21.0.0, 20.9 -> 20.10.0, 20.9.1 -> 20.9.2
  const next =
    parts.length === 1 ? [major + 1, 0, 0] : parts.length === 2 ? [major, minor + 1, 0] : [major, minor, patch + 1];
  switch (op) {
    case ">=":
      return [low, undefined];
    case ">":
      return [next, undefined];
    case "<":
      return [undefined, low];
    case "<=":
      return [undefined, next];
    case "^":
      return [low, major > 0 ? [major + 1, 0, 0] : minor > 0 || parts.length < 3 ? [0, minor + 1, 0] : next];
    case "~":
      return [low, parts.length === 1 ? [major + 1, 0, 0] : [major, minor + 1, 0]];
    default:
      return [low, next];
  }
}

/** Whether `version` ("20.11.1") lies in `range` (">=20 <23"). */
function satisfies(version, range) {
  const v = parseVersion(version);
  return comparators(range).some((set) =>
    set.every((c) => {
      const b = bounds(c);
      return (!b[0] || compare(v, b[0]) >= 0) && (!b[1] || compare(v, b[1]) < 0);
    }),
  );
}

/** The comparators of a range, as written ("^20.19.0", "<23"), each set's in order. */
function comparators(range) {
  return range.split("||").map((set) =>
    set
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/)
      .filter(Boolean),
  );
}

/**
 * The major versions with some release in the range ("20, 21 or 22"), among 0..99: a major counts when its first
 * release, a late one (x.999.999) or a lower bound the range names in it lies inside.
 */
function majorsIn(range) {
  const lows = [];
  for (const set of comparators(range))
    for (const c of set) {
      const low = bounds(c)[0];
      if (low) lows.push(low);
    }
  const majors = [];
  for (let major = 0; major < 100; major++) {
    const tries = [major + ".0.0", major + ".999.999"].concat(
      lows.filter((low) => low[0] === major).map((low) => low.join(".")),
    );
    if (tries.some((t) => satisfies(t, range))) majors.push(major);
  }
  return majors;
}

/** "20, 21 or 22"; a list that runs to the end of the search reads "24 or later". */
function describeMajors(majors) {
  let open;
  if (majors.length && majors[majors.length - 1] === 99) {
    open = majors.length - 1;
    while (open > 0 && majors[open - 1] === majors[open] - 1) open--;
  }
  const names = (open === undefined ? majors : majors.slice(0, open)).map(String);
  if (open !== undefined) names.push(majors[open] + " or later");
  return names.length <= 1 ? names.join("") : names.slice(0, -1).join(", ") + " or " + names[names.length - 1];
}

/** The one line for a Node outside the range, or undefined inside it. */
function problem(version, range) {
  if (satisfies(version, range)) return undefined;
  const majors = majorsIn(range);
  const which = majors.length ? "Node.js " + describeMajors(majors) : "a Node.js in that range";
  const newest = majors.filter((m) => m < 99).pop();
  const install = newest !== undefined ? " (e.g. `nvm install " + newest + "`, or https://nodejs.org/)" : "";
  return (
    `adeflow needs ${which} (package.json "engines": "${range}"), and this is Node.js ` +
    `${String(version).replace(/^v/, "")} (${process.execPath}); stopped before anything was built or run. ` +
    `Install a supported Node.js${install}, then run the command again.`
  );
}

function engineRange(root = path.join(__dirname, "..")) {
  const file = path.join(root, "package.json");
  const engines = JSON.parse(fs.readFileSync(file, "utf8")).engines;
  const range = engines && engines.node;
  if (typeof range !== "string" || !range.trim()) throw new Error(`${file} has no "engines": { "node": ... }`);
  return range.trim();
}

module.exports = { parseVersion, satisfies, majorsIn, describeMajors, problem, engineRange };

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--node");
  const version = at >= 0 ? args[at + 1] : process.versions.node;
  try {
    const line = problem(version, engineRange());
    if (line) {
      console.error(line);
      process.exit(1);
    }
  } catch (err) {
    console.error(`scripts/check-node.js: ${err.message}`);
    process.exit(1);
  }
}
