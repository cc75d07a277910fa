export * from "./tags";
export * from "./tagger";
export * from "./align";
export * from "./stats";
