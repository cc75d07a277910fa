import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { inTslabKernel, serializeZmqSends } from "../src/jupyter/kernel-sends";

// the zeromq that tslab loads in a kernel
const zmqPath = require.resolve("zeromq", { paths: [path.dirname(require.resolve("tslab/package.json"))] });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const zmq = require(zmqPath) as typeof import("zeromq");

test("tslab's race reproduced: a second send while one is pending throws EBUSY; queued sends arrive in order", async () => {
  const push = new zmq.Push();
  await push.bind("tcp://127.0.0.1:*");
  const first = push.send("one"); // no peer yet: pending
  assert.throws(() => void push.send("two"), /Socket is busy writing/);
  first.catch(() => undefined);
  push.close();

  assert.equal(serializeZmqSends(), true, "tslab's zeromq is found and patched");
  assert.equal(serializeZmqSends(zmq), true, "idempotent");
  const queued = new zmq.Push();
  await queued.bind("tcp://127.0.0.1:*");
  const sends = ["one", "two", "three"].map((m) => queued.send(m)); // would throw EBUSY on "two" before
  const pull = new zmq.Pull();
  pull.connect(queued.lastEndpoint!);
  const got: string[] = [];
  for (let i = 0; i < 3; i++) got.push(String((await pull.receive())[0]));
  await Promise.all(sends);
  assert.deepEqual(got, ["one", "two", "three"]);
  queued.close();
  pull.close();
});

test("a tslab kernel is recognised by its command line", () => {
  assert.equal(inTslabKernel(["/usr/bin/node", "/p/node_modules/.bin/tslab", "kernel", "--config-path", "x"]), true);
  assert.equal(inTslabKernel(["/usr/bin/node", "/p/lib/bin/adeflow.js", "reproduce"]), false);
});
