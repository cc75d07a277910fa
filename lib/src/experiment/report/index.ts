/** What results carry and where they go: the run record and metric files (run-record.ts), and the last run's table for the README (last-run.ts). */
export * from "./run-record";
export * from "./last-run";
export * from "./records";
export * from "./notebook-run";
