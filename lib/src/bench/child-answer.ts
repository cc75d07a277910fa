/**
 * How a bench child process ends (native-child.ts, workers-child.ts): its row as one JSON line on stdout and exit
 * status 0, or its error's message on stderr and status 1, which the parent reports as that row's failure.
 */
export function answerParent<T>(work: Promise<T>): void {
  work.then(
    (row) => {
      process.stdout.write(JSON.stringify(row) + "\n");
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
