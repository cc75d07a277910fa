/**
 * One ZeroMQ send at a time per socket in a tslab kernel.
 *
 * tslab (1.0.22) sends every Jupyter message without waiting for the previous send on the same socket. With
 * zeromq.js 6 a send that cannot be queued at once (the client reads slower than the kernel writes, as during
 * training with a progress bar) stays pending, and the next send on that socket throws "Socket is busy writing;
 * only one send operation may be in progress at any time" (EBUSY). In notebook 04 that lost a status message
 * and ended the training cell with an error, on every run of the `local` profile. Queueing the sends per
 * socket, in order, removes the race; nothing else changes.
 */
import * as path from "node:path";

const QUEUED = Symbol.for("adeflow.zmq-send-queue");

type Sendable = { send(message: unknown): Promise<void> };

/** True when this process is a tslab kernel (its command line says so). */
export const inTslabKernel = (argv: readonly string[] = process.argv): boolean =>
  /\btslab\b.*\bkernel\b/.test(argv.join(" "));

/**
 * Queue the sends of every socket of the `zeromq` module tslab loads (or of `zmq`, for tests). Idempotent;
 * false when there is no such module.
 */
export function serializeZmqSends(zmq?: { Socket: { prototype: object } }): boolean {
  let module = zmq;
  if (!module) {
    try {
      const tslabDir = path.dirname(require.resolve("tslab/package.json"));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      module = require(require.resolve("zeromq", { paths: [tslabDir] })) as { Socket: { prototype: object } };
    } catch {
      return false;
    }
  }
  const proto = module.Socket.prototype as Sendable & { [QUEUED]?: true };
  if (proto[QUEUED]) return true;
  const original = proto.send;
  const queues = new WeakMap<object, Promise<void>>();
  // the native method is read-only but configurable: redefine it, in the same place
  const send = function (this: Sendable, message: unknown): Promise<void> {
    const next = (queues.get(this) ?? Promise.resolve()).then(() => original.call(this, message));
    // a failed send rejects its own promise (as before) and does not stop the ones queued after it
    queues.set(
      this,
      next.catch(() => undefined),
    );
    return next;
  };
  Object.defineProperty(proto, "send", { value: send, writable: false, enumerable: false, configurable: true });
  proto[QUEUED] = true;
  return true;
}
