/**
 * PyTorch, the peer of the benches: `scripts/torch_bench.py` (the same BERT from `torch.nn` modules, the same
 * token-classification training step) run by the first Python whose `import torch` works, searched in this order:
 * `ADEFLOW_PYTHON` when set, the project's environment (`.venv/`, where `node scripts/reference-env.js` installs
 * PyTorch), Debian's `/usr/bin/python3`, `python3` on PATH. Which one was used is part of every bench's output.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../paths";
import { projectVenvDir, venvPython } from "../python";
import { setting } from "../settings";
import type { BenchModel } from "./models";

export interface PythonCandidate {
  python: string;
  /** Where it came from, for the output: "the project's environment (.venv)", "python3 on PATH"... */
  origin: string;
}

export interface TorchPeer extends PythonCandidate {
  /** `torch.__version__`. */
  torch: string;
}

/** Where to look for PyTorch, in order (see the module comment). */
export function torchCandidates(env: NodeJS.ProcessEnv = process.env): PythonCandidate[] {
  const explicit = setting("ADEFLOW_PYTHON", env);
  const venv = projectVenvDir(env);
  return [
    ...(explicit ? [{ python: explicit, origin: "ADEFLOW_PYTHON" }] : []),
    {
      python: venvPython(venv),
      origin: `the project's environment (${path.relative(process.cwd(), venv) || venv})`,
    },
    { python: "/usr/bin/python3", origin: "the system's /usr/bin/python3" },
    { python: "python3", origin: "python3 on PATH" },
  ];
}

/** The torch version a Python imports, or undefined when it does not run or has no torch. */
function torchVersion(python: string): string | undefined {
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], {
    encoding: "utf8",
    timeout: 120_000,
    stdio: ["ignore", "pipe", "ignore"],
  });
  return r.status === 0 ? r.stdout.trim().split("\n").pop() : undefined;
}

/** The first candidate whose `import torch` works, or undefined; `rejected` collects the others. */
export function findTorchPeer(
  candidates: PythonCandidate[] = torchCandidates(),
  rejected: string[] = [],
): TorchPeer | undefined {
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c.python)) continue;
    seen.add(c.python);
    const torch = torchVersion(c.python);
    if (torch) return { ...c, torch };
    rejected.push(`${c.python} (${c.origin})`);
  }
  return undefined;
}

/** One line naming the peer, for the output. */
export function describeTorchPeer(peer: TorchPeer | undefined, rejected: readonly string[] = []): string {
  return peer
    ? `PyTorch peer: torch ${peer.torch} from ${peer.python}: ${peer.origin}`
    : `PyTorch peer: none (no \`import torch\` in ${rejected.join(", ") || "any Python tried"}; ` +
        "`node scripts/reference-env.js` installs it into .venv/)";
}

export interface TorchBenchArgs {
  model: BenchModel;
  batch: number;
  seq: number;
  /** Timed forward passes (0: none). */
  iters: number;
  /** Timed training steps, after one warm-up step. */
  trainIters: number;
  /** torch.set_num_threads; undefined leaves the script's default (every CPU). */
  threads?: number;
  /** Dropout in training at BertForTokenClassification's sites; undefined or 0: none (the script's default). */
  dropout?: number;
}

/** What `scripts/torch_bench.py` prints (one JSON object). */
export interface TorchBenchResult {
  engine: string;
  forward_tokens_per_s: number | null;
  train_tokens_per_s: number;
  /** Seconds of each timed training step. */
  train_step_s?: number[];
  /** CPU seconds (all threads) of the timed training steps: user + system, and each alone. */
  train_cpu_s: number;
  train_user_s?: number;
  train_system_s?: number;
  peak_rss_mb: number;
}

/** Run the PyTorch bench script once; an error carries the script's last line of output. */
export function runTorchBench(peer: PythonCandidate, args: TorchBenchArgs, timeoutMs = 900_000): TorchBenchResult {
  const script = path.join(repoRoot(), "scripts", "torch_bench.py");
  const argv = [
    script,
    "--model",
    args.model,
    "--batch",
    String(args.batch),
    "--seq",
    String(args.seq),
    "--iters",
    String(args.iters),
    "--train-iters",
    String(args.trainIters),
    ...(args.threads === undefined ? [] : ["--threads", String(args.threads)]),
    ...(args.dropout ? ["--dropout", String(args.dropout)] : []),
  ];
  const r = spawnSync(peer.python, argv, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) {
    const last = (r.stderr ?? "").trim().split("\n").pop() || (r.error?.message ?? `signal ${r.signal}`);
    throw new Error(`${path.basename(script)} ended with ${r.signal ?? `exit ${r.status}`}: ${last}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as TorchBenchResult;
}
