/**
 * The native backend in tests: available when `npm run setup` built `@tensorflow/tfjs-node` (or `-gpu`) here.
 * Under CI on Linux x86_64 setup always builds it (unless ADEFLOW_NATIVE=off), so a missing build fails the tests
 * that need it instead of skipping them.
 */
import { nativeProblem } from "../../src/backend";

export function nativeUnavailable(): string | undefined {
  const problems = ["@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"].map(nativeProblem);
  if (problems.some((p) => p === undefined)) return undefined;
  const why = problems.join("; ");
  const expected =
    process.env.CI && process.platform === "linux" && process.arch === "x64" && process.env.ADEFLOW_NATIVE !== "off";
  if (expected) throw new Error(`CI is set and setup builds the native backend here, but: ${why}`);
  return why;
}

/** The backends a cross-backend test runs on: cpu and wasm, and tensorflow where it is built. */
export function testBackends(): string[] {
  return ["cpu", "wasm", ...(nativeUnavailable() === undefined ? ["tensorflow"] : [])];
}
