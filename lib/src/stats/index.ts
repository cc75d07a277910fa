export * from "./ttest";
