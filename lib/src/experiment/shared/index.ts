/** What every experiment shares: profiles (profile.ts), the task setup (task.ts), the study's reported figures (reported.ts), saved models (model-store.ts), sub-token positions (pieces.ts). */
export * from "./profile";
export * from "./task";
export * from "./reported";
export * from "./model-store";
export * from "./pieces";
export * from "./local-bert";
export * from "./splits";
export * from "./isolated-runs";
