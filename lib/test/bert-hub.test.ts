/** Hub ids: downloaded once into the transformers.js cache layout, then served from the cache. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { describeModelSource, resolveModel, loadBert } from "../src/bert";
import { tinyCheckpointDir } from "../src/paths";

const DIR = tinyCheckpointDir();

test("a hub id is fetched from env.remoteHost into ADEFLOW_MODEL_CACHE/<id>/ and reused offline", async () => {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const m = /^\/adeflow-test\/tiny-bert\/resolve\/main\/([\w.]+)$/.exec(req.url!);
    const file = m && path.join(DIR, m[1]);
    if (!file || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const tr = await import("@huggingface/transformers");
  const saved = { host: tr.env.remoteHost, remote: tr.env.allowRemoteModels };
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "adeflow-hub-"));
  const savedSetting = process.env.ADEFLOW_MODEL_CACHE;
  process.env.ADEFLOW_MODEL_CACHE = cache;
  try {
    tr.env.remoteHost = `http://127.0.0.1:${port}/`;
    tr.env.allowRemoteModels = true;
    const first = await resolveModel("adeflow-test/tiny-bert");
    assert.equal(first.source, "hub");
    assert.equal(first.dir, path.join(cache, "adeflow-test", "tiny-bert"));
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt"]) {
      assert.ok(fs.readFileSync(path.join(first.dir, f)).equals(fs.readFileSync(path.join(DIR, f))), f);
    }
    const n = requests.length;
    const bert = await loadBert("adeflow-test/tiny-bert", { allowDownload: false });
    assert.equal(bert.model.source, "cache");
    assert.equal(describeModelSource(bert.model), "cache (hub)", "the folder remembers where it came from");
    assert.equal(requests.length, n, "no request once cached");
    assert.equal(bert.encoder.numLayers, 2);
    bert.encoder.dispose();
    await assert.rejects(resolveModel("adeflow-test/missing"), /HTTP 404/);
  } finally {
    tr.env.remoteHost = saved.host;
    tr.env.allowRemoteModels = saved.remote;
    if (savedSetting !== undefined) process.env.ADEFLOW_MODEL_CACHE = savedSetting;
    else delete process.env.ADEFLOW_MODEL_CACHE;
    server.close();
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
