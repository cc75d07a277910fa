export * from "./ops";
export * from "./lstm";
export * from "./head";
export * from "./model";
