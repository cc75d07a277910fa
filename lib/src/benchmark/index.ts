export * from "./dataset";
export * from "./folds";
export * from "./study-rows";
export * from "./align";
export * from "./score";
export * from "./predictions-file";
export * from "./protocol";
export * from "./figures";
